"""`organise keystore status|rotate|migrate`: the keystore's epochs, hosts and home."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import click

from crypto.errors import KeystoreError
from crypto.keystore import Keystore
from organise.bootstrap import load_settings
from organise.keystore.keks import KekRing
from organise.keystore.opening import open_keystore, open_shared
from organise.keystore.shared import Retirement, SharedKeystore, Status
from organise.settings import Settings


def _shared(settings: Settings) -> SharedKeystore:
    if not settings.shared_keystore:
        raise click.ClickException(
            "This instance uses the file keystore "
            f"({settings.keystore_path}); epochs and rotation belong to the shared keystore "
            "(ORGANISE_KEYSTORE_URL and ORGANISE_KEYSTORE_KEK_DIR, docs/operating.md)."
        )
    try:
        return open_shared(settings, report=False)
    except KeystoreError as error:
        raise click.ClickException(str(error)) from None


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _status_dict(status: Status) -> dict[str, object]:
    lagging = set(status.lagging())
    return {
        "current_epoch": status.current.epoch if status.current else None,
        "rotation_due": _when(status.rotation_due),
        "overdue": status.overdue,
        "kek_dir_in_memory": status.kek_dir_in_memory,
        "held_here": list(status.held_here),
        "epochs": [
            {
                "epoch": row.epoch,
                "named_current": _when(row.named_at),
                "retired": _when(row.retired_at) if row.retired_at else None,
                "entries": row.entries,
            }
            for row in status.epochs
        ],
        "hosts": [
            {
                "host": host.host,
                "epochs": list(host.epochs),
                "reported": _when(host.reported_at),
                "live": host.live,
                "moved_to_current": host.live and host.host not in lagging,
            }
            for host in status.hosts
        ],
    }


def _print_status(status: Status) -> None:
    current = status.current
    if current is None:
        click.echo("No epoch yet.")
        return
    click.echo(f"Current epoch: {current.epoch}, named {_when(current.named_at)}.")
    if status.overdue:
        click.echo(
            f"ROTATION OVERDUE: due {_when(status.rotation_due)} (every "
            f"{status.rotation_days} days). Deleted keys stay readable in backups of the "
            "keystore database until the next rotation."
        )
    else:
        click.echo(f"Next rotation due {_when(status.rotation_due)}: not overdue.")
    if not status.kek_dir_in_memory:
        click.echo("WARNING: this host's key-encryption key directory is not on tmpfs.")
    click.echo(f"This host holds epochs: {', '.join(map(str, status.held_here)) or 'none'}.")
    click.echo("Epochs:")
    for row in status.epochs:
        state = f"retired {_when(row.retired_at)}" if row.retired_at else "in use"
        click.echo(f"  {row.epoch}: named {_when(row.named_at)}, {state}, {row.entries} entries")
    lagging = set(status.lagging())
    click.echo("Hosts (a report older than five minutes has expired and blocks nothing):")
    if not status.hosts:
        click.echo("  none reporting")
    for host in status.hosts:
        state = "expired" if not host.live else ("behind" if host.host in lagging else "moved")
        epochs = ", ".join(map(str, host.epochs)) or "none"
        click.echo(f"  {host.host}: epochs {epochs}; {_when(host.reported_at)}; {state}")


@click.group()
def keystore() -> None:
    """The keystore: its epochs and hosts (`status`), rotation (`rotate`), moving it (`migrate`).

    `rotate` and `status` concern the shared keystore on PostgreSQL (ORGANISE_KEYSTORE_URL,
    with ORGANISE_KEYSTORE_KEK_DIR); `migrate` moves any instance's keys. See
    docs/operating.md, "More than one machine".
    """


@keystore.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
def status(as_json: bool) -> None:
    """Show the epochs, which live host holds which (and whether each has moved to the current
    one), and whether rotation is overdue."""
    with _shared(load_settings()) as shared:
        assert isinstance(shared, SharedKeystore)
        found = shared.status()
    if as_json:
        click.echo(json.dumps(_status_dict(found)))
    else:
        _print_status(found)


def _print_retirement(done: Retirement) -> None:
    if done.rewrapped:
        click.echo(f"Re-wrapped {done.rewrapped} entries under the current epoch.")
    for epoch in done.retired:
        click.echo(
            f"Epoch {epoch} is retired: no entry is left under it and its key-encryption key "
            "is destroyed on this host (the other hosts destroy theirs at their next report). "
            "Remove it from the secret manager as well."
        )


def _print_retired_elsewhere(before: Status, after: Status, done: Retirement) -> None:
    """Epochs another host's report retired while this command ran (each host finishes a
    rotation it finds ready): said as if this command had done it."""
    was_open = {row.epoch for row in before.epochs if row.retired_at is None}
    for row in after.epochs:
        if row.epoch in was_open and row.retired_at is not None and row.epoch not in done.retired:
            _print_retirement(Retirement(retired=[row.epoch]))


@keystore.command()
@click.option(
    "--epoch",
    type=click.IntRange(1, 2**63 - 1),
    help="The epoch to name current (default: the current one plus 1).",
)
@click.option(
    "--wait",
    type=click.IntRange(0, 3600),
    default=0,
    show_default=True,
    help="Seconds to wait for every live host to move before giving up (exit 1).",
)
def rotate(epoch: int | None, wait: int) -> None:
    """Name the next epoch current, re-wrap every entry under it, and destroy the old key.

    First place the new epoch's key-encryption key on every host (ORGANISE_KEYSTORE_KEK_DIR,
    file epoch-N.kek); each host reports what it holds every minute. The old key is destroyed
    once every live host has moved and a final pass finds no entry left under it; until then,
    running `rotate` again (or any host's next report) finishes the job.
    """
    with _shared(load_settings()) as shared:
        assert isinstance(shared, SharedKeystore)
        try:
            before = shared.status()
            if before.retiring and epoch is None:
                named = before.current.epoch if before.current else "?"
                click.echo(f"Finishing the rotation to epoch {named}.")
            else:
                current = before.current.epoch if before.current else 0
                chosen = epoch if epoch is not None else current + 1
                shared.name_current(chosen)
                click.echo(f"Epoch {chosen} is now current: every write uses it.")
            deadline = time.monotonic() + wait
            while True:
                done = shared.finish_rotation()
                _print_retirement(done)
                if not done.waiting_for:
                    _print_retired_elsewhere(before, shared.status(), done)
                    return
                if time.monotonic() >= deadline:
                    break
                time.sleep(min(5, shared.report_seconds))
        except KeystoreError as error:
            raise click.ClickException(str(error)) from None
    message = (
        "The old key-encryption key is kept until these live hosts have moved: "
        f"{', '.join(done.waiting_for)}. Run `organise keystore rotate` again later; a host's "
        "next report also finishes it."
    )
    if wait:
        raise click.ClickException(message)
    click.echo(message)


def _open_target(to: str, kek_dir: Path | None, settings: Settings) -> Keystore:
    if to.startswith(("postgres://", "postgresql://")):
        directory = kek_dir or settings.keystore_kek_dir
        if directory is None:
            raise click.ClickException(
                "--to a PostgreSQL keystore needs --kek-dir (or ORGANISE_KEYSTORE_KEK_DIR): "
                "the directory holding epoch-1.kek."
            )
        return SharedKeystore.connect(
            to,
            KekRing(directory.resolve()),
            rotation_days=settings.keystore_rotation_days,
            report=False,
        )
    if to.startswith("sqlite://"):
        path = Path(to.removeprefix("sqlite://"))
        if path.exists() and path.stat().st_size:
            raise click.ClickException(f"{path} already exists: migrate into a new file only.")
        return Keystore.open(path)
    raise click.ClickException("--to must start with postgres:// or sqlite://")


@keystore.command()
@click.option("--to", "to", required=True, help="postgres://... (shared) or sqlite:///path (file).")
@click.option(
    "--kek-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="For a PostgreSQL target: where its key-encryption keys are (default: "
    "ORGANISE_KEYSTORE_KEK_DIR).",
)
def migrate(to: str, kek_dir: Path | None) -> None:
    """Copy every key of this instance's keystore into a new, empty one at --to.

    Stop every server first: a key written after the copy would be missing from the new
    keystore. Then point the servers at the new one and destroy the old one: until it is
    destroyed it still opens every key it held, even those deleted later.
    """
    settings = load_settings()
    if to == settings.keystore_url:
        raise click.ClickException("--to names the keystore this instance already uses.")
    if not settings.shared_keystore and not settings.keystore_path.exists():
        raise click.ClickException(f"There is no keystore at {settings.keystore_path}.")
    try:
        source, _ = open_keystore(settings, report=False)
        with source:
            keys = source.get_many(source.names())
        with _open_target(to, kek_dir, settings) as target:
            if target.names():
                raise click.ClickException(
                    "The target keystore already holds keys: migrate into an empty one only."
                )
            target.put_many(keys)
            copied = len(target.names())
    except KeystoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Copied {copied} keys.")
    if to.startswith(("postgres://", "postgresql://")):
        click.echo(
            "Now set ORGANISE_KEYSTORE_URL and ORGANISE_KEYSTORE_KEK_DIR on every host, start "
            "the servers, and destroy the old keystore."
        )
    else:
        click.echo(
            "Now unset ORGANISE_KEYSTORE_URL, set ORGANISE_KEYSTORE_PATH to the new file, start "
            "the server, and destroy the old keystore's entries."
        )
