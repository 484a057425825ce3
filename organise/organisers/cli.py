"""`organise organiser ...`: account management from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from organise.bootstrap import run_with_database
from organise.organisers import accounts
from organise.organisers.errors import AccountError
from organise.organisers.models import Role
from organise.organisers.passphrases import check_passphrase
from organise.settings import Settings


def _read_passphrase(passphrase_file: Path | None, username: str) -> str:
    if passphrase_file is not None:
        text = passphrase_file.read_text(encoding="utf-8")
        return text[:-1] if text.endswith("\n") else text
    while True:
        passphrase = click.prompt("Passphrase", hide_input=True, confirmation_prompt=True)
        try:
            check_passphrase(passphrase, username=username)
        except AccountError as error:
            click.echo(str(error), err=True)
            continue
        return passphrase


@click.group()
def organiser() -> None:
    """Manage organiser accounts."""


@organiser.command("create")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    required=True,
    help="admin: everything; organiser: campaigns; reviewer: reports.",
)
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the passphrase from this file (one line) instead of prompting.",
)
def create(username: str, role: str, passphrase_file: Path | None) -> None:
    """Create an organiser account with a passphrase and its own key pair."""
    passphrase = _read_passphrase(passphrase_file, username)

    async def create_account(_settings: Settings) -> str:
        organiser = await accounts.create_organiser(username, Role(role), passphrase)
        return organiser.username

    try:
        check_passphrase(passphrase, username=username)
        name = run_with_database(create_account)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {role} account {name!r}. Sign in at /organisers/login.")
