"""The bench still runs end to end against the current app, at a tiny size.

The figures are measured outside CI (`docs/benchmarks.md`); this only makes sure that a change
to the app (a new required option, say) does not leave the bench broken until someone next
measures. Nothing here looks at a timing.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ON_POSTGRES, POSTGRES_URL, connect_postgres

ROOT = Path(__file__).resolve().parents[2]
# Timed requests at a tiny size: enough for a ratio to exist, not to mean anything.
FEW_REQUESTS = ("--requests", "20", "--concurrency", "4")


def _run_bench(
    tmp_path: Path, *options: str, env: dict[str, str] | None = None
) -> tuple[dict[str, Any], str]:
    """`python -m bench OPTIONS --out FILE` from the checkout; the figures it wrote and what it
    printed (it must succeed)."""
    out = tmp_path / "figures.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", *options, "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results: dict[str, Any] = json.loads(out.read_text())["results"]
    return results, finished.stdout


def test_signing_reports_and_reveal_figures_run_on_sqlite(tmp_path: Path) -> None:
    figures = ("--figures", "signing,reports,reveal")
    results, _printed = _run_bench(tmp_path, *figures, *FEW_REQUESTS, "--reveal-pledges", "150,300")
    # Every timed request was answered with success (the harness refuses otherwise), and the
    # reveal's CSV held every pledge (checked by the harness): the ratios exist.
    assert results["signing_ratio"] > 0
    assert results["report_ratio"] > 0
    assert results["reveal_pledges"] == 150
    # Each size revealed in full, and the growth of peak memory from one to the other.
    assert [point["pledges"] for point in results["reveal_points"]] == [150, 300]
    assert results["reveal_export_growth"] > 0


def test_survey_figures_run_on_sqlite(tmp_path: Path) -> None:
    figures = ("--figures", "survey-answers,survey-release")
    results, _printed = _run_bench(tmp_path, *figures, *FEW_REQUESTS, "--survey-responses", "150")
    assert results["survey_answer_ratio"] > 0
    assert results["survey_release_responses"] == 150
    assert results["survey_results"]["statuses"] == {"200": 200}


def test_survey_counting_figure_runs(tmp_path: Path) -> None:
    results, printed = _run_bench(
        tmp_path, "--figures", "survey-counting", "--survey-responses", "2000"
    )
    # The release counted every response (the figure refuses otherwise) at both sizes.
    assert results["survey_counting_responses"] == 2000
    assert results["survey_counting_ratio"] > 0
    assert results["survey_counting_4x_peak_mb"] > 0
    assert "survey counting ratio" in printed


def test_the_shared_keystore_figures_need_postgresql(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--keystore", "both", "--figures", "signing"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
    )
    assert finished.returncode == 2
    assert "--keystore both needs PostgreSQL" in finished.stderr


@pytest.mark.skipif(not ON_POSTGRES, reason="needs ORGANISE_TEST_DATABASE_URL")
def test_signing_and_reveal_run_with_the_shared_keystore_beside_the_file_keystore(
    tmp_path: Path,
) -> None:
    # The bench resets its database: one of its own beside the test database, named "..._bench".
    bench_url = f"{POSTGRES_URL}_bench"
    name = bench_url.rpartition("/")[2]
    asyncio.run(_create_database(name))
    try:
        results, printed = _run_bench(
            tmp_path,
            "--figures", "signing,reveal", *FEW_REQUESTS, "--reveal-pledges", "150",
            "--keystore", "both",
            env={"DATABASE_URL": bench_url},
        )  # fmt: skip
    finally:
        asyncio.run(_drop_databases(name, f"{name}_keys"))
    assert results["signing_ratio"] > 0
    assert results["shared_keystore"]["signing_ratio"] > 0
    assert results["shared_keystore"]["reveal_pledges"] == 150
    assert "shared keystore: signing throughput" in printed
    assert "shared keystore: reveal + CSV" in printed


async def _create_database(name: str) -> None:
    connection = await connect_postgres()
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_databases(*names: str) -> None:
    connection = await connect_postgres()
    try:
        for name in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
