# Existing campaigns keep owner NULL: no campaign recorded its creator before. They reveal nothing
# until an administrator assigns an owner (`organise campaign team owner`), which signers are told.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('campaigns', '0003_released_chunks'), ('organisers', '0003_enrolled')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CampaignMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('campaigns.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('organiser', fields.ForeignKeyField('organisers.Organiser', source_field='organiser_id', db_constraint=True, to_field='id', related_name='campaign_memberships', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'campaign_member', 'app': 'campaigns', 'unique_together': (('campaign', 'organiser'),), 'pk_attr': 'id', 'table_description': 'A co-organiser of a campaign (the owner is on the campaign row), added by the owner.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Campaign',
            name='owner',
            field=fields.ForeignKeyField('organisers.Organiser', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='owned_campaigns', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Campaign',
            name='owner_assigned_week',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Campaign',
            name='reveal_not_before',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
