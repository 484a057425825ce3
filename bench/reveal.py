"""The reveal figure: the real reveal of N pledges against opening the same envelopes in memory.

1. Build: a campaign through the campaigns service (server-alone gate), N pledges sealed as
   signing seals them (`organise.campaigns.signing.seal`), their keys in the keystore, their
   rows in the database, and the campaign left in `cooling_off` with the period over (as after
   the N-th signature).
2. Reveal, timed and memory-measured in child processes: `organise tick` (reads rows and keys,
   opens both layers, seals the result to the organisers) then `organise campaign reveal
   --out` (opens the result, writes the CSV).
3. Baseline: `open_pledge` over the same N envelopes and keys, held in memory, in a tight loop.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import Tortoise

from bench.harness import Row, Workspace
from crypto.envelope import open_pledge
from organise.campaigns import gateshares, signing
from organise.campaigns.models import Campaign, CampaignState, Pledge
from organise.campaigns.setup import CampaignSpec, create_campaign
from organise.db import tortoise_config
from organise.organisers.models import Organiser
from organise.runtime import open_runtime
from organise.settings import Settings
from organise.weeks import this_week

PASSPHRASE = "benchmark orchard lantern velvet granite"  # noqa: S105 (scratch account)
CHUNK = 2000
OWNER = "benchadmin"


async def _build(space: Workspace, count: int) -> dict[str, Any]:
    # The runtime opens the keystore under the same names as the server and the commands.
    runtime = open_runtime(Settings.from_environ(space.env()))
    keystore = runtime.keystore
    await Tortoise.init(config=tortoise_config(runtime.settings))
    try:
        created = await create_campaign(
            CampaignSpec(
                slug="reveal",
                title="Reveal benchmark",
                demand="We will not build it.",
                threshold=count,
                deadline=datetime.now(UTC) + timedelta(days=30),
                cooling_off_hours=0,
            ),
            # The account made by `figure_reveal`: the reveal is sealed to its team alone.
            owner=await Organiser.get(username=OWNER),
            keystore=keystore,
            pepper=runtime.code_pepper,
        )
        campaign = created.campaign
        private_key = await gateshares.rebuild_key(campaign, keystore)
        assert private_key is not None
        held: list[tuple[bytes, bytes, str]] = []  # envelope, key, pledge id: the baseline's input
        week = this_week()
        for start in range(0, count, CHUNK):
            rows, pledge_keys = [], {}
            for number in range(start, min(count, start + CHUNK)):
                sealed = signing.seal(
                    campaign,
                    {
                        "name": f"Signer {number}",
                        "contact": f"signal: +44 7700 9{number % 100000:05d}",
                        "team": "Platform infrastructure",
                        "message": "I will not work on this contract. " * 6,
                        "list_publicly": False,
                    },
                    personal=count,
                    receipt_hash=uuid.uuid4().hex + uuid.uuid4().hex,
                    week=week,
                )
                held.append((sealed.row.envelope, sealed.key, str(sealed.row.id)))
                pledge_keys[sealed.key_name] = sealed.key
                rows.append(sealed.row)
            keystore.put_many(pledge_keys)
            await Pledge.bulk_create(rows)
        await Campaign.filter(id=campaign.id).update(
            pledge_count=count,
            state=CampaignState.COOLING_OFF,
            cooling_off_ends_at=datetime.now(UTC) - timedelta(seconds=1),
        )
        # The baseline: the same envelopes, in memory, opened in a tight loop.
        campaign_id = str(campaign.id)
        started = time.perf_counter()
        for envelope, key, pledge_id in held:
            open_pledge(
                envelope,
                pledge_key=key,
                campaign_private_key=private_key,
                campaign_id=campaign_id,
                pledge_id=pledge_id,
            )
        open_seconds = time.perf_counter() - started
    finally:
        await Tortoise.close_connections()
        runtime.close()
    return {"open_seconds": open_seconds}


def figure_reveal(space: Workspace, count: int) -> dict[str, Any]:
    space.cli("migrate")
    passphrase_file = space.organiser(OWNER, PASSPHRASE)
    baseline = asyncio.run(_build(space, count))
    tick = space.measured_cli("tick")
    csv_path = space.root / "revealed.csv"
    export = space.measured_cli(
        "campaign",
        "reveal",
        "reveal",
        "--organiser",
        OWNER,
        "--passphrase-file",
        str(passphrase_file),
        "--out",
        str(csv_path),
    )
    rows = csv_path.read_text().count("\n") - 1
    if rows != count:
        raise RuntimeError(f"the CSV holds {rows} pledges, not {count}")
    reveal_seconds = tick["seconds"] + export["seconds"]
    return {
        "reveal_pledges": count,
        "reveal_tick_seconds": tick["seconds"],
        "reveal_tick_peak_mb": tick["peak_mb"],
        "reveal_export_seconds": export["seconds"],
        "reveal_export_peak_mb": export["peak_mb"],
        "reveal_seconds": reveal_seconds,
        "open_seconds": baseline["open_seconds"],
        "reveal_ratio": reveal_seconds / baseline["open_seconds"],
        "reveal_peak_mb": max(tick["peak_mb"], export["peak_mb"]),
        "reveal_note": "tick includes process start and Argon2id-free key rebuild; export "
        "includes one Argon2id (MODERATE) unlock of the organiser key",
    }


def rows(results: dict[str, Any]) -> list[Row]:
    if "reveal_seconds" not in results:
        return []
    return [
        ("reveal + CSV (s)", f"{results['reveal_seconds']:.2f}", ""),
        ("open in memory (s)", f"{results['open_seconds']:.2f}", ""),
        ("reveal ratio", f"{results['reveal_ratio']:.2f}", "<= 1.5"),
        ("reveal peak memory (MB)", f"{results['reveal_peak_mb']:.0f}", "<= 200"),
    ]
