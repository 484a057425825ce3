"""The bench still runs end to end against the current app, at a tiny size.

The figures are measured outside CI (`docs/benchmarks.md`); this only makes sure that a change
to the app (a new required option, say) does not leave the bench broken until someone next
measures. Nothing here looks at a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Timed requests at a tiny size: enough for a ratio to exist, not to mean anything.
FEW_REQUESTS = ("--requests", "20", "--concurrency", "4")


def _run_bench(tmp_path: Path, *options: str) -> tuple[dict[str, Any], str]:
    """`python -m bench OPTIONS --out FILE` from the checkout; the figures it wrote and what it
    printed (it must succeed)."""
    out = tmp_path / "figures.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", *options, "--out", str(out)],
        cwd=ROOT,
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
