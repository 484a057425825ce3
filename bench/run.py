"""Run the benchmarks: `python -m bench [--figures ...] [--requests N] [--concurrency C]`.

Each figure starts real servers under uvicorn on loopback (SQLite in a scratch directory by
default; PostgreSQL when DATABASE_URL is set — its `public` schema is dropped and recreated, so
the database name must contain "bench"), drives them from a separate load-generator process
(bench/load.py), prints a table and writes JSON to bench/results/<UTC timestamp>.json.
Ratios compare two measurements taken in the same run, because the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
# The Atlas snapshot in the shared data folder beside the checkout; ORGANISE_ATLAS_CSV overrides.
ATLAS = Path(
    os.environ.get("ORGANISE_ATLAS_CSV")
    or ROOT.parent / "shared" / "data" / "atlas-of-surveillance-2020-10-07.csv"
)
FIGURES = ("signing", "reports", "import", "reveal", "scaleout", "aggregates")
WARMUP = 32
STARTUP_SECONDS = 60
# With --profile DIR, app servers run under `py-spy record` (collapsed stacks, one file each).
PROFILE_DIR: Path | None = None
TARGETS = {
    "signing_ratio": ">= 0.5",
    "report_ratio": ">= 0.5",
    "reveal_ratio": "<= 1.5",
    "reveal_peak_mb": "<= 200",
    "import_seconds": "< 10",
    "aggregates_p50_ms": "< 100 (PostgreSQL)",
    "aggregates_ratio": "<= 1.5",
    "scaleout_ratio": "reported",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Workspace:
    """A scratch instance directory and the database the run uses."""

    root: Path
    database_url: str

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGANISE_", "DATABASE"))}
        env["ORGANISE_INSTANCE_DIR"] = str(self.root / "instance")
        env["PYTHONPATH"] = str(ROOT)
        if not self.is_sqlite:
            env["DATABASE_URL"] = self.database_url
        env.update(extra)
        return env

    def cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "organise", *args],
            env=self.env(),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"organise {' '.join(args[:2])} failed:\n{result.stderr}")
        return result


def postgres_execute(url: str, statements: list[str]) -> None:
    """Run our own SQL statements, in order, on a plain asyncpg connection."""
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def reset_postgres(url: str) -> None:
    postgres_execute(url, ["DROP SCHEMA public CASCADE; CREATE SCHEMA public;"])


@contextmanager
def workspace(database_url: str | None) -> Iterator[Workspace]:
    with tempfile.TemporaryDirectory(prefix="organise-bench-") as scratch:
        root = Path(scratch)
        (root / "instance").mkdir(mode=0o700)
        if database_url:
            reset_postgres(database_url)
            url = database_url
        else:
            url = f"sqlite://{root / 'instance' / 'organise.sqlite3'}"
        yield Workspace(root, url)


@contextmanager
def serving(command: list[str], env: dict[str, str], cwd: Path, port: int) -> Iterator[str]:
    """A server process on loopback; yields its URL once `GET /` answers 200."""
    log = (cwd / f"server-{port}.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {(cwd / f'server-{port}.log').read_text()}")
            try:
                if httpx.get(url + "/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        yield url
    finally:
        # py-spy writes its profile on Ctrl-C; uvicorn takes SIGINT like SIGTERM.
        if PROFILE_DIR is not None:
            process.send_signal(signal.SIGINT)
        else:
            process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def app_server(space: Workspace, workers: int = 1) -> Any:
    port = free_port()
    command = [sys.executable, "-m", "organise", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    if PROFILE_DIR is not None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        profile = PROFILE_DIR / f"app-{datetime.now(UTC):%H%M%S}-{port}.txt"
        spy = [py_spy, "record", "--rate", "200", "--format", "raw", "-o", str(profile)]
        command = [*spy, *(["--subprocesses"] if workers > 1 else []), "--", *command]
    return serving(command, space.env(), space.root, port)


def baseline_server(space: Workspace) -> Any:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.baseline_app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--no-server-header",
        "--log-level",
        "warning",
    ]
    return serving(command, space.env(BENCH_DATABASE_URL=space.database_url), space.root, port)


def load(
    url: str,
    requests: list[dict[str, Any]],
    concurrency: int,
    scratch: Path,
    *,
    keep_latencies: bool = False,
) -> dict:
    """Run the load generator in its own process and return its measurements."""
    bodies = scratch / f"bodies-{time.monotonic_ns()}.jsonl"
    bodies.write_text("".join(json.dumps(request) + "\n" for request in requests))
    command = [sys.executable, "-m", "bench.load", url, str(bodies)]
    command += ["--concurrency", str(concurrency)]
    if keep_latencies:
        command.append("--keep-latencies")
    result = subprocess.run(
        command,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=3600,
        check=True,
    )
    bodies.unlink()
    return json.loads(result.stdout)


def check_all_succeeded(name: str, measured: dict) -> None:
    bad = {code: n for code, n in measured["statuses"].items() if not code.startswith("2")}
    if bad:
        raise RuntimeError(f"{name}: requests failed: {measured['statuses']}")


# -- figures -------------------------------------------------------------------------------


def pledge_body(number: int, code: str) -> dict[str, Any]:
    return {
        "path": "/api/v1/campaigns/bench/pledges",
        "json": {
            "invite_code": code,
            "name": f"Signer {number}",
            "contact": f"signal: +44 7700 9{number % 100000:05d}",
            "team": "Platform infrastructure",
            "message": "I will not work on this contract. " * 6,
        },
    }


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


def setup_campaign(space: Workspace, codes_needed: int, slug: str = "bench") -> list[str]:
    deadline = (datetime.now(UTC) + timedelta(days=60)).isoformat(timespec="minutes")
    space.cli(
        "campaign",
        "create",
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
    while len(codes) < codes_needed:  # the command hands out at most 500 at a time
        batch = min(500, codes_needed - len(codes))
        out = space.cli("campaign", "invites", slug, "--count", str(batch)).stdout
        codes += [line.strip() for line in out.splitlines() if line.strip()]
    return codes


def measure_signing(space: Workspace, url: str, n: int, c: int, codes: list[str]) -> dict:
    warm = [pledge_body(i, code) for i, code in enumerate(codes[:WARMUP])]
    load(url, warm, c, space.root)
    timed = [pledge_body(i, code) for i, code in enumerate(codes[WARMUP : WARMUP + n])]
    measured = load(url, timed, c, space.root)
    check_all_succeeded("signing", measured)
    return measured


def measure_baseline(space: Workspace, n: int, c: int) -> dict:
    with baseline_server(space) as url:
        blob = {"path": "/blob"}
        load(url, [blob] * WARMUP, c, space.root)
        measured = load(url, [blob] * n, c, space.root)
    check_all_succeeded("baseline", measured)
    return measured


def figure_signing_and_reports(
    space: Workspace, n: int, c: int, figures: set[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with app_server(space) as url:
        if "signing" in figures:
            codes = setup_campaign(space, n + WARMUP)
            out["signing"] = measure_signing(space, url, n, c, codes)
        if "reports" in figures:
            body = {"path": "/api/v1/reports", "json": REPORT}
            load(url, [body] * WARMUP, c, space.root)
            out["reports"] = load(url, [body] * n, c, space.root)
            check_all_succeeded("reports", out["reports"])
    out["baseline"] = measure_baseline(space, n, c)
    base = out["baseline"]["throughput"]
    if "signing" in out:
        out["signing_ratio"] = out["signing"]["throughput"] / base
    if "reports" in out:
        out["report_ratio"] = out["reports"]["throughput"] / base
    return out


def figure_import(space: Workspace) -> dict[str, Any]:
    space.cli("migrate")
    started = time.perf_counter()
    space.cli("import", "atlas", str(ATLAS))
    first = time.perf_counter() - started
    started = time.perf_counter()
    space.cli("import", "atlas", str(ATLAS))
    again = time.perf_counter() - started
    return {"import_seconds": first, "reimport_seconds": again, "file": ATLAS.name}


def figure_scaleout(space: Workspace, n: int, c: int) -> dict[str, Any]:
    if space.is_sqlite:
        return {"scaleout_skipped": "needs PostgreSQL (SQLite runs one process)"}
    codes = None
    results: dict[str, Any] = {}
    for workers in (1, 2):
        with app_server(space, workers=workers) as url:
            slug = f"scale{workers}"
            codes = setup_campaign(space, n + WARMUP, slug=slug)
            warm = [
                {**pledge_body(i, code), "path": f"/api/v1/campaigns/{slug}/pledges"}
                for i, code in enumerate(codes[:WARMUP])
            ]
            load(url, warm, c, space.root)
            timed = [
                {**pledge_body(i, code), "path": f"/api/v1/campaigns/{slug}/pledges"}
                for i, code in enumerate(codes[WARMUP:])
            ]
            measured = load(url, timed, c, space.root)
            check_all_succeeded("scale-out", measured)
            results[f"signing_{workers}_workers"] = measured
    results["scaleout_ratio"] = (
        results["signing_2_workers"]["throughput"] / results["signing_1_workers"]["throughput"]
    )
    return results


@dataclass
class Run:
    figures: set[str]
    requests: int
    concurrency: int
    database_url: str | None
    results: dict[str, Any] = field(default_factory=dict)

    def execute(self) -> dict[str, Any]:
        n, c = self.requests, self.concurrency
        if self.figures & {"signing", "reports"}:
            with workspace(self.database_url) as space:
                self.results.update(figure_signing_and_reports(space, n, c, self.figures))
        if "import" in self.figures:
            with workspace(self.database_url) as space:
                self.results.update(figure_import(space))
        if "reveal" in self.figures:
            from bench import reveal

            with workspace(self.database_url) as space:
                self.results.update(reveal.figure_reveal(space, self.reveal_pledges))
        if "scaleout" in self.figures:
            with workspace(self.database_url) as space:
                self.results.update(figure_scaleout(space, n, c))
        if "aggregates" in self.figures:
            from bench import aggregates

            with workspace(self.database_url) as space:
                self.results.update(
                    aggregates.figure_aggregates(
                        space, self.aggregate_reports, self.aggregate_employers, repeats=20
                    )
                )
        return self.results

    reveal_pledges: int = 100_000
    aggregate_reports: int = 1_000_000
    aggregate_employers: int = 10_000


def table(results: dict[str, Any]) -> str:
    rows = [("figure", "measured", "target")]

    def add(name: str, value: str, key: str) -> None:
        rows.append((name, value, TARGETS.get(key, "")))

    if "signing" in results:
        add("signing throughput (req/s)", f"{results['signing']['throughput']:.1f}", "")
    if "reports" in results:
        add("report throughput (req/s)", f"{results['reports']['throughput']:.1f}", "")
    if "baseline" in results:
        add("bare insert throughput (req/s)", f"{results['baseline']['throughput']:.1f}", "")
    for key, label in (("signing_ratio", "signing ratio"), ("report_ratio", "report ratio")):
        if key in results:
            add(label, f"{results[key]:.2f}", key)
    if "import_seconds" in results:
        add("import atlas, whole file (s)", f"{results['import_seconds']:.2f}", "import_seconds")
        add("import atlas again (s)", f"{results['reimport_seconds']:.2f}", "")
    if "reveal_seconds" in results:
        add("reveal + CSV (s)", f"{results['reveal_seconds']:.2f}", "")
        add("open in memory (s)", f"{results['open_seconds']:.2f}", "")
        add("reveal ratio", f"{results['reveal_ratio']:.2f}", "reveal_ratio")
        add("reveal peak memory (MB)", f"{results['reveal_peak_mb']:.0f}", "reveal_peak_mb")
    if "aggregates_ratio" in results:
        figure = results["aggregates"]
        add(
            f"aggregates over {figure['reports']:,} reports: p50 / p99 (ms)",
            f"{figure['app']['p50_ms']:.1f} / {figure['app']['p99_ms']:.1f}",
            "aggregates_p50_ms",
        )
        base = figure["raw_group_by"]
        add("raw GROUP BY: p50 / p99 (ms)", f"{base['p50_ms']:.1f} / {base['p99_ms']:.1f}", "")
        add(
            "aggregates ratio (p50 ÷ raw p50)",
            f"{results['aggregates_ratio']:.2f}",
            "aggregates_ratio",
        )
        slowest = figure["slowest_view"]
        add(
            f"slowest view (by {slowest['by']}, {', '.join(slowest['filters']) or 'no filter'})",
            f"{slowest['p50_ms']:.1f} / {slowest['p99_ms']:.1f}",
            "",
        )
        add(
            f"views with p50 >= 100 ms (of {len(figure['shapes'])})",
            str(figure["views_over_100_ms_p50"]),
            "",
        )
        add("recount (s)", f"{figure['recount_seconds']:.1f}", "")
    if "scaleout_ratio" in results:
        for workers in (1, 2):
            tp = results[f"signing_{workers}_workers"]["throughput"]
            add(f"signing, {workers} process(es) (req/s)", f"{tp:.1f}", "")
        add("scale-out ratio", f"{results['scaleout_ratio']:.2f}", "scaleout_ratio")
    for key, value in results.items():
        if key.endswith("_skipped"):
            add(key.removesuffix("_skipped"), f"skipped: {value}", "")
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--figures",
        default="signing,reports,import,reveal,scaleout,aggregates",
        help=f"comma-separated, from: {', '.join(FIGURES)}",
    )
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per figure")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reveal-pledges", type=int, default=100_000)
    parser.add_argument("--aggregate-reports", type=int, default=1_000_000)
    parser.add_argument("--aggregate-employers", type=int, default=10_000)
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
    if args.profile:
        global PROFILE_DIR
        args.profile.mkdir(parents=True, exist_ok=True)
        PROFILE_DIR = args.profile.resolve()
    run = Run(figures, args.requests, args.concurrency, database_url)
    run.reveal_pledges = args.reveal_pledges
    run.aggregate_reports = args.aggregate_reports
    run.aggregate_employers = args.aggregate_employers
    started = datetime.now(UTC)
    results = run.execute()
    document = {
        "started": started.isoformat(timespec="seconds"),
        "database": "postgresql" if database_url else "sqlite",
        "requests": args.requests,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "results": results,
    }
    out = args.out or RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(table(results))
    print(f"\nJSON: {out}")
