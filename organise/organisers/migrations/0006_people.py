from tortoise import migrations
from tortoise.migrations import operations as ops
from organise.organisers.models import AuditAction
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('organisers', '0005_login_throttle_in_memory')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('week', fields.DateField()),
                ('actor', fields.CharField(max_length=64)),
                ('action', fields.CharEnumField(description='CREATED: created\nDISABLED: disabled\nENABLED: enabled\nREMOVED: removed\nRESET_ISSUED: reset_issued\nRESET_COMPLETED: reset_completed\nROLE_CHANGED: role_changed\nINBOX_GRANTED: inbox_granted\nLEFT_TEAM_BY_RESET: left_team_by_reset', enum_type=AuditAction, max_length=24)),
                ('subject', fields.CharField(max_length=64)),
                ('subject_id', fields.UUIDField(null=True)),
                ('detail', fields.CharField(default='', max_length=200)),
                ('campaign_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'organiser_audit', 'app': 'organisers', 'pk_attr': 'id', 'table_description': 'Append-only: who changed which account, how, and the week. Never a time of day.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecoveryCode',
            fields=[
                ('code_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('organiser', fields.ForeignKeyField('organisers.Organiser', source_field='organiser_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'organiser_recovery_code', 'app': 'organisers', 'pk_attr': 'code_hash', 'table_description': 'A one-time code that stands in for the two-step code, made ten at a time.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='EnrolmentCode',
            name='reset',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Organiser',
            name='disabled',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Organiser',
            name='last_sign_in_week',
            field=fields.DateField(null=True),
        ),
    ]
