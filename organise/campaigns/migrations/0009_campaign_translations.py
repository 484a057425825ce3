from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('campaigns', '0008_campaign_operations'), ('organisers', '0001_initial'), ('organisers', '0002_api_tokens'), ('organisers', '0003_enrolled'), ('organisers', '0004_enrolment_codes'), ('organisers', '0005_login_throttle_in_memory'), ('organisers', '0006_people'), ('organisers', '0007_owner_assigned_audit')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Campaign',
            name='translations',
            field=fields.JSONField(default=dict, db_default='{}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
