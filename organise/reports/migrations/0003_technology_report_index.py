from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('contracts', '0002_published_status'), ('organisers', '0001_initial'), ('organisers', '0002_api_tokens'), ('organisers', '0003_enrolled'), ('organisers', '0004_enrolment_codes'), ('organisers', '0005_login_throttle_in_memory'), ('organisers', '0006_people'), ('reports', '0002_report_tally')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='ReportTechnology',
            name='technology',
            field=fields.CharField(max_length=48),
        ),
        ops.AddIndex(
            model_name='ReportTechnology',
            index=Index(fields=['technology', 'report_id']),
        ),
    ]
