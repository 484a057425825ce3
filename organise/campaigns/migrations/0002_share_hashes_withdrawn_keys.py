from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('campaigns', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WithdrawnKey',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=128)),
            ],
            options={'table': 'campaign_withdrawn_key', 'app': 'campaigns', 'pk_attr': 'name', 'table_description': "A withdrawn pledge's keystore key, still to be deleted."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Campaign',
            name='share_hashes',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
