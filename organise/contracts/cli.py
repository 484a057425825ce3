"""`organise import atlas PATH`: public records into the contract database."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from organise.bootstrap import run_with_runtime
from organise.contracts.atlas import AtlasFormatError, ImportSummary, import_atlas


async def _import_with_progress(path: Path, size: int) -> ImportSummary:
    with click.progressbar(
        length=size,
        label="Importing",
        file=sys.stderr,
        show_percent=True,
    ) as bar:
        return await import_atlas(path, progress=bar.update)


def _report(summary: ImportSummary, seconds: float) -> None:
    click.echo(f"Rows read:          {summary.rows_read}")
    click.echo(f"Contracts created:  {summary.created}")
    click.echo(f"Contracts updated:  {summary.updated}")
    click.echo(f"Rows skipped:       {summary.skipped_total}")
    for reason, count in sorted(summary.skipped.items()):
        click.echo(f"  {count:6d}  {reason}")
    click.echo(f"Employers created:  {summary.employers_created}")
    if summary.links_dropped:
        dropped = sum(summary.links_dropped.values())
        click.echo(f"Links left out:     {dropped}")
        for reason, count in sorted(summary.links_dropped.items()):
            click.echo(f"  {count:6d}  {reason}")
    if summary.dates_not_understood:
        click.echo(
            f"Link dates not understood (kept without a date): {summary.dates_not_understood}"
        )
    click.echo(f"Done in {seconds:.1f} s.")
    click.echo("Data: Atlas of Surveillance (EFF and the Reynolds School of Journalism).")


@click.group("import")
def import_group() -> None:
    """Import public records into the contract database."""


@import_group.command("atlas")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def atlas(path: Path) -> None:
    """Import an Atlas of Surveillance CSV export as public-record contracts.

    Importing the same file again updates the records it created (matched by AOSNUMBER)
    instead of adding copies. The import runs in one transaction: all or nothing.
    """
    started = time.monotonic()
    try:
        size = path.stat().st_size
        summary = run_with_runtime(lambda _runtime: _import_with_progress(path, size))
    except AtlasFormatError as error:
        raise click.ClickException(str(error)) from None
    _report(summary, time.monotonic() - started)
