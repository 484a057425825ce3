"""Fixtures of the shared keystore: a KEK directory on tmpfs, and the keystore database."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import pytest

from crypto import epochwrap
from organise.keystore.keks import KekRing, kek_file_name
from organise.keystore.shared import SharedKeystore
from tests.conftest import ON_POSTGRES, drop_keystore_database, fresh_keystore_database

SHM = Path("/dev/shm")  # noqa: S108 -- a tmpfs on purpose: where KEK files belong


def place_kek(directory: Path, epoch: int, kek: bytes | None = None) -> bytes:
    """What the secret manager does: the epoch's key as hex in a 0400 file."""
    kek = kek or epochwrap.new_kek()
    path = directory / kek_file_name(epoch)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "w") as handle:
        handle.write(kek.hex() + "\n")
    return kek


@pytest.fixture
def kek_dir(tmp_path):
    """A fresh directory on tmpfs (/dev/shm) when there is one, else under tmp_path."""
    base = SHM if SHM.is_dir() and os.access(SHM, os.W_OK) else tmp_path
    directory = base / f"organise-test-keks-{uuid.uuid4().hex}"
    directory.mkdir(mode=0o700)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def keystore_url():
    if not ON_POSTGRES:
        pytest.skip("the shared keystore needs ORGANISE_TEST_DATABASE_URL (PostgreSQL)")
    url = asyncio.run(fresh_keystore_database())
    yield url
    asyncio.run(drop_keystore_database())


@pytest.fixture
def shared(keystore_url, kek_dir):
    """A shared keystore, new, on epoch 1 (no background reports: tests report by hand)."""
    asyncio.run(fresh_keystore_database())
    place_kek(kek_dir, 1)
    keystore = SharedKeystore.connect(keystore_url, KekRing(kek_dir), report=False)
    yield keystore
    keystore.close()
