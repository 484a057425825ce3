from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('organisers', '0004_enrolment_codes')]

    initial = False

    # Failed sign-ins are counted in memory now (organise.ratelimit): nothing is stored.
    operations = [
        ops.DeleteModel(name='LoginThrottle'),
    ]
