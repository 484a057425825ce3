from tortoise import migrations
from tortoise.migrations import operations as ops
from organise.organisers.models import AuditAction
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('organisers', '0001_initial'), ('organisers', '0002_api_tokens'), ('organisers', '0003_enrolled'), ('organisers', '0004_enrolment_codes'), ('organisers', '0005_login_throttle_in_memory'), ('organisers', '0006_people')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='AuditEntry',
            name='action',
            field=fields.CharEnumField(description='CREATED: created\nDISABLED: disabled\nENABLED: enabled\nREMOVED: removed\nRESET_ISSUED: reset_issued\nRESET_COMPLETED: reset_completed\nROLE_CHANGED: role_changed\nINBOX_GRANTED: inbox_granted\nLEFT_TEAM_BY_RESET: left_team_by_reset\nOWNER_ASSIGNED: owner_assigned', enum_type=AuditAction, max_length=24),
        ),
    ]
