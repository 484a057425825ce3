from tortoise import migrations
from tortoise.migrations import operations as ops
from organise.campaigns.models import EventKind
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields


async def give_pledges_their_deadline(apps, schema_editor):
    """Every existing pledge was signed under its campaign's deadline: it keeps that one, even
    if the deadline is extended later. Plain SQL on the named columns only."""
    await schema_editor.client.execute_query(
        'UPDATE campaign_pledge SET deadline = '
        '(SELECT campaign.deadline FROM campaign WHERE campaign.id = campaign_pledge.campaign_id) '
        'WHERE deadline IS NULL'
    )


class Migration(migrations.Migration):
    dependencies = [('campaigns', '0007_shares_of_ended_campaigns')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InviteBatch',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('campaigns.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='invite_batches', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('week', fields.DateField()),
                ('revoked', fields.BooleanField(default=False)),
            ],
            options={'table': 'campaign_invite_batch', 'app': 'campaigns', 'unique_together': (('campaign', 'name'),), 'pk_attr': 'id', 'table_description': 'A named batch of invite codes, for the team to revoke together (`invites.revoke_batch`).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Campaign',
            name='archived',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Campaign',
            name='deadline_moved_from',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Campaign',
            name='stopped',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='InviteCode',
            name='batch',
            field=fields.ForeignKeyField('campaigns.InviteBatch', source_field='batch_id', null=True, db_constraint=True, to_field='id', related_name='codes', on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='LifecycleEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: created\nTHRESHOLD_REACHED: threshold_reached\nTHRESHOLD_LOST: threshold_lost\nREVEALED: revealed\nEXPIRED: expired\nSHREDDED: shredded\nRELEASE_DESTROYED: release_destroyed\nSTOPPED: stopped\nDEADLINE_EXTENDED: deadline_extended\nLAPSED: lapsed', enum_type=EventKind, max_length=24),
        ),
        ops.AddField(
            model_name='Pledge',
            name='deadline',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(give_pledges_their_deadline, ops.RunPython.noop),
    ]
