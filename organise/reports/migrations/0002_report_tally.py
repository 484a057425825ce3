from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

from organise.reports import tally


async def count_existing_reports(apps, schema_editor):
    """Fill the new table from the reports already stored (the same code `organise recount` runs)."""
    await tally.rebuild(schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [('contracts', '0001_initial'), ('organisers', '0002_api_tokens'), ('reports', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReportTally',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('dimension', fields.CharField(max_length=24)),
                ('technology', fields.CharField(max_length=48)),
                ('country', fields.CharField(max_length=2)),
                ('month', fields.CharField(max_length=7)),
                ('value', fields.CharField(max_length=200)),
                ('reports', fields.IntField()),
            ],
            options={'table': 'report_tally', 'app': 'reports', 'unique_together': (('dimension', 'technology', 'country', 'month', 'value'),), 'pk_attr': 'id', 'table_description': 'Maintained counts of the reports that count (organise/reports/tally.py).'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Report',
            index=Index(fields=['employer_name', 'week', 'country', 'agency_type', 'status', 'state', 'merged_into_id', 'id']),
        ),
        ops.RunPython(count_existing_reports, ops.RunPython.noop),
    ]
