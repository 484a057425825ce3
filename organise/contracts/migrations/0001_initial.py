from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Contract',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('summary', fields.TextField(unique=False)),
                ('status', fields.CharField(max_length=32)),
                ('agency_name', fields.CharField(max_length=300)),
                ('agency_type', fields.CharField(max_length=48)),
                ('country', fields.CharField(db_index=True, max_length=2)),
                ('jurisdiction', fields.CharField(default='', max_length=300)),
                ('product', fields.CharField(default='', max_length=200)),
                ('value_range', fields.CharField(default='', max_length=32)),
                ('currency', fields.CharField(default='', max_length=3)),
                ('period_start', fields.CharField(default='', max_length=7)),
                ('period_end', fields.CharField(default='', max_length=7)),
                ('origin', fields.CharField(max_length=16)),
                ('atlas_id', fields.CharField(null=True, unique=True, max_length=32)),
                ('atlas_technology', fields.CharField(default='', max_length=100)),
                ('report_count', fields.IntField(default=0)),
                ('published_week', fields.DateField()),
            ],
            options={'table': 'contract', 'app': 'contracts', 'pk_attr': 'id', 'table_description': 'One published contract record: employer(s) -> agency -> technologies.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContractSource',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('contracts.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='sources', on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField()),
                ('url', fields.CharField(max_length=2048)),
                ('title', fields.CharField(default='', max_length=300)),
                ('date', fields.CharField(default='', max_length=10)),
                ('snapshot_url', fields.CharField(default='', max_length=2048)),
            ],
            options={'table': 'contract_source', 'app': 'contracts', 'unique_together': (('contract', 'position'),), 'pk_attr': 'id', 'table_description': 'A public source: a link, who published it, and when (as precise as known).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContractTechnology',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('contracts.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='technology_links', on_delete=OnDelete.CASCADE)),
                ('technology', fields.CharField(db_index=True, max_length=48)),
            ],
            options={'table': 'contract_technology', 'app': 'contracts', 'unique_together': (('contract', 'technology'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Employer',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('slug', fields.CharField(unique=True, max_length=120)),
                ('key', fields.CharField(unique=True, max_length=200)),
            ],
            options={'table': 'contract_employer', 'app': 'contracts', 'pk_attr': 'id', 'table_description': 'A company that sells to law enforcement. `key` is the normalised name (see employers.py).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContractEmployer',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('contracts.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='employer_links', on_delete=OnDelete.CASCADE)),
                ('employer', fields.ForeignKeyField('contracts.Employer', source_field='employer_id', db_constraint=True, to_field='id', related_name='contract_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'contract_employer_link', 'app': 'contracts', 'unique_together': (('contract', 'employer'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
