"""The aggregates figure: the dashboard's report counts over 1,000,000 reports, 10,000 employers.

PostgreSQL only (the target is stated for it). The reports are written straight into the
database with one INSERT ... SELECT over generate_series (a skewed spread: a few large
employers, a long tail of small ones, three years of weeks, 5% rejected), then counted by
`organise recount`, the command an operator would run. Timed, one request at a time so each
latency is the request's own:

- the app: `GET /api/v1/aggregates/reports` with an organiser's API token, over a fixed mix
  of views (every dimension unfiltered, each filter alone, filters combined);
- the baseline: the one raw `GROUP BY` over the report table that gives the same view's counts
  (the query a dashboard without maintained counts or suppression would run), through the
  same driver, in its own process: `python -m bench.aggregates raw SHAPES.json`, in the
  workspace's environment.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tortoise import Tortoise

from bench.harness import Row, Workspace, app_server, load, postgres_execute
from bench.load import latency_summary
from organise.dashboard.aggregates import REPORTS, Aggregator, Filters
from organise.db import tortoise_config
from organise.settings import Settings

TECHNOLOGIES = (
    "face-recognition",
    "licence-plate-readers",
    "cloud-hosting",
    "body-worn-cameras",
    "drones-robots",
    "predictive-policing",
    "video-analytics",
    "social-media-monitoring",
    "case-management",
    "data-brokers",
    "electronic-monitoring",
    "detention-deportation-logistics",
)
AGENCIES = ("police", "police", "sheriff", "immigration-border", "prisons-probation", "military")
COUNTRIES = ("US", "US", "US", "US", "GB", "DE", "FR", "CA", "AU", "NL")
STATUSES = ("rumoured", "known-internally", "public-record")
FIRST_WEEK = "2023-01-02"  # a Monday; 156 weeks follow
YEAR = {"from": "2024-01", "to": "2024-12"}
BIG, SMALL = "Employer 00000", "Employer 02500"

# (by, filters): the views timed, each `repeats` times.
SHAPES: list[tuple[str, dict[str, str]]] = [
    *((by, {}) for by in ("employer", "agency_type", "technology", "technology_group")),
    *((by, {}) for by in ("country", "status", "month")),
    ("employer", {"technology": "face-recognition"}),
    ("month", {"technology": "face-recognition"}),
    ("employer", {"country": "DE"}),
    ("technology", {"country": "US"}),
    ("employer", YEAR),
    ("technology", YEAR),
    ("status", {"employer": BIG}),
    ("month", {"employer": BIG}),
    ("technology", {"employer": SMALL}),
    ("employer", {"employer": BIG}),
    ("month", {"technology": "cloud-hosting", "country": "US"}),
    ("agency_type", {"technology": "cloud-hosting", "country": "US", **YEAR}),
    ("status", {"employer": BIG, "technology": "face-recognition", "country": "US", **YEAR}),
    ("month", YEAR),
]


def _array(values: tuple[str, ...]) -> str:
    return "(ARRAY[" + ", ".join(f"'{value}'" for value in values) + "])"


def seed_sql(reports: int, employers: int) -> list[str]:
    """Statements that fill report and report_technology (our constants only, no input).

    Each report's technology list is made with the report, as a submission writes it (one
    technology each, a second for about 40%; `tally.technology_list`), and its link rows are
    made from that list.
    """
    pick = "[1 + floor(random() * {n})::int]"
    technology = f"{_array(TECHNOLOGIES)}{pick.format(n=len(TECHNOLOGIES))}"
    return [
        "SELECT setseed(0.42)",
        "INSERT INTO report (id, receipt_hash, week, employer_name, agency_name, agency_type,"  # noqa: S608
        " country, jurisdiction, product, status, value_range, currency, period_start,"
        " period_end, sources, relation, reporter_public_key, details_sealed, state,"
        " technologies)"
        " SELECT gen_random_uuid(), md5(i::text) || md5((-i)::text),"
        f" DATE '{FIRST_WEEK}' + 7 * floor(random() * 156)::int,"
        # power(random(), 3): employer 0 is the largest, the tail gets a few reports each.
        f" 'Employer ' || lpad(floor(power(random(), 3) * {employers})::int::text, 5, '0'),"
        f" '', {_array(AGENCIES)}{pick.format(n=len(AGENCIES))},"
        f" {_array(COUNTRIES)}{pick.format(n=len(COUNTRIES))}, '', '',"
        f" {_array(STATUSES)}{pick.format(n=len(STATUSES))}, '', '', '', '', '[]', '',"
        " '\\x00'::bytea, '\\x00'::bytea,"
        " CASE WHEN random() < 0.05 THEN 'rejected' ELSE 'new' END, listed.technologies"
        f" FROM generate_series(1, {reports}) AS i CROSS JOIN LATERAL"
        # `i` inside the draws ties the list to its row, so it is drawn for every report.
        " (SELECT ',' || string_agg(DISTINCT slug, ',' ORDER BY slug) || ',' AS technologies"
        f" FROM unnest(ARRAY[CASE WHEN i > 0 THEN {technology} END,"
        f" CASE WHEN i > 0 AND random() < 0.4 THEN {technology} END]) AS slug"
        " WHERE slug IS NOT NULL) AS listed",
        "INSERT INTO report_technology (id, report_id, technology)"
        " SELECT gen_random_uuid(), r.id, slug FROM report r,"
        " unnest(string_to_array(trim(BOTH ',' FROM r.technologies), ',')) AS slug",
    ]


def figure_aggregates(
    space: Workspace, reports: int, employers: int, repeats: int
) -> dict[str, Any]:
    if space.is_sqlite:
        return {"aggregates_skipped": "needs PostgreSQL (the target is stated for it)"}
    space.cli("migrate")
    started = time.perf_counter()
    postgres_execute(space.database_url, seed_sql(reports, employers))
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    space.cli("recount", timeout=3600)
    recounted = time.perf_counter() - started
    postgres_execute(space.database_url, ["VACUUM ANALYZE"])
    space.organiser("bench", "granite orchard lantern velvet")
    token = space.cli("token", "create", "bench").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}

    def request(by: str, filters: dict[str, str]) -> dict[str, Any]:
        path = "/api/v1/aggregates/reports?" + urlencode({"by": by, **filters})
        return {"method": "GET", "path": path, "headers": headers}

    with app_server(space) as url:
        load(url, [request(by, filters) for by, filters in SHAPES], 1, space.root)  # warm-up
        per_shape = []
        for by, filters in SHAPES:
            measured = load(
                url, [request(by, filters)] * repeats, 1, space.root, keep_latencies=True
            )
            if set(measured["statuses"]) != {"200"}:
                raise RuntimeError(f"aggregates {by} {filters}: {measured['statuses']}")
            per_shape.append({"by": by, "filters": filters, **measured})
    raw = _raw_in_own_process(space, repeats)
    app_ms = [shape["latencies_ms"] for shape in per_shape]
    all_app = [latency for latencies in app_ms for latency in latencies]
    all_raw = [latency for shape in raw for latency in shape["latencies_ms"]]
    app, base = latency_summary(all_app), latency_summary(all_raw)
    for shape, raw_shape in zip(per_shape, raw, strict=True):
        shape["raw_p50_ms"] = latency_summary(raw_shape["latencies_ms"])["p50_ms"]
        del shape["latencies_ms"]
    # The pooled p50 is the stated figure; the slowest view is reported beside it.
    slowest = max(per_shape, key=lambda shape: shape["p50_ms"])
    return {
        "aggregates": {
            "reports": reports,
            "employers": employers,
            "repeats": repeats,
            "seed_seconds": seeded,
            "recount_seconds": recounted,
            "app": app,
            "raw_group_by": base,
            "slowest_view": slowest,
            "views_over_100_ms_p50": sum(1 for shape in per_shape if shape["p50_ms"] >= 100),
            "shapes": per_shape,
        },
        "aggregates_p50_ms": app["p50_ms"],
        "aggregates_ratio": app["p50_ms"] / base["p50_ms"],
    }


def _raw_in_own_process(space: Workspace, repeats: int) -> list[dict[str, Any]]:
    shapes = space.root / "shapes.json"
    shapes.write_text(json.dumps({"shapes": SHAPES, "repeats": repeats}))
    return json.loads(space.run(sys.executable, "-m", "bench.aggregates", "raw", str(shapes)))


async def _time_raw(shapes: list, repeats: int) -> list[dict[str, Any]]:
    raw_source = dataclasses.replace(REPORTS, tallied=False)  # the report table itself
    # Run in the workspace's environment: its instance directory and database.
    await Tortoise.init(config=tortoise_config(Settings.from_environ()))
    try:
        timed = []
        for by, given in [*shapes[:1], *shapes]:  # the first is a warm-up
            filters = Filters(
                employer=given.get("employer", ""),
                technology=given.get("technology", ""),
                country=given.get("country", ""),
                period_from=given.get("from", ""),
                period_to=given.get("to", ""),
            )
            latencies = []
            for _ in range(repeats):
                started = time.perf_counter()
                await Aggregator(raw_source, k=5)._group(by, filters, small_months=False)
                latencies.append((time.perf_counter() - started) * 1000)
            timed.append({"by": by, "latencies_ms": latencies})
        return timed[1:]
    finally:
        await Tortoise.close_connections()


def main() -> None:
    _command, shapes_file = sys.argv[1:3]
    given = json.loads(Path(shapes_file).read_text())
    json.dump(asyncio.run(_time_raw(given["shapes"], given["repeats"])), sys.stdout)


if __name__ == "__main__":
    main()


def rows(results: dict[str, Any]) -> list[Row]:
    if "aggregates_ratio" not in results:
        return []
    figure = results["aggregates"]
    app, base, slowest = figure["app"], figure["raw_group_by"], figure["slowest_view"]
    filters = ", ".join(slowest["filters"]) or "no filter"
    return [
        (
            f"aggregates over {figure['reports']:,} reports: p50 / p99 (ms)",
            f"{app['p50_ms']:.1f} / {app['p99_ms']:.1f}",
            "< 100 (PostgreSQL)",
        ),
        ("raw GROUP BY: p50 / p99 (ms)", f"{base['p50_ms']:.1f} / {base['p99_ms']:.1f}", ""),
        ("aggregates ratio (p50 ÷ raw p50)", f"{results['aggregates_ratio']:.2f}", "<= 1.5"),
        (
            f"slowest view (by {slowest['by']}, {filters})",
            f"{slowest['p50_ms']:.1f} / {slowest['p99_ms']:.1f}",
            "",
        ),
        (
            f"views with p50 >= 100 ms (of {len(figure['shapes'])})",
            str(figure["views_over_100_ms_p50"]),
            "",
        ),
        ("recount (s)", f"{figure['recount_seconds']:.1f}", "< 30"),
        *(
            (
                f"  view: by {shape['by']}, {', '.join(shape['filters']) or 'no filter'}"
                " p50 / p99 (ms)",
                f"{shape['p50_ms']:.1f} / {shape['p99_ms']:.1f}",
                "< 100 / < 300",
            )
            for shape in figure["shapes"]
        ),
    ]
