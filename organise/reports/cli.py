"""`organise recount`: rebuild the dashboard's maintained report counts from the reports."""

from __future__ import annotations

import click
from tortoise.transactions import in_transaction

from organise.bootstrap import run_with_runtime
from organise.reports import tally
from organise.runtime import Runtime


async def _recount(_runtime: Runtime) -> tuple[int, bool]:
    async with in_transaction() as connection:
        # The technology lists first: the dashboard reads them beside the cells.
        relisted = await tally.repair_technology_lists(connection)
        off = await tally.rebuild(connection)
        cells = await tally.cell_count(connection)
    return cells, off == 0 and relisted == 0


@click.command()
def recount() -> None:
    """Recount the reports behind the dashboard's counts, and say whether anything was off.

    The counts are kept up to date with every report; this is for after restoring part of a
    backup, editing the database by hand, or changing the technology groups. Each report's
    copy of its technology list is put right from its link rows first. Reports submitted
    meanwhile wait until it is done (about a minute with a million reports on a quiet
    two-core machine, when every count has to be written).
    """
    cells, unchanged = run_with_runtime(_recount)
    click.echo(f"Recounted: {cells} cells.")
    click.echo(
        "They were already right." if unchanged else "Some counts were off and are now right."
    )
