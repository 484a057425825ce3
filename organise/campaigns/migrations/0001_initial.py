from tortoise import migrations
from tortoise.migrations import operations as ops
from organise.campaigns.models import Audience, CampaignState, EventKind, InviteMode, ProgressDisplay
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('title', fields.CharField(max_length=200)),
                ('demand', fields.TextField(unique=False)),
                ('employer', fields.CharField(default='', max_length=200)),
                ('contract', fields.CharField(default='', max_length=300)),
                ('threshold', fields.IntField()),
                ('deadline', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cooling_off_hours', fields.IntField()),
                ('audience', fields.CharEnumField(description='ORGANISERS: organisers\nCOSIGNERS: cosigners\nPUBLIC: public', enum_type=Audience, max_length=16)),
                ('invite_mode', fields.CharEnumField(description='INVITE: invite\nOPEN: open', enum_type=InviteMode, max_length=16)),
                ('onward_invites', fields.SmallIntField()),
                ('progress_display', fields.CharEnumField(description='EXACT: exact\nROUNDED: rounded', enum_type=ProgressDisplay, max_length=16)),
                ('gate_mode', fields.CharField(max_length=32)),
                ('gate_gatekeepers', fields.SmallIntField()),
                ('gate_threshold', fields.SmallIntField()),
                ('gate_identifier', fields.IntField()),
                ('public_key', fields.BinaryField()),
                ('state', fields.CharEnumField(db_index=True, description='OPEN: open\nCOOLING_OFF: cooling_off\nAWAITING_GATE: awaiting_gate\nREVEALING: revealing\nREVEALED: revealed\nEXPIRED: expired', enum_type=CampaignState, max_length=16)),
                ('pledge_count', fields.IntField(default=0)),
                ('cooling_off_ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reveal_claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revealed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revealed_count', fields.IntField(null=True)),
                ('destroyed_count', fields.IntField(default=0)),
                ('shredded', fields.BooleanField(default=False)),
                ('keys_pending', fields.BooleanField(default=False)),
                ('released_to_organisers', fields.BinaryField(null=True)),
                ('released_to_cosigners', fields.BinaryField(null=True)),
                ('released_to_public', fields.BinaryField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'campaign', 'app': 'campaigns', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InviteCode',
            fields=[
                ('code_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('campaign', fields.ForeignKeyField('campaigns.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='invites', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'campaign_invite', 'app': 'campaigns', 'pk_attr': 'code_hash', 'table_description': 'An unused invite code (its keyed hash). Using it deletes the row: no code-to-pledge link.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LifecycleEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('campaigns.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='CREATED: created\nTHRESHOLD_REACHED: threshold_reached\nTHRESHOLD_LOST: threshold_lost\nREVEALED: revealed\nEXPIRED: expired\nSHREDDED: shredded', enum_type=EventKind, max_length=24)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('count', fields.IntField(null=True)),
            ],
            options={'table': 'campaign_event', 'app': 'campaigns', 'pk_attr': 'id', 'table_description': 'Append-only: rows are inserted by transitions and never updated. Nobody is named.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Pledge',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('campaigns.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='pledges', on_delete=OnDelete.CASCADE)),
                ('envelope', fields.BinaryField(null=True)),
                ('personal_threshold', fields.IntField()),
                ('receipt_hash', fields.CharField(unique=True, max_length=64)),
                ('week', fields.DateField()),
                ('revealed', fields.BooleanField(default=False)),
            ],
            options={'table': 'campaign_pledge', 'app': 'campaigns', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
