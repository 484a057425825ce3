"""What every command does first: read settings, make the instance, migrate (and seed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from tortoise import Tortoise

from organise.contracts.employers import seed_employers
from organise.db import migrate, tortoise_config
from organise.instance import missing_parts, prepare_instance
from organise.keystore.opening import open_shared
from organise.keystore.shared import SharedKeystore
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.runtime import Runtime, open_runtime
from organise.settings import Settings, SettingsError


def load_settings() -> Settings:
    try:
        return Settings.from_environ()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


class KeystoreMissing(click.ClickException):
    """The database has accounts but the keystore is brand new: the right one is elsewhere."""


async def refuse_replaced_keystore(settings: Settings, keystore_created: bool) -> None:
    """Stop if a keystore was just created for a database that already has accounts.

    Every code, receipt and pledge key lives in the keystore; silently starting with a fresh
    one would make all of them fail. Call with the ORM connected.
    """
    if keystore_created and await Organiser.exists():
        _discard_stand_in_keystore(settings)


def _discard_stand_in_keystore(settings: Settings) -> None:
    # The stand-in holds only keys made a moment ago; left in place it would hide the problem.
    if settings.shared_keystore:
        with open_shared(settings, report=False) as shared:
            assert isinstance(shared, SharedKeystore)
            shared.discard_all()
        raise KeystoreMissing(
            "The shared keystore (ORGANISE_KEYSTORE_URL) was empty, but the database already "
            "has accounts: every code, receipt and pledge key is in the keystore they were made "
            "with. Point ORGANISE_KEYSTORE_URL at it, or move the keys there first with "
            "`organise keystore migrate`. Refusing to start."
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{settings.keystore_path}{suffix}").unlink(missing_ok=True)
    raise KeystoreMissing(
        f"The keystore {settings.keystore_path} did not exist, but the database already has "
        "accounts: every code, receipt and pledge key is in the missing keystore. Restore it, "
        "or set ORGANISE_KEYSTORE_PATH to where it is. Refusing to start."
    )


class NoInstance(click.ClickException):
    """A command that works on an instance was run where there is none."""


def require_instance(settings: Settings) -> None:
    """Refuse (naming where we looked) unless the instance exists; never create one."""
    missing = missing_parts(settings)
    if not missing:
        return
    looked = ", ".join(str(path) for path in missing)
    raise NoInstance(
        f"There is no Organise instance at {settings.instance_dir} (missing: {looked}). "
        "This command does not create one. Run it from the folder that holds the server's "
        "instance/ directory, or set ORGANISE_INSTANCE_DIR (and DATABASE_URL or "
        "ORGANISE_KEYSTORE_PATH, if the server sets them) to the server's. "
        "To start a new instance here, run `organise init`."
    )


def migrate_database(settings: Settings, *, create: bool = True) -> None:
    """Apply pending migrations; with `create` (serve, migrate, init) make a missing instance,
    otherwise refuse one that is missing (`require_instance`)."""
    if not create:
        require_instance(settings)
    keystore_created = prepare_instance(settings)

    async def migrate_and_check() -> None:
        await migrate(settings)
        await Tortoise.init(config=tortoise_config(settings))
        try:
            await refuse_replaced_keystore(settings, keystore_created)
            # Data every instance starts with (idempotent): the large vendors' employer rows.
            await seed_employers()
        finally:
            await Tortoise.close_connections()

    asyncio.run(migrate_and_check())


T = TypeVar("T")


def run_with_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """For a command: settings, migrations, the runtime (keystore, peppers), then `work`."""
    settings = load_settings()
    migrate_database(settings, create=False)
    runtime = open_runtime(settings)

    async def connected() -> T:
        await Tortoise.init(config=tortoise_config(settings))
        try:
            return await work(runtime)
        finally:
            await Tortoise.close_connections()

    try:
        return asyncio.run(connected())
    finally:
        runtime.close()


def refused(refusal: Refused) -> click.ClickException:
    """A refusal as a command's error: each of its messages on a line (exit 1, no traceback)."""
    return click.ClickException("\n".join(refusal.field_messages().values()))


def run_command(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """`run_with_runtime` for a command whose work may be refused: the refusal ends it."""
    try:
        return run_with_runtime(work)
    except Refused as refusal:
        raise refused(refusal) from None


def read_passphrase(path: Path) -> str:
    """A passphrase from a file (`--passphrase-file`): its text, less one final line break."""
    text = path.read_text(encoding="utf-8")
    return text[:-1] if text.endswith("\n") else text
