"""The reveal figure: the real reveal of N pledges against opening the same envelopes in memory.

1. Build: a campaign through the campaigns service (server-alone gate), N pledges sealed as
   signing seals them (`organise.campaigns.signing.seal`), their keys in the keystore, their
   rows in the database, and the campaign left in `cooling_off` with the period over (as after
   the N-th signature).
2. Reveal, timed and memory-measured in child processes: `organise tick` (reads rows and keys,
   opens both layers, seals the result to the organisers) then `organise campaign reveal
   --out` (opens the result, writes the CSV).
3. Baseline: the same N envelopes and keys, held in memory, opened by the reveal's own pool of
   worker processes (`organise.campaigns.opening.Opener`: one per core, started inside the
   timing, 500 envelopes a job), so the ratio measures the reveal's overhead, not the cores.

Each size (`--reveal-pledges`, default 100,000 and 400,000) is built and revealed in its own
workspace; the first is the one the targets apply to, the others show whether time and memory
stay in proportion.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import Tortoise

from bench.harness import Row, Workspace
from organise.campaigns import gateshares, opening, signing
from organise.campaigns.models import Campaign, CampaignState, Pledge
from organise.campaigns.setup import CampaignSpec, create_campaign
from organise.db import tortoise_config
from organise.organisers.models import Organiser
from organise.runtime import open_runtime
from organise.settings import Settings
from organise.weeks import this_week

PASSPHRASE = "benchmark orchard lantern velvet granite"  # noqa: S105 (scratch account)
CHUNK = 2000
OPEN_CHUNK = 500  # envelopes per job, as the reveal reads them
OWNER = "benchadmin"
_POINT = "reveal_point_"


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
        held: list[opening.Job] = []  # pledge id, envelope, key, threshold: the baseline's input
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
                held.append((str(sealed.row.id), sealed.row.envelope, sealed.key, count))
                pledge_keys[sealed.key_name] = sealed.key
                rows.append(sealed.row)
            keystore.put_many(pledge_keys)
            await Pledge.bulk_create(rows)
        await Campaign.filter(id=campaign.id).update(
            pledge_count=count,
            state=CampaignState.COOLING_OFF,
            cooling_off_ends_at=datetime.now(UTC) - timedelta(seconds=1),
        )
        # The baseline: the same envelopes, in memory, opened by the same pool of processes.
        jobs = [held[start : start + OPEN_CHUNK] for start in range(0, len(held), OPEN_CHUNK)]
        started = time.perf_counter()
        opener = opening.Opener(private_key, str(campaign.id))
        opener.start()
        try:
            outcomes = opener.open_all(jobs)
        finally:
            opener.close()
        open_seconds = time.perf_counter() - started
        if sum(len(opened) for opened, _unopened in outcomes) != count:
            raise RuntimeError("the baseline did not open every envelope")
        del outcomes, jobs
    finally:
        await Tortoise.close_connections()
        runtime.close()
    return {"open_seconds": open_seconds, "workers": opener.workers}


def figure_reveal(space: Workspace, count: int) -> dict[str, Any]:
    """One size: build, time the reveal and the export, and the baseline."""
    space.cli("migrate")
    passphrase_file = space.organiser(OWNER, PASSPHRASE)
    baseline = asyncio.run(_build(space, count))
    load_before = os.getloadavg()[0]
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
    with csv_path.open(encoding="utf-8") as handle:
        rows = sum(1 for _line in handle) - 1
    if rows != count:
        raise RuntimeError(f"the CSV holds {rows} pledges, not {count}")
    # The housekeeping the reveal leaves to the next tick (emptying the revealed envelopes),
    # timed apart: it is not part of the reveal.
    housekeeping = space.measured_cli("tick")
    reveal_seconds = tick["seconds"] + export["seconds"]
    return {
        "pledges": count,
        "tick_seconds": tick["seconds"],
        "tick_peak_mb": tick["peak_mb"],
        "export_seconds": export["seconds"],
        "export_peak_mb": export["peak_mb"],
        "housekeeping_seconds": housekeeping["seconds"],
        "seconds": reveal_seconds,
        "open_seconds": baseline["open_seconds"],
        "ratio": reveal_seconds / baseline["open_seconds"],
        "peak_mb": max(tick["peak_mb"], export["peak_mb"]),
        "workers": baseline["workers"],
        "cores": opening.cores(),
        "load_average": [load_before, os.getloadavg()[0]],
    }


def point(count: int) -> Callable[[Workspace], dict[str, Any]]:
    """The step measuring one size, its figures under `_POINT` until `gather_points`."""
    return lambda space: {f"{_POINT}{count}": figure_reveal(space, count)}


def gather_points(results: dict[str, Any]) -> dict[str, Any]:
    """The reveal's figures from its sizes (in the order they ran): the first size's as the
    reveal's (the targets apply to it), every size's in `reveal_points`, and the growth of
    peak memory from the first size to the last."""
    points = [results.pop(key) for key in [key for key in results if key.startswith(_POINT)]]
    if not points:
        return results
    first, last = points[0], points[-1]
    return results | {
        "reveal_pledges": first["pledges"],
        "reveal_tick_seconds": first["tick_seconds"],
        "reveal_tick_peak_mb": first["tick_peak_mb"],
        "reveal_export_seconds": first["export_seconds"],
        "reveal_export_peak_mb": first["export_peak_mb"],
        "reveal_seconds": first["seconds"],
        "open_seconds": first["open_seconds"],
        "reveal_ratio": first["ratio"],
        "reveal_peak_mb": first["peak_mb"],
        "reveal_cores": first["cores"],
        "reveal_workers": first["workers"],
        "reveal_points": points,
        "reveal_tick_growth": last["tick_peak_mb"] / first["tick_peak_mb"],
        "reveal_export_growth": last["export_peak_mb"] / first["export_peak_mb"],
        "reveal_note": "tick includes process start, the pool's start and the key rebuild "
        "(no Argon2id); export includes one Argon2id (MODERATE, 256 MiB) unlock of the "
        "organiser key; the baseline includes the pool's start; emptying the envelopes is "
        "the next tick's (housekeeping_seconds), not the reveal's",
    }


def rows(results: dict[str, Any]) -> list[Row]:
    if "reveal_seconds" not in results:
        return []
    table: list[Row] = [
        (
            "reveal cores (worker processes)",
            f"{results['reveal_cores']} ({results['reveal_workers']})",
            "",
        ),
        ("reveal + CSV (s)", f"{results['reveal_seconds']:.2f}", ""),
        ("open with the same pool (s)", f"{results['open_seconds']:.2f}", ""),
        ("reveal ratio", f"{results['reveal_ratio']:.2f}", "<= 1.5"),
        ("reveal peak memory: tick (MB)", f"{results['reveal_tick_peak_mb']:.0f}", "<= 150"),
        ("reveal peak memory: export (MB)", f"{results['reveal_export_peak_mb']:.0f}", "<= 316"),
    ]
    for point in results["reveal_points"][1:]:
        pledges = point["pledges"]
        table += [
            (f"reveal + CSV at {pledges:,} (s)", f"{point['seconds']:.2f}", ""),
            (f"reveal ratio at {pledges:,}", f"{point['ratio']:.2f}", ""),
            (
                f"peak memory at {pledges:,}: tick / export (MB)",
                f"{point['tick_peak_mb']:.0f} / {point['export_peak_mb']:.0f}",
                "",
            ),
        ]
    if len(results["reveal_points"]) > 1:
        growth = max(results["reveal_tick_growth"], results["reveal_export_growth"])
        table.append(("peak memory growth, last size / first", f"{growth:.2f}", "<= 1.10"))
    return table
