"""The throughput figures: signing, reports and scale-out, against a bare insert.

- Signing: `POST /api/v1/campaigns/<slug>/pledges` on an invite-only campaign, each request with
  its own invite code and a typical pledge.
- Reports: `POST /api/v1/reports` with a typical report.
- Baseline: bench/baseline_app.py, one blob the size of a sealed pledge per request, on the
  same database; the ratios are app ÷ baseline throughput, measured in the same run.
- Scale-out (PostgreSQL only): signing with `organise serve --workers 2` ÷ with one worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import (
    WARMUP,
    Row,
    Workspace,
    app_server,
    baseline_server,
    check_all_succeeded,
    load,
)

REPORT = {
    "employer": "Examplecorp",
    "agency": "Springfield Police Department",
    "agency_type": "police",
    "country": "US",
    "jurisdiction": "Springfield, IL",
    "technologies": ["face-recognition", "cloud-hosting"],
    "product": "Project Lighthouse",
    "status": "known-internally",
    "relation": "current-employee",
    "details": "Our team ships the matching service to the department. " * 8,
}
# `organise campaign invites` hands out at most this many codes at a time.
INVITES_PER_COMMAND = 500
OWNER = "benchowner"
PASSPHRASE = "benchmark orchard lantern velvet granite"  # noqa: S105 (scratch account)


def pledge_body(number: int, code: str, slug: str) -> dict[str, Any]:
    return {
        "path": f"/api/v1/campaigns/{slug}/pledges",
        "json": {
            "invite_code": code,
            "name": f"Signer {number}",
            "contact": f"signal: +44 7700 9{number % 100000:05d}",
            "team": "Platform infrastructure",
            "message": "I will not work on this contract. " * 6,
        },
    }


def setup_campaign(space: Workspace, codes_needed: int, slug: str) -> list[str]:
    """An invite-only campaign that will not reach its threshold, and its invite codes."""
    deadline = (datetime.now(UTC) + timedelta(days=60)).isoformat(timespec="minutes")
    space.organiser(OWNER, PASSPHRASE)
    space.cli(
        "campaign",
        "create",
        "--owner",
        OWNER,
        "--slug",
        slug,
        "--title",
        "Benchmark",
        "--demand",
        "We will not build it.",
        "--threshold",
        "1000000",
        "--deadline",
        deadline,
    )
    codes: list[str] = []
    while len(codes) < codes_needed:
        batch = min(INVITES_PER_COMMAND, codes_needed - len(codes))
        out = space.cli("campaign", "invites", slug, "--count", str(batch), "--organiser", OWNER)
        codes += [line.strip() for line in out.splitlines() if line.strip()]
    return codes


def warm_then_time(
    name: str, space: Workspace, url: str, bodies: list[dict[str, Any]], c: int
) -> dict[str, Any]:
    """Send the first WARMUP bodies untimed, then time the rest; every answer must be 2xx."""
    load(url, bodies[:WARMUP], c, space.root)
    measured = load(url, bodies[WARMUP:], c, space.root)
    check_all_succeeded(name, measured)
    return measured


def measure_signing(space: Workspace, url: str, n: int, c: int, slug: str) -> dict[str, Any]:
    codes = setup_campaign(space, n + WARMUP, slug)
    bodies = [pledge_body(number, code, slug) for number, code in enumerate(codes)]
    return warm_then_time("signing", space, url, bodies, c)


def figure_signing_and_reports(
    space: Workspace, n: int, c: int, figures: set[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with app_server(space) as url:
        if "signing" in figures:
            out["signing"] = measure_signing(space, url, n, c, "bench")
        if "reports" in figures:
            body = {"path": "/api/v1/reports", "json": REPORT}
            out["reports"] = warm_then_time("reports", space, url, [body] * (WARMUP + n), c)
    with baseline_server(space) as url:
        blob = {"path": "/blob"}
        out["baseline"] = warm_then_time("baseline", space, url, [blob] * (WARMUP + n), c)
    base = out["baseline"]["throughput"]
    if "signing" in out:
        out["signing_ratio"] = out["signing"]["throughput"] / base
    if "reports" in out:
        out["report_ratio"] = out["reports"]["throughput"] / base
    return out


def figure_scaleout(space: Workspace, n: int, c: int) -> dict[str, Any]:
    if space.is_sqlite:
        return {"scaleout_skipped": "needs PostgreSQL (SQLite runs one process)"}
    results: dict[str, Any] = {}
    for workers in (1, 2):
        with app_server(space, workers=workers) as url:
            measured = measure_signing(space, url, n, c, f"scale{workers}")
            results[f"signing_{workers}_workers"] = measured
    results["scaleout_ratio"] = (
        results["signing_2_workers"]["throughput"] / results["signing_1_workers"]["throughput"]
    )
    return results


def rows(results: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    for key, label in (
        ("signing", "signing throughput (req/s)"),
        ("reports", "report throughput (req/s)"),
        ("baseline", "bare insert throughput (req/s)"),
    ):
        if key in results:
            out.append((label, f"{results[key]['throughput']:.1f}", ""))
    for key, label in (("signing_ratio", "signing ratio"), ("report_ratio", "report ratio")):
        if key in results:
            out.append((label, f"{results[key]:.2f}", ">= 0.5"))
    return out


def scaleout_rows(results: dict[str, Any]) -> list[Row]:
    if "scaleout_ratio" not in results:
        return []
    out: list[Row] = []
    for workers in (1, 2):
        throughput = results[f"signing_{workers}_workers"]["throughput"]
        out.append((f"signing, {workers} process(es) (req/s)", f"{throughput:.1f}", ""))
    out.append(("scale-out ratio", f"{results['scaleout_ratio']:.2f}", "reported"))
    return out
