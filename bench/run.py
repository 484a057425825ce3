"""Run the benchmarks: `python -m bench [--figures ...] [--requests N] [--concurrency C]`.

Each figure starts real servers under uvicorn on loopback (SQLite in a scratch directory by
default; PostgreSQL when DATABASE_URL is set — its `public` schema is dropped and recreated, so
the database name must contain "bench"), drives them from a separate load-generator process
(bench/load.py), prints a table and writes JSON to bench/results/<UTC timestamp>.json.
Ratios compare two measurements taken in the same run, because the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import aggregates, atlas, reveal, survey_counting, surveys, throughput
from bench.harness import Row, Workspace, format_table, workspace, write_results

FIGURES = (
    "signing",
    "reports",
    "import",
    "reveal",
    "scaleout",
    "aggregates",
    "survey-answers",
    "survey-release",
    "survey-counting",
)
# How many times the aggregates figure times each view.
AGGREGATE_REPEATS = 20


@dataclass(frozen=True)
class Run:
    figures: set[str]
    requests: int
    concurrency: int
    reveal_pledges: tuple[int, ...]
    survey_responses: int
    aggregate_reports: int
    aggregate_employers: int
    database_url: str | None
    profile_dir: Path | None
    # Also measure signing and the reveal with the shared keystore (PostgreSQL) beside the file's.
    shared_keystore: bool = False


Step = tuple[set[str], Callable[[Workspace], dict[str, Any]]]


def steps(run: Run) -> list[Step]:
    """The figure table: the figures each step measures, and how, in the order they run."""
    n, c = run.requests, run.concurrency
    return [
        (
            {"signing", "reports"},
            lambda space: throughput.figure_signing_and_reports(space, n, c, run.figures),
        ),
        ({"import"}, atlas.figure_import),
        # One step (and workspace) for each size of the reveal.
        *[({"reveal"}, reveal.point(count)) for count in run.reveal_pledges],
        ({"scaleout"}, lambda space: throughput.figure_scaleout(space, n, c)),
        ({"survey-answers"}, lambda space: surveys.figure_survey_answers(space, n, c)),
        (
            {"survey-release"},
            lambda space: surveys.figure_survey_release(space, run.survey_responses),
        ),
        (
            {"aggregates"},
            lambda space: aggregates.figure_aggregates(
                space, run.aggregate_reports, run.aggregate_employers, AGGREGATE_REPEATS
            ),
        ),
        (
            {"survey-counting"},
            lambda space: survey_counting.figure_survey_counting(space, run.survey_responses),
        ),
    ]


ROWS: tuple[Callable[[dict[str, Any]], list[Row]], ...] = (
    throughput.rows,
    atlas.rows,
    reveal.rows,
    aggregates.rows,
    throughput.scaleout_rows,
    surveys.rows,
    survey_counting.rows,
)


# The figures measured again with the shared keystore (`--keystore both`).
SHARED_KEYSTORE_FIGURES = frozenset({"signing", "reveal"})


def _measure(run: Run, *, shared_keystore: bool = False) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for names, measure in steps(run):
        if names & run.figures:
            with workspace(
                run.database_url, run.profile_dir, shared_keystore=shared_keystore
            ) as space:
                results.update(measure(space))
    return reveal.gather_points(results)


def execute(run: Run) -> dict[str, Any]:
    """Each step that measures a figure asked for, in a fresh workspace; with the shared
    keystore asked for, signing and the reveal again, under `shared_keystore`."""
    results = _measure(run)
    if run.shared_keystore:
        again = replace(run, figures=run.figures & SHARED_KEYSTORE_FIGURES)
        results["shared_keystore"] = _measure(again, shared_keystore=True)
    return results


def shared_keystore_rows(results: dict[str, Any]) -> list[Row]:
    """The shared keystore's signing and reveal rows, labelled, beside the file keystore's."""
    shared = results.get("shared_keystore")
    if not shared:
        return []
    return [
        (f"shared keystore: {label}", value, "")
        for rows_of in (throughput.rows, reveal.rows)
        for label, value, _target in rows_of(shared)
    ]


def table(results: dict[str, Any]) -> str:
    rows = [row for figure_rows in ROWS for row in figure_rows(results)]
    rows += shared_keystore_rows(results)
    rows += [
        (key.removesuffix("_skipped"), f"skipped: {value}", "")
        for key, value in results.items()
        if key.endswith("_skipped")
    ]
    return format_table(rows)


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, Run]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--figures",
        default=",".join(FIGURES),
        help=f"comma-separated, from: {', '.join(FIGURES)}",
    )
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per figure")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--reveal-pledges",
        default="100000,400000",
        help="comma-separated sizes; the targets apply to the first, the others show the curve",
    )
    parser.add_argument("--survey-responses", type=int, default=100_000)
    parser.add_argument("--aggregate-reports", type=int, default=1_000_000)
    parser.add_argument("--aggregate-employers", type=int, default=10_000)
    parser.add_argument(
        "--keystore",
        choices=("file", "both"),
        default="file",
        help="both: measure signing and the reveal again with the shared keystore "
        "(needs PostgreSQL; its database is DATABASE_URL's name plus _keys)",
    )
    parser.add_argument("--out", type=Path, help="JSON file (default bench/results/<time>.json)")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run the app under py-spy and write its collapsed stacks to DIR (slows it down)",
    )
    args = parser.parse_args(argv)
    figures = {name.strip() for name in args.figures.split(",") if name.strip()}
    unknown = figures - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")
    database_url = os.environ.get("DATABASE_URL") or None
    if database_url and "bench" not in database_url.rsplit("/", 1)[-1]:
        parser.error("DATABASE_URL must name a database whose name contains 'bench' (it is reset)")
    if args.keystore == "both" and not database_url:
        parser.error("--keystore both needs PostgreSQL: set DATABASE_URL")
    if "import" in figures:
        try:
            atlas.atlas_file()
        except RuntimeError as missing:
            parser.error(str(missing))
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    run = Run(
        figures=figures,
        requests=args.requests,
        concurrency=args.concurrency,
        reveal_pledges=tuple(int(size) for size in args.reveal_pledges.split(",") if size),
        survey_responses=args.survey_responses,
        aggregate_reports=args.aggregate_reports,
        aggregate_employers=args.aggregate_employers,
        database_url=database_url,
        profile_dir=args.profile.resolve() if args.profile else None,
        shared_keystore=args.keystore == "both",
    )
    return args, run


def main(argv: list[str] | None = None) -> None:
    args, run = parse(argv)
    started = datetime.now(UTC)
    results = execute(run)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "database": "postgresql" if run.database_url else "sqlite",
        "keystore": "file and shared" if run.shared_keystore else "file",
        "requests": run.requests,
        "concurrency": run.concurrency,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "results": results,
    }
    out = write_results(document, args.out, started)
    print(table(results))
    print(f"\nJSON: {out}")
