from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from organise.campaigns.models import InviteMode
from organise.surveys.models import SurveyState
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('organisers', '0006_people')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Survey',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('title', fields.CharField(max_length=200)),
                ('intro', fields.TextField(unique=False)),
                ('closes_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('k', fields.SmallIntField()),
                ('invite_mode', fields.CharEnumField(description='INVITE: invite\nOPEN: open', enum_type=InviteMode, max_length=16)),
                ('onward_invites', fields.SmallIntField(default=0)),
                ('invite_depth', fields.SmallIntField(default=1)),
                ('questions', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('tally_public_key', fields.BinaryField()),
                ('text_public_key', fields.BinaryField()),
                ('keep_texts_days', fields.SmallIntField(default=30)),
                ('owner', fields.ForeignKeyField('organisers.Organiser', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='owned_surveys', on_delete=OnDelete.SET_NULL)),
                ('state', fields.CharEnumField(db_index=True, description='OPEN: open\nRELEASING: releasing\nRELEASED: released', enum_type=SurveyState, max_length=16)),
                ('release_claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('released_on', fields.DateField(null=True)),
                ('results', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('results_public', fields.BooleanField(default=False)),
                ('texts_head', fields.BinaryField(null=True)),
                ('texts_until', fields.DateField(null=True)),
                ('texts_destroyed', fields.BooleanField(default=False)),
                ('keys_pending', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey', 'app': 'surveys', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SurveyInvite',
            fields=[
                ('code_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('survey', fields.ForeignKeyField('surveys.Survey', source_field='survey_id', db_constraint=True, to_field='id', related_name='invites', on_delete=OnDelete.CASCADE)),
                ('generation', fields.SmallIntField(default=0)),
            ],
            options={'table': 'survey_invite', 'app': 'surveys', 'pk_attr': 'code_hash', 'table_description': 'An unused invite code of a survey (its keyed hash). Using it deletes the row.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SurveyMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('survey', fields.ForeignKeyField('surveys.Survey', source_field='survey_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('organiser', fields.ForeignKeyField('organisers.Organiser', source_field='organiser_id', db_constraint=True, to_field='id', related_name='survey_memberships', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'survey_member', 'app': 'surveys', 'unique_together': (('survey', 'organiser'),), 'pk_attr': 'id', 'table_description': 'A co-organiser of a survey (the owner is on the survey row).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SurveyResponse',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('survey', fields.ForeignKeyField('surveys.Survey', source_field='survey_id', db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.CASCADE)),
                ('sealed_choices', fields.BinaryField(null=True)),
                ('sealed_texts', fields.BinaryField(null=True)),
                ('receipt_hash', fields.CharField(unique=True, max_length=64)),
                ('week', fields.DateField()),
            ],
            options={'table': 'survey_response', 'app': 'surveys', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SurveyTextChunk',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('survey', fields.ForeignKeyField('surveys.Survey', source_field='survey_id', db_constraint=True, to_field='id', related_name='text_chunks', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('data', fields.BinaryField()),
            ],
            options={'table': 'survey_text_chunk', 'app': 'surveys', 'unique_together': (('survey', 'position'),), 'pk_attr': 'id', 'table_description': 'One sealed chunk of the text answers kept for the team after the release.'},
            bases=['Model'],
        ),
    ]
