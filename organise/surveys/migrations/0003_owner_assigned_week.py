from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('organisers', '0007_owner_assigned_audit'), ('surveys', '0002_survey_translations')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Survey',
            name='owner_assigned_week',
            field=fields.DateField(null=True),
        ),
    ]
