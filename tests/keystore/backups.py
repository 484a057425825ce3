"""A PostgreSQL database's backup (`pg_dump`) and its restoration into a copy of its own,
beside the live database, for as long as a test looks at it."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator


def dump(url: str) -> bytes:
    return subprocess.run(
        ["pg_dump", "--no-owner", url], capture_output=True, check=True, timeout=120
    ).stdout


@contextlib.contextmanager
def restored(url: str, backup: bytes) -> Iterator[str]:
    """The address of a fresh database `<name>_copy` holding `backup`; dropped afterwards."""
    copy_url = url + "_copy"
    name = copy_url.rpartition("/")[2]
    admin = url.rpartition("/")[0] + "/postgres"
    subprocess.run(["psql", "-q", admin, "-c", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
    subprocess.run(["psql", "-q", admin, "-c", f'CREATE DATABASE "{name}"'], check=True)
    try:
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", copy_url],
            input=backup,
            check=True,
            capture_output=True,
        )
        yield copy_url
    finally:
        subprocess.run(["psql", "-q", admin, "-c", f'DROP DATABASE IF EXISTS "{name}"'])
