"""`organise token ...`: API tokens from the command line."""

from __future__ import annotations

import click

from organise.bootstrap import run_with_database
from organise.instance import load_secret_key
from organise.organisers import tokens
from organise.organisers.errors import AccountError
from organise.organisers.models import Organiser
from organise.settings import Settings


async def _organiser(username: str) -> Organiser:
    organiser = await Organiser.get_or_none(username=username.strip().lower())
    if organiser is None:
        raise click.ClickException(f"There is no organiser called {username!r}.")
    return organiser


@click.group()
def token() -> None:
    """Create, list and revoke API tokens (sent as `Authorization: Bearer TOKEN`)."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="command line", show_default=True, help="A label for the token.")
def create(username: str, name: str) -> None:
    """Create a token for USERNAME and print it on standard output (shown only this once)."""

    async def work(settings: Settings) -> str:
        organiser = await _organiser(username)
        try:
            _row, value = await tokens.create_token(
                organiser, name, secret_key=load_secret_key(settings)
            )
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        return value

    click.echo(run_with_database(work))


@token.command("list")
@click.argument("username")
def list_tokens(username: str) -> None:
    """List USERNAME's tokens: id, creation date, name (never the token itself)."""

    async def work(_settings: Settings) -> list[str]:
        rows = await tokens.tokens_of(await _organiser(username))
        return [f"{row.id}  {row.created_at:%Y-%m-%d}  {row.name}" for row in rows]

    for line in run_with_database(work):
        click.echo(line)


@token.command("revoke")
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke the token with id TOKEN_ID (see `organise token list`)."""

    async def work(_settings: Settings) -> bool:
        return await tokens.revoke_token(token_id)

    if not run_with_database(work):
        raise click.ClickException(f"There is no token with id {token_id!r}.")
    click.echo("Revoked.")
