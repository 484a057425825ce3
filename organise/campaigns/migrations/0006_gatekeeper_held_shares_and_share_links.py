from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('campaigns', '0005_invite_depth_retention'), ('organisers', '0004_enrolment_codes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HeldShare',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('campaigns.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='held_shares', on_delete=OnDelete.CASCADE)),
                ('organiser', fields.ForeignKeyField('organisers.Organiser', source_field='organiser_id', db_constraint=True, to_field='id', related_name='held_shares', on_delete=OnDelete.CASCADE)),
                ('sealed_share', fields.BinaryField(null=True)),
                ('handed_in', fields.BooleanField(default=False)),
            ],
            options={'table': 'campaign_held_share', 'app': 'campaigns', 'unique_together': (('campaign', 'organiser'),), 'pk_attr': 'id', 'table_description': "A gatekeeper share sealed at creation to a gatekeeper account's own public key."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShareLink',
            fields=[
                ('lookup_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('campaign', fields.ForeignKeyField('campaigns.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='share_links', on_delete=OnDelete.CASCADE)),
                ('number', fields.SmallIntField()),
                ('encrypted_share', fields.BinaryField(null=True)),
                ('first_shown_week', fields.DateField(null=True)),
                ('taken_week', fields.DateField(null=True)),
            ],
            options={'table': 'campaign_share_link', 'app': 'campaigns', 'pk_attr': 'lookup_hash', 'table_description': 'A gatekeeper share dealt through a one-time link, for a gatekeeper without an account.'},
            bases=['Model'],
        ),
    ]
