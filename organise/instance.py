"""The instance directory: database, keystore and secret key, created private on first run."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from organise.keystore.opening import open_keystore
from organise.settings import Settings

SECRET_KEY_BYTES = 32
MAX_SECRET_KEY_BYTES = 64  # the BLAKE2b key limit


def _create_private_file(path: Path, content: bytes) -> None:
    # O_EXCL with mode 0600: the file is never readable by others, not even for an instant.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def prepare_instance(settings: Settings) -> bool:
    """Create the instance directory (0700), the SQLite file and the keystore (0600) if missing.

    Returns True when the keystore was created now (see bootstrap.refuse_replaced_keystore). A
    shared keystore (ORGANISE_KEYSTORE_URL) is created in its database instead, on first open.
    """
    # Everything this process creates (SQLite WAL/SHM files included) is private.
    os.umask(0o077)
    settings.instance_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not settings.shared_keystore:
        settings.keystore_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if settings.is_sqlite:
        database_path = Path(settings.database_url.removeprefix("sqlite://"))
        database_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not database_path.exists():
            with contextlib.suppress(FileExistsError):  # another process made it first
                _create_private_file(database_path, b"")
    keystore, keystore_created = open_keystore(settings, report=False)
    keystore.close()
    return keystore_created


def missing_parts(settings: Settings) -> list[Path]:
    """What an existing instance has and this one lacks: its keystore, its SQLite database.

    Empty when the instance exists. Only `serve`, `migrate` and `init` create what is missing;
    every other command refuses, so that one run from the wrong folder does not quietly make a
    second, empty instance there.
    """
    has_keystore = settings.shared_keystore or settings.keystore_path.exists()
    missing = [] if has_keystore else [settings.keystore_path]
    if settings.is_sqlite:
        database_path = Path(settings.database_url.removeprefix("sqlite://"))
        if not database_path.exists():
            missing.append(database_path)
    return missing


def load_secret_key(settings: Settings) -> bytes:
    """The web layer's secret (keyed hashes of session ids and API tokens).

    Taken from ORGANISE_SECRET_KEY (hex) when set, so that several hosts can share it;
    otherwise from `secret_key` in the instance directory, created on first run.
    """
    if settings.secret_key_hex:
        try:
            key = bytes.fromhex(settings.secret_key_hex)
        except ValueError:
            raise ValueError("ORGANISE_SECRET_KEY must be hexadecimal") from None
        if not SECRET_KEY_BYTES <= len(key) <= MAX_SECRET_KEY_BYTES:
            raise ValueError(
                f"ORGANISE_SECRET_KEY must hold {SECRET_KEY_BYTES} to {MAX_SECRET_KEY_BYTES} bytes"
            )
        return key
    path = settings.instance_dir / "secret_key"
    if not path.exists():
        # Written whole under a temporary name, then linked into place: a process starting at
        # the same moment sees either no file or the complete key, never half of one.
        draft = path.with_name(f".secret_key.{secrets.token_hex(8)}")
        _create_private_file(draft, secrets.token_bytes(SECRET_KEY_BYTES))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process won; use its key
        finally:
            draft.unlink()
    key = path.read_bytes()
    if len(key) != SECRET_KEY_BYTES:
        raise ValueError(f"{path} is damaged: expected {SECRET_KEY_BYTES} bytes")
    return key
