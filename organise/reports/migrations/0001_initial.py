from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from organise.reports.models import Author, ProposalState, ReviewState
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('contracts', '0001_initial'), ('organisers', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('receipt_hash', fields.CharField(unique=True, max_length=64)),
                ('week', fields.DateField()),
                ('employer_name', fields.CharField(max_length=200)),
                ('employer', fields.ForeignKeyField('contracts.Employer', source_field='employer_id', null=True, db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.SET_NULL)),
                ('agency_name', fields.CharField(default='', max_length=300)),
                ('agency_type', fields.CharField(default='', max_length=48)),
                ('country', fields.CharField(default='', max_length=2)),
                ('jurisdiction', fields.CharField(default='', max_length=300)),
                ('product', fields.CharField(default='', max_length=200)),
                ('status', fields.CharField(max_length=32)),
                ('value_range', fields.CharField(default='', max_length=32)),
                ('currency', fields.CharField(default='', max_length=3)),
                ('period_start', fields.CharField(default='', max_length=7)),
                ('period_end', fields.CharField(default='', max_length=7)),
                ('sources', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('relation', fields.CharField(default='', max_length=32)),
                ('reporter_public_key', fields.BinaryField()),
                ('details_sealed', fields.BinaryField()),
                ('state', fields.CharEnumField(default=ReviewState.NEW, description='NEW: new\nCORROBORATED: corroborated\nVERIFIED: verified\nREJECTED: rejected\nPUBLISHED: published', enum_type=ReviewState, max_length=16)),
                ('merged_into', fields.ForeignKeyField('reports.Report', source_field='merged_into_id', null=True, db_constraint=True, to_field='id', related_name='merged_reports', on_delete=OnDelete.SET_NULL)),
                ('contract', fields.ForeignKeyField('contracts.Contract', source_field='contract_id', null=True, db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'report', 'app': 'reports', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PublicationProposal',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('reports.Report', source_field='report_id', db_constraint=True, to_field='id', related_name='proposals', on_delete=OnDelete.CASCADE)),
                ('proposer', fields.ForeignKeyField('organisers.Organiser', source_field='proposer_id', null=True, db_constraint=True, to_field='id', related_name='report_proposals', on_delete=OnDelete.SET_NULL)),
                ('draft', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharEnumField(default=ProposalState.OPEN, description='OPEN: open\nPUBLISHED: published\nWITHDRAWN: withdrawn', enum_type=ProposalState, max_length=16)),
                ('week', fields.DateField()),
                ('contract', fields.ForeignKeyField('contracts.Contract', source_field='contract_id', null=True, db_constraint=True, to_field='id', related_name='proposals', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'report_publication_proposal', 'app': 'reports', 'pk_attr': 'id', 'table_description': 'A contract record a reviewer proposes to publish, published once enough approve.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PublicationApproval',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('proposal', fields.ForeignKeyField('reports.PublicationProposal', source_field='proposal_id', db_constraint=True, to_field='id', related_name='approvals', on_delete=OnDelete.CASCADE)),
                ('organiser', fields.ForeignKeyField('organisers.Organiser', source_field='organiser_id', db_constraint=True, to_field='id', related_name='report_approvals', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'report_publication_approval', 'app': 'reports', 'unique_together': (('proposal', 'organiser'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportInbox',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=16)),
                ('public_key', fields.BinaryField()),
            ],
            options={'table': 'report_inbox', 'app': 'reports', 'pk_attr': 'id', 'table_description': 'The one X25519 key pair that report details and messages are sealed to.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboxGrant',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('inbox', fields.ForeignKeyField('reports.ReportInbox', source_field='inbox_id', db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.CASCADE)),
                ('organiser', fields.ForeignKeyField('organisers.Organiser', source_field='organiser_id', db_constraint=True, to_field='id', related_name='report_inbox_grants', on_delete=OnDelete.CASCADE)),
                ('sealed_private_key', fields.BinaryField()),
            ],
            options={'table': 'report_inbox_grant', 'app': 'reports', 'unique_together': (('inbox', 'organiser'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('reports.Report', source_field='report_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('author', fields.CharEnumField(description='REPORTER: reporter\nREVIEWER: reviewer', enum_type=Author, max_length=16)),
                ('week', fields.DateField()),
                ('author_organiser', fields.ForeignKeyField('organisers.Organiser', source_field='author_organiser_id', null=True, db_constraint=True, to_field='id', related_name='report_messages', on_delete=OnDelete.SET_NULL)),
                ('sealed', fields.BinaryField()),
            ],
            options={'table': 'report_message', 'app': 'reports', 'unique_together': (('report', 'position'),), 'pk_attr': 'id', 'table_description': "A message in a report's conversation, readable by the reporter and by reviewers."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportTechnology',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('report', fields.ForeignKeyField('reports.Report', source_field='report_id', db_constraint=True, to_field='id', related_name='technology_links', on_delete=OnDelete.CASCADE)),
                ('technology', fields.CharField(db_index=True, max_length=48)),
            ],
            options={'table': 'report_technology', 'app': 'reports', 'unique_together': (('report', 'technology'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
