from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """A published record never says "known internally" (that would point at the people
    inside): records published with it say "rumoured", as records are published from now on
    (organise/contracts/taxonomy.py, `published_status`)."""

    dependencies = [('contracts', '0001_initial')]

    initial = False

    operations = [
        ops.RunSQL(
            "UPDATE contract SET status = 'rumoured' WHERE status = 'known-internally'",
            ops.RunSQL.noop,
        ),
    ]
