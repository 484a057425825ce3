from tortoise import migrations
from tortoise.migrations import operations as ops
from organise.organisers.models import Role
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('organisers', '0003_enrolled')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EnrolmentCode',
            fields=[
                ('code_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('organiser', fields.ForeignKeyField('organisers.Organiser', source_field='organiser_id', db_constraint=True, to_field='id', related_name='enrolment_codes', on_delete=OnDelete.CASCADE)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_week', fields.DateField(null=True)),
            ],
            options={'table': 'organiser_enrolment_code', 'app': 'organisers', 'pk_attr': 'code_hash', 'table_description': "A one-time code with which an account's holder chooses its passphrase (and so its key)."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Organiser',
            name='passphrase_hash',
            field=fields.BinaryField(null=True),
        ),
        ops.AlterField(
            model_name='Organiser',
            name='public_key',
            field=fields.BinaryField(null=True),
        ),
        ops.AlterField(
            model_name='Organiser',
            name='role',
            field=fields.CharEnumField(description='ADMIN: admin\nORGANISER: organiser\nREVIEWER: reviewer\nGATEKEEPER: gatekeeper', enum_type=Role, max_length=16),
        ),
        ops.AlterField(
            model_name='Organiser',
            name='wrapped_private_key',
            field=fields.BinaryField(null=True),
        ),
    ]
