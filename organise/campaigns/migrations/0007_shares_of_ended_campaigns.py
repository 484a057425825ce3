from tortoise import migrations
from tortoise.migrations import operations as ops

# Ended for good (policy.ENDED): no gate opens again.
_ENDED = "('revealed', 'expired')"


async def empty_shares_of_ended_campaigns(apps, schema_editor):
    """Gatekeeper shares still held on the server for campaigns that already ended (revealed or
    expired before shares were emptied at the end) are emptied now, as `shredding` does from
    here on. Plain SQL on the named columns only, so later migrations' columns do not matter."""
    client = schema_editor.client
    await client.execute_query(
        'UPDATE campaign_held_share SET sealed_share = NULL WHERE sealed_share IS NOT NULL'
        f' AND campaign_id IN (SELECT id FROM campaign WHERE state IN {_ENDED})'
    )
    await client.execute_query(
        'UPDATE campaign_share_link SET encrypted_share = NULL WHERE encrypted_share IS NOT NULL'
        f' AND campaign_id IN (SELECT id FROM campaign WHERE state IN {_ENDED})'
    )


class Migration(migrations.Migration):
    dependencies = [('campaigns', '0006_gatekeeper_held_shares_and_share_links')]

    initial = False

    operations = [
        ops.RunPython(empty_shares_of_ended_campaigns, ops.RunPython.noop),
    ]
