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

ROOT = Path(__file__).resolve().parents[2]


def test_signing_reports_and_reveal_figures_run_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--figures",
            "signing,reports,reveal",
            "--requests",
            "20",
            "--concurrency",
            "4",
            "--reveal-pledges",
            "150,300",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    # Every timed request was answered with success (the harness refuses otherwise), and the
    # reveal's CSV held every pledge (checked by the harness): the ratios exist.
    assert results["signing_ratio"] > 0
    assert results["report_ratio"] > 0
    assert results["reveal_pledges"] == 150
    # Each size revealed in full, and the growth of peak memory from one to the other.
    assert [point["pledges"] for point in results["reveal_points"]] == [150, 300]
    assert results["reveal_export_growth"] > 0


def test_survey_figures_run_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--figures",
            "survey-answers,survey-release",
            "--requests",
            "20",
            "--concurrency",
            "4",
            "--survey-responses",
            "150",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    assert results["survey_answer_ratio"] > 0
    assert results["survey_release_responses"] == 150
    assert results["survey_results"]["statuses"] == {"200": 200}


def test_survey_counting_figure_runs(tmp_path: Path) -> None:
    out = tmp_path / "survey.json"
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--figures",
            "survey-counting",
            "--survey-responses",
            "2000",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    # The release counted every response (the figure refuses otherwise) at both sizes.
    assert results["survey_counting_responses"] == 2000
    assert results["survey_counting_ratio"] > 0
    assert results["survey_counting_4x_peak_mb"] > 0
    assert "survey counting ratio" in finished.stdout
