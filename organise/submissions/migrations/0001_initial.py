from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Submission',
            fields=[
                ('lookup', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('outcome', fields.BinaryField()),
                ('day_mark', fields.CharField(max_length=64)),
            ],
            options={'table': 'submission', 'app': 'submissions', 'pk_attr': 'lookup', 'table_description': "One submission's record: what a reload with the same token and content shows again."},
            bases=['Model'],
        ),
    ]
