"""`organise survey ...`: surveys from the command line, for scripting."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from crypto.errors import WrongPassphrase
from organise.bootstrap import read_passphrase, run_command
from organise.i18n import _
from organise.organisers import rekeying
from organise.organisers.models import Organiser
from organise.organisers.team_cli import add_team_commands
from organise.refusal import Refused
from organise.runtime import Runtime
from organise.surveys import definition, invites, lifecycle, release, results_csv, setup, team
from organise.surveys.models import Survey
from organise.surveys.pages import words


async def find_survey(slug: str) -> Survey:
    survey = await Survey.get_or_none(slug=slug.strip().lower())
    if survey is None:
        raise Refused(
            _("There is no survey %(slug)s.") % {"slug": slug}, status=404, code="no_survey"
        )
    return survey


def _definition(path: Path) -> definition.Definition:
    try:
        return definition.parse(path.read_bytes())
    except Refused as refusal:
        raise click.ClickException(
            "\n".join(
                f"{place}: {message}" if place else message
                for place, message in refusal.field_messages().items()
            )
        ) from None


@click.group()
def survey() -> None:
    """Create organising surveys, make invite codes, close them and read the results."""


@survey.command("create")
@click.option("--owner", required=True, help="Account name of the organiser who owns it.")
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The survey's definition (JSON; see docs/surveys.md).",
)
def create(owner: str, path: Path) -> None:
    """Create a survey from a JSON definition; prints {"slug": ...}."""
    checked = _definition(path)

    async def work(runtime: Runtime) -> str:
        made = await setup.create_survey(checked, owner_username=owner, keystore=runtime.keystore)
        return made.slug

    click.echo(json.dumps({"slug": run_command(work)}))


@survey.command("redefine")
@click.argument("slug")
@click.option(
    "--file", "path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def redefine(slug: str, path: Path) -> None:
    """Replace an open survey's definition (what shapes counting: only before the first answer)."""
    checked = _definition(path)

    async def work(runtime: Runtime) -> str:
        found = await find_survey(slug)
        return (await setup.redefine(found, checked, acting=None)).slug

    click.echo(json.dumps({"slug": run_command(work)}))


@survey.command("invites")
@click.argument("slug")
@click.option("--count", required=True, type=int, help="How many codes to make.")
def make_invites(slug: str, count: int) -> None:
    """Print COUNT new single-use invite codes, one per line."""

    async def work(runtime: Runtime) -> list[str]:
        return await invites.generate(await find_survey(slug), count, pepper=runtime.code_pepper)

    for code in run_command(work):
        click.echo(code)


@survey.group("team")
def team_group() -> None:
    """A survey's team: add or remove co-organisers (as its owner does on its page)."""


add_team_commands(
    team_group,
    "survey",
    find_survey,
    team.add_member,
    team.remove_member,
    "they see none of the survey's pages or later texts.",
)


@team_group.command("owner")
@click.argument("slug")
@click.argument("username")
def team_owner(slug: str, username: str) -> None:
    """Assign USERNAME as the owner of a survey that has none, or whose team nobody can
    receive its text answers."""

    async def work(runtime: Runtime) -> Survey:
        return await team.assign_owner(
            await find_survey(slug), username, acting=None, now=runtime.clock()
        )

    made = run_command(work)
    click.echo(json.dumps({"slug": made.slug, "owner": username.strip().lower()}))


@survey.command("close")
@click.argument("slug")
def close(slug: str) -> None:
    """Close the survey now and release its results."""

    async def work(runtime: Runtime) -> bool:
        found = await find_survey(slug)
        return await release.release(found.id, keystore=runtime.keystore, early=True)

    if not run_command(work):
        raise click.ClickException(_("This survey is already closed."))
    click.echo(_("%(slug)s is closed and its results are released.") % {"slug": slug})


@survey.command("results")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
def results(slug: str, fmt: str) -> None:
    """Print the released results (refused before the close)."""

    async def work(runtime: Runtime) -> tuple[Survey, release.tables.Released]:
        found = await find_survey(slug)
        released = release.results_of(found)
        if released is None:
            raise Refused(
                _("The survey %(slug)s has not closed yet: nothing is counted before.")
                % {"slug": slug}
            )
        return found, released

    found, released = run_command(work)
    if fmt == "csv":
        sys.stdout.write(results_csv.results_csv(released, words(found)["option_labels"]))
    else:
        click.echo(
            json.dumps(released.as_json(slug=found.slug, released_at=release.released_at(found)))
        )


@survey.command("answers")
@click.argument("slug")
@click.option("--organiser", "username", required=True, help="Your organiser account name.")
@click.option(
    "--passphrase-file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def answers(slug: str, username: str, passphrase_file: Path) -> None:
    """Print the text answers kept for the team (JSON lines; refused before close or below k)."""
    passphrase = read_passphrase(passphrase_file)

    async def work(runtime: Runtime) -> list[dict[str, str]]:
        found = await find_survey(slug)
        organiser = await Organiser.get_or_none(username=username.strip().lower())
        if organiser is None or not await team.is_on_team(found, organiser):
            raise Refused(
                _("%(name)s is not on the team of the survey %(slug)s.")
                % {"name": username, "slug": slug}
            )
        try:
            private_key = await rekeying.unlock(organiser, passphrase, keystore=runtime.keystore)
        except WrongPassphrase:
            raise Refused(_("Wrong passphrase.")) from None
        return await release.team_texts(
            await Survey.get(id=found.id), private_key, runtime.keystore
        )

    for record in run_command(work):
        click.echo(json.dumps(record, ensure_ascii=False))


@survey.command("tick")
def tick() -> None:
    """Close surveys whose time has come, and end the retention of texts. For cron."""

    async def work(runtime: Runtime) -> dict[str, int]:
        return (await lifecycle.tick(runtime.keystore)).as_dict()

    click.echo(json.dumps(run_command(work)))
