from tortoise import migrations
from tortoise.migrations import operations as ops
from organise.organisers.models import Role
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='LoginThrottle',
            fields=[
                ('name_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('failures', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_throttle', 'app': 'organisers', 'pk_attr': 'name_hash', 'table_description': 'Failed logins per account name (never per client address, which we do not know).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Organiser',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('role', fields.CharEnumField(description='ADMIN: admin\nORGANISER: organiser\nREVIEWER: reviewer', enum_type=Role, max_length=16)),
                ('passphrase_hash', fields.BinaryField()),
                ('public_key', fields.BinaryField()),
                ('wrapped_private_key', fields.BinaryField()),
                ('totp_secret', fields.BinaryField(null=True)),
                ('totp_last_step', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'organiser', 'app': 'organisers', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrganiserSession',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('organiser', fields.ForeignKeyField('organisers.Organiser', source_field='organiser_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sealed_private_key', fields.BinaryField()),
            ],
            options={'table': 'organiser_session', 'app': 'organisers', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
