from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('organisers', '0001_initial'), ('organisers', '0002_api_tokens')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Organiser',
            name='enrolled',
            field=fields.BooleanField(default=True, db_default=False),
        ),
    ]
