from tortoise import migrations
from tortoise.migrations import operations as ops
from organise.campaigns.models import Audience
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('campaigns', '0002_share_hashes_withdrawn_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReleasedChunk',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('campaigns.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='released_chunks', on_delete=OnDelete.CASCADE)),
                ('audience', fields.CharEnumField(description='ORGANISERS: organisers\nCOSIGNERS: cosigners\nPUBLIC: public', enum_type=Audience, max_length=16)),
                ('position', fields.IntField()),
                ('data', fields.BinaryField()),
            ],
            options={'table': 'campaign_released_chunk', 'app': 'campaigns', 'unique_together': (('campaign', 'audience', 'position'),), 'pk_attr': 'id', 'table_description': "One sealed chunk of a campaign's revealed pledges for one audience (see `release`)."},
            bases=['Model'],
        ),
    ]
