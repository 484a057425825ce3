"""A real `organise serve` process for end-to-end and browser tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from organise.settings import Settings

# How long `start` waits for the first answer. It returns as soon as the server answers (about a
# second on a quiet machine); the allowance is for a loaded machine, where starts of 23-30 s were
# seen.
STARTUP_SECONDS = 90


def deadline_in(days: float) -> str:
    """A campaign deadline as `--deadline` takes it."""
    return (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="minutes")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    """`organise serve` on a free port with its own instance directory (SQLite by default)."""

    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    workers: int = 1
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def instance_dir(self) -> Path:
        return self.root / "instance"

    @property
    def log_path(self) -> Path:
        return self.root / "server-output.log"

    @property
    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ORGANISE_", "DATABASE_URL"))
        }
        env["ORGANISE_INSTANCE_DIR"] = str(self.instance_dir)
        env.update(self.extra_env)
        return env

    def run_cli(
        self, *args: str, input_text: str | None = None, make_instance: bool = True
    ) -> subprocess.CompletedProcess:
        """Run an `organise` command against the same instance and database.

        Only `serve`, `migrate` and `init` create an instance; for any other command the
        instance is made first (by `organise init`) if the server has not made it yet, unless
        `make_instance` is False.
        """
        if (
            make_instance
            and args[:1] not in (("serve",), ("migrate",), ("init",))
            and not (self.instance_dir / "keystore.sqlite3").exists()
        ):
            self.run_cli("init")
        return subprocess.run(
            [sys.executable, "-m", "organise", *args],
            env=self.env,
            cwd=self.root,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def passphrase_file(self, username: str) -> Path:
        """The file holding the passphrase of an account made by `create_organiser`."""
        return self.root / f"passphrase-{username}"

    def create_organiser(self, username: str, role: str = "admin") -> Path:
        """`organise organiser create` with the shared test passphrase, through the CLI;
        returns the file holding the passphrase (for `--passphrase-file`)."""
        from tests.support import PASSPHRASE

        passphrase_file = self.passphrase_file(username)
        passphrase_file.write_text(PASSPHRASE + "\n")
        result = self.run_cli(
            "organiser",
            "create",
            username,
            "--role",
            role,
            "--passphrase-file",
            str(passphrase_file),
        )
        if result.returncode != 0:
            raise RuntimeError(f"organiser create failed: {result.stderr}")
        return passphrase_file

    def campaign_owner(self, username: str = "campaign-owner") -> str:
        """The account that owns the campaigns a test makes through the CLI (made on first
        use; `--owner` and `--organiser` take its name)."""
        if not self.passphrase_file(username).exists():
            self.create_organiser(username, "organiser")
        return username

    @classmethod
    def answering_at(cls, root: Path, env: Callable[[str], dict[str, str]]) -> LiveServer:
        """A server on a free port whose settings name its own address: `env(its url)`."""
        port = free_port()
        return cls(root, port=port, extra_env=env(f"http://127.0.0.1:{port}"))

    def create_campaign(
        self,
        slug: str,
        *,
        threshold: int,
        title: str | None = None,
        demand: str = "We will not build it.",
        days: float = 30,
        **options: str | bool,
    ) -> dict[str, Any]:
        """`organise campaign create` with what every campaign needs (owned by `campaign_owner`),
        and `options` (`cooling_off="0"` is `--cooling-off 0`, `share_links=True` is
        `--share-links`); the campaign it prints."""
        args = [
            "campaign", "create", "--slug", slug, "--title", title or f"Campaign {slug}",
            "--demand", demand, "--threshold", str(threshold), "--deadline", deadline_in(days),
            "--owner", self.campaign_owner(),
        ]  # fmt: skip
        for name, value in options.items():
            flag = f"--{name.replace('_', '-')}"
            if isinstance(value, bool):
                args += [flag] if value else []
            else:
                args += [flag, value]
        result = self.run_cli(*args)
        if result.returncode != 0:
            raise RuntimeError(f"campaign create failed: {result.stderr}")
        return json.loads(result.stdout)

    def invite_codes(self, slug: str, count: int, organiser: str | None = None) -> list[str]:
        """`organise campaign invites`, by `organiser` (the campaign's owner unless named)."""
        result = self.run_cli(
            "campaign", "invites", slug, "--count", str(count),
            "--organiser", organiser or self.campaign_owner(),
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"campaign invites failed: {result.stderr}")
        return result.stdout.split()

    def start(self) -> LiveServer:
        self.root.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "organise",
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=self.env,
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"organise serve exited early:\n{self.output()}")
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"organise serve did not answer within {STARTUP_SECONDS} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def command_line_on(settings: Settings) -> LiveServer:
    """The `organise` command against a test's own database and instance directory (keystore
    included), for `run_cli` only: no server is started."""
    return LiveServer(
        settings.instance_dir.parent, extra_env={"DATABASE_URL": settings.database_url}
    )


def racing_servers(root: Path, database_url: str, **settings: str) -> tuple[LiveServer, LiveServer]:
    """Two `organise serve` processes (not started yet) on one instance directory (one keystore,
    one secret key) and one database, with `settings` (environment variables): their writers
    really race."""
    root.mkdir(parents=True, exist_ok=True)
    env = {"DATABASE_URL": database_url, **settings}
    return LiveServer(root, extra_env=env), LiveServer(root, extra_env=env)


@contextlib.contextmanager
def running(*servers: LiveServer) -> Iterator[list[str]]:
    """The servers started, and stopped on leaving (whatever happened); their addresses."""
    try:
        for server in servers:
            server.start()
        yield [server.url for server in servers]
    finally:
        for server in servers:
            server.stop()


async def twice_at_once(
    urls: list[str],
    send: Callable[[httpx.AsyncClient, str, int], Awaitable[httpx.Response]],
    pairs: int,
) -> list[tuple[httpx.Response, httpx.Response]]:
    """`send(client, url, number)` for every number below `pairs`, each twice at the same
    moment, once to each of the two servers at `urls`."""
    limits = httpx.Limits(max_connections=4 * pairs, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def pair(number: int) -> tuple[httpx.Response, httpx.Response]:
            first, second = await asyncio.gather(
                send(client, urls[0], number), send(client, urls[1], number)
            )
            return first, second

        return list(await asyncio.gather(*(pair(number) for number in range(pairs))))
