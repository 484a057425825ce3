from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('surveys', '0003_owner_assigned_week')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Survey',
            name='definition_version',
            field=fields.IntField(default=1),
        ),
    ]
