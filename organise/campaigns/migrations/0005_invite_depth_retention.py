from tortoise import migrations
from tortoise.migrations import operations as ops
from organise.campaigns.models import EventKind
from tortoise import fields

from datetime import UTC, datetime

from organise.campaigns import clock

# Events a pledge causes: from now on stored at the week only (`clock`).
_PLEDGE_CAUSED = ('threshold_reached', 'threshold_lost', 'revealed')


def _moment(value):
    """A stored time as a datetime (SQLite hands back its text)."""
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


async def stop_old_chains_and_round_times(apps, schema_editor):
    """Existing unused codes got the largest generation from the column's database default
    (3), so they give no onward codes whatever the campaign's depth (whether a code was
    organiser-made or onward was never stored); this says so again, explicitly.

    Existing times are brought to the new precision: pledge-caused events to their week, the
    cooling-off end and reveal time rounded up to the hour. Plain SQL on the named columns only,
    so later migrations' columns do not matter here.
    """
    client = schema_editor.client
    postgres = client.capabilities.dialect == 'postgres'
    one, two = ('$1', '$2') if postgres else ('?', '?')
    await client.execute_query('UPDATE campaign_invite SET generation = 3')
    kinds = ', '.join(f"'{kind}'" for kind in _PLEDGE_CAUSED)
    _count, events = await client.execute_query(
        f'SELECT id, at FROM campaign_event WHERE kind IN ({kinds})'
    )
    for event in events:
        await client.execute_query(
            f'UPDATE campaign_event SET at = {one} WHERE id = {two}',
            [clock.week_start(_moment(event['at'])), event['id']],
        )
    for column in ('cooling_off_ends_at', 'revealed_at'):
        _count, rows = await client.execute_query(
            f'SELECT id, {column} AS moment FROM campaign WHERE {column} IS NOT NULL'
        )
        for row in rows:
            await client.execute_query(
                f'UPDATE campaign SET {column} = {one} WHERE id = {two}',
                [clock.hour_up(_moment(row['moment'])), row['id']],
            )


class Migration(migrations.Migration):
    dependencies = [('campaigns', '0004_campaign_teams')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Campaign',
            name='invite_depth',
            field=fields.SmallIntField(default=1, db_default=1),
        ),
        ops.AddField(
            model_name='Campaign',
            name='keep_revealed_days',
            field=fields.SmallIntField(default=30, db_default=30),
        ),
        ops.AddField(
            model_name='Campaign',
            name='release_destroyed',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='InviteCode',
            name='generation',
            field=fields.SmallIntField(default=0, db_default=3),
        ),
        ops.AlterField(
            model_name='LifecycleEvent',
            name='kind',
            field=fields.CharEnumField(description='CREATED: created\nTHRESHOLD_REACHED: threshold_reached\nTHRESHOLD_LOST: threshold_lost\nREVEALED: revealed\nEXPIRED: expired\nSHREDDED: shredded\nRELEASE_DESTROYED: release_destroyed', enum_type=EventKind, max_length=24),
        ),
        ops.RunPython(stop_old_chains_and_round_times, ops.RunPython.noop),
    ]
