"""`organise organiser ...` and `organise token ...`: accounts and API tokens, from a shell."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from organise.bootstrap import run_with_runtime
from organise.organisers import accounts, tokens
from organise.organisers.errors import PassphraseRejected
from organise.organisers.fields import ACCOUNT, API_TOKEN
from organise.organisers.models import Organiser, Role
from organise.organisers.passphrases import check_passphrase
from organise.refusal import Refused
from organise.runtime import Runtime

T = TypeVar("T")


def _read_passphrase(passphrase_file: Path | None, username: str) -> str:
    if passphrase_file is not None:
        text = passphrase_file.read_text(encoding="utf-8")
        return text[:-1] if text.endswith("\n") else text
    while True:
        passphrase = click.prompt("Passphrase", hide_input=True, confirmation_prompt=True)
        try:
            check_passphrase(passphrase, username=username)
        except PassphraseRejected as rejected:
            click.echo(rejected.message, err=True)
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
    try:
        # Every rule that needs no database, checked before the database is touched.
        account = ACCOUNT.read_json({"username": username, "role": role, "passphrase": passphrase})
        check_passphrase(passphrase, username=account["username"])
    except Refused as refusal:
        raise click.ClickException(refusal.message) from None

    async def create_account(_runtime: Runtime) -> str:
        created = await accounts.create_organiser(**account)
        return created.username

    click.echo(f"Created {role} account {_run(create_account)!r}. Sign in at /organisers/login.")


@click.group()
def token() -> None:
    """Create, list and revoke API tokens (sent as `Authorization: Bearer TOKEN`)."""


async def _organiser(username: str) -> Organiser:
    found = await Organiser.get_or_none(username=username.strip().lower())
    if found is None:
        raise click.ClickException(f"There is no organiser called {username!r}.")
    return found


@token.command("create")
@click.argument("username")
@click.option("--name", default="command line", show_default=True, help="A label for the token.")
def create_token(username: str, name: str) -> None:
    """Create a token for USERNAME and print it on standard output (shown only this once)."""
    try:
        values = API_TOKEN.read_json({"name": name})
    except Refused as refusal:
        raise click.ClickException(refusal.message) from None

    async def work(runtime: Runtime) -> str:
        found = await _organiser(username)
        _row, value = await tokens.create_token(
            found, values["name"], secret_key=runtime.secret_key
        )
        return value

    click.echo(_run(work))


@token.command("list")
@click.argument("username")
def list_tokens(username: str) -> None:
    """List USERNAME's tokens: id, creation date, name (never the token itself)."""

    async def work(_runtime: Runtime) -> list[str]:
        rows = await tokens.tokens_of(await _organiser(username))
        return [f"{row.id}  {row.created_at:%Y-%m-%d}  {row.name}" for row in rows]

    for line in _run(work):
        click.echo(line)


@token.command("revoke")
@click.argument("token_id")
def revoke(token_id: str) -> None:
    """Revoke the token with id TOKEN_ID (see `organise token list`)."""

    async def work(_runtime: Runtime) -> bool:
        return await tokens.revoke_token(token_id)

    if not _run(work):
        raise click.ClickException(f"There is no token with id {token_id!r}.")
    click.echo("Revoked.")


def _run(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """`work` with the runtime; a refusal (a name taken, too many tokens) ends the command."""
    try:
        return run_with_runtime(work)
    except Refused as refusal:
        raise click.ClickException(refusal.message) from None
