from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

from organise.reports import tally


async def copy_technology_lists(apps, schema_editor):
    """Give every stored report its technology list (the same statement `organise recount` runs)."""
    await tally.repair_technology_lists(schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [('contracts', '0001_initial'), ('contracts', '0002_published_status'), ('organisers', '0001_initial'), ('organisers', '0002_api_tokens'), ('organisers', '0003_enrolled'), ('organisers', '0004_enrolment_codes'), ('organisers', '0005_login_throttle_in_memory'), ('organisers', '0006_people'), ('organisers', '0007_owner_assigned_audit'), ('reports', '0003_technology_report_index')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Report',
            name=None,
            fields=['employer_name', 'week', 'country', 'agency_type', 'status', 'state', 'merged_into_id', 'id'],
        ),
        ops.AddField(
            model_name='Report',
            name='technologies',
            field=fields.CharField(default='', db_default='', max_length=2000),
        ),
        ops.RunPython(copy_technology_lists, ops.RunPython.noop),
        ops.AddIndex(
            model_name='Report',
            index=Index(fields=['employer_name', 'week', 'country', 'agency_type', 'status', 'state', 'merged_into_id', 'id', 'technologies']),
        ),
    ]
