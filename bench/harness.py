"""What every figure shares: a scratch workspace, servers under uvicorn, the load generator.

A figure module imports this one only; `bench/run.py` imports the figures and this. Every
server and command runs as its own process, on loopback, against the workspace's database.
"""

from __future__ import annotations

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
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
# Requests sent before each timed run, so that connections and caches are warm.
WARMUP = 32
STARTUP_SECONDS = 60
COMMAND_SECONDS = 3600

# One row of the printed table: what, the measured value, the target it is held to.
Row = tuple[str, str, str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Workspace:
    """A scratch instance directory and the database the run uses."""

    root: Path
    database_url: str
    # With --profile DIR, app servers run under `py-spy record` (collapsed stacks, one file each).
    profile_dir: Path | None = None
    # With --keystore shared: the shared keystore's database and its key-encryption key folder.
    keystore_url: str | None = None
    kek_dir: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGANISE_", "DATABASE"))}
        env["ORGANISE_INSTANCE_DIR"] = str(self.root / "instance")
        env["PYTHONPATH"] = str(ROOT)
        # The bench measures work, not defences: its load generator would meet the failure
        # limits (docs/operating.md, "Limits") long before the server's real capacity.
        env["ORGANISE_RATE_LIMIT"] = "off"
        if not self.is_sqlite:
            env["DATABASE_URL"] = self.database_url
        if self.keystore_url and self.kek_dir:
            env["ORGANISE_KEYSTORE_URL"] = self.keystore_url
            env["ORGANISE_KEYSTORE_KEK_DIR"] = str(self.kek_dir)
        env.update(extra)
        return env

    def run(self, *command: str, timeout: float = COMMAND_SECONDS) -> str:
        """A command in the workspace's environment and directory; its output, or an error."""
        result = subprocess.run(
            command,
            env=self.env(),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
        return result.stdout

    def cli(self, *args: str, timeout: float = 600) -> str:
        """An `organise` command; its output."""
        return self.run(sys.executable, "-m", "organise", *args, timeout=timeout)

    def organiser(self, username: str, passphrase: str) -> Path:
        """A scratch admin account holding its own key (campaigns need an enrolled owner);
        the file that holds its passphrase, for the commands that unlock its key."""
        passphrase_file = self.root / f"passphrase-{username}"
        if passphrase_file.exists():  # made earlier in this workspace
            return passphrase_file
        passphrase_file.write_text(passphrase + "\n")
        self.cli("migrate")  # only serve, migrate and init make the instance
        self.cli(
            "organiser",
            "create",
            username,
            "--role",
            "admin",
            "--passphrase-file",
            str(passphrase_file),
        )
        return passphrase_file

    def measured_cli(self, *args: str) -> dict[str, Any]:
        """An `organise` command under bench/measure.py: its wall time and peak memory."""
        command = (sys.executable, "-m", "organise", *args)
        measured = json.loads(self.run(sys.executable, "-m", "bench.measure", "--", *command))
        if measured["returncode"] != 0:
            raise RuntimeError(f"organise {args[0]} failed: {measured['stderr']}")
        return measured


def postgres_execute(url: str, statements: list[str]) -> None:
    """Run our own SQL statements, in order, on a plain asyncpg connection."""

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


def keystore_database(database_url: str) -> str:
    """The shared keystore's database beside the bench's: its name plus `_keys`, made if
    missing and emptied (its name still contains "bench")."""
    base, _, name = database_url.rpartition("/")
    keys_name = f"{name}_keys"

    async def create() -> None:
        connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        try:
            if not await connection.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", keys_name
            ):
                await connection.execute(f'CREATE DATABASE "{keys_name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    keys_url = f"{base}/{keys_name}"
    postgres_execute(
        keys_url, ["DROP TABLE IF EXISTS keystore_entry, keystore_epoch, keystore_host"]
    )
    return keys_url


@contextmanager
def kek_folder() -> Iterator[Path]:
    """Epoch 1's key-encryption key in a private folder, on tmpfs when /dev/shm exists."""
    shm = Path("/dev/shm")  # noqa: S108 -- tmpfs, where key-encryption keys belong
    with tempfile.TemporaryDirectory(
        prefix="organise-bench-keks-", dir=shm if shm.is_dir() else None
    ) as folder:
        path = Path(folder) / "epoch-1.kek"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
        yield Path(folder)


@contextmanager
def workspace(
    database_url: str | None, profile_dir: Path | None = None, *, shared_keystore: bool = False
) -> Iterator[Workspace]:
    """A fresh workspace: a new scratch directory, and PostgreSQL's `public` schema emptied;
    with `shared_keystore`, a fresh shared keystore database and key-encryption key too."""
    with tempfile.TemporaryDirectory(prefix="organise-bench-") as scratch:
        root = Path(scratch)
        (root / "instance").mkdir(mode=0o700)
        if database_url:
            reset_postgres(database_url)
            url = database_url
        else:
            url = f"sqlite://{root / 'instance' / 'organise.sqlite3'}"
        if not shared_keystore:
            yield Workspace(root, url, profile_dir)
            return
        if not database_url:
            raise RuntimeError("the shared keystore needs PostgreSQL (DATABASE_URL)")
        with kek_folder() as kek_dir:
            yield Workspace(root, url, profile_dir, keystore_database(database_url), kek_dir)


@contextmanager
def serving(
    command: list[str], env: dict[str, str], cwd: Path, port: int, *, interrupt: bool = False
) -> Iterator[str]:
    """A server process on loopback; yields its URL once `GET /` answers 200.

    `interrupt` stops it with SIGINT rather than SIGTERM: py-spy writes its profile on Ctrl-C
    (uvicorn takes SIGINT like SIGTERM).
    """
    log_path = cwd / f"server-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text()}")
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
        if interrupt:
            process.send_signal(signal.SIGINT)
        else:
            process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def app_server(space: Workspace, workers: int = 1) -> AbstractContextManager[str]:
    """`organise serve` in the workspace (under py-spy when profiling); yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "organise", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    if space.profile_dir is not None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        profile = space.profile_dir / f"app-{datetime.now(UTC):%H%M%S}-{port}.txt"
        spy = [py_spy, "record", "--rate", "200", "--format", "raw", "-o", str(profile)]
        command = [*spy, *(["--subprocesses"] if workers > 1 else []), "--", *command]
    interrupt = space.profile_dir is not None
    return serving(command, space.env(), space.root, port, interrupt=interrupt)


def baseline_server(space: Workspace) -> AbstractContextManager[str]:
    """bench/baseline_app.py under uvicorn, on the workspace's database; yields its URL."""
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
    """Run the load generator (bench/load.py) in its own process and return its measurements."""
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
        timeout=COMMAND_SECONDS,
        check=True,
    )
    bodies.unlink()
    return json.loads(result.stdout)


def check_all_succeeded(name: str, measured: dict) -> None:
    bad = {code: n for code, n in measured["statuses"].items() if not code.startswith("2")}
    if bad:
        raise RuntimeError(f"{name}: requests failed: {measured['statuses']}")


def format_table(rows: list[Row]) -> str:
    """The rows as a Markdown table, under a header."""
    rows = [("figure", "measured", "target"), *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_results(document: dict[str, Any], out: Path | None, started: datetime) -> Path:
    """Write the run's JSON to `out` (default bench/results/<UTC time>.json); its path."""
    out = out or RESULTS / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    return out
