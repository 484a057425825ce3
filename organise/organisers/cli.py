"""`organise organiser ...` and `organise token ...`: accounts and API tokens, from a shell."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from organise.bootstrap import read_passphrase, run_with_runtime
from organise.organisers import accounts, audit, enrolment, people, tokens
from organise.organisers.fields import ACCOUNT, API_TOKEN, PENDING_ACCOUNT, ROLE_CHANGE
from organise.organisers.models import Organiser
from organise.organisers.passphrases import check_passphrase
from organise.refusal import Refused
from organise.roles import Role
from organise.runtime import Runtime

T = TypeVar("T")


@click.group()
def organiser() -> None:
    """Manage organiser accounts."""


@organiser.command("create")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    required=True,
    help=(
        "admin: accounts; organiser: campaigns; reviewer: reports; "
        "gatekeeper: holds campaign gatekeeper shares, nothing else."
    ),
)
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=(
        "Only for your own account: read your passphrase from this file (one line) and make "
        "the key pair now. For anyone else, leave it out: they get an enrolment code."
    ),
)
def create(username: str, role: str, passphrase_file: Path | None) -> None:
    """Create an account and print its one-time enrolment code (valid 72 hours).

    The holder redeems the code on the sign-in page ("Enrol with a code") and chooses their
    passphrase there: the account's key pair is made then, under a passphrase nobody else
    typed. Check with them, by another channel, the key fingerprint words it shows.
    """
    if passphrase_file is None:
        _create_with_code(username, role)
        return
    if role == Role.GATEKEEPER.value:
        raise click.ClickException(
            "A gatekeeper account is made by enrolment only: leave out --passphrase-file and "
            "give its holder the enrolment code."
        )
    passphrase = read_passphrase(passphrase_file)
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


def _create_with_code(username: str, role: str) -> None:
    try:
        account = PENDING_ACCOUNT.read_json({"username": username, "role": role})
    except Refused as refusal:
        raise click.ClickException(refusal.message) from None

    async def create_account(runtime: Runtime) -> tuple[str, str]:
        created, code = await enrolment.create_pending(
            account["username"], account["role"], pepper=runtime.code_pepper, now=runtime.clock()
        )
        return created.username, code

    name, code = _run(create_account)
    click.echo(f"Created {role} account {name!r}, waiting for its holder to enrol.")
    click.echo("Give its holder this one-time enrolment code (valid 72 hours), privately:")
    click.echo("")
    click.echo(f"    {code}")
    click.echo("")
    click.echo(
        "They enter it at /organisers/enrol with the account name and choose their passphrase. "
        "Then ask them, by another channel, for the fingerprint words the page showed them, "
        "and check them against `organise organiser show " + name + "`. If they are told the "
        "code was already used, someone else enrolled first."
    )


@organiser.command("show")
@click.argument("username")
def show(username: str) -> None:
    """Show an account's role, whether it is enrolled or disabled, and its fingerprint words."""

    async def work(_runtime: Runtime) -> tuple[Organiser, str | None]:
        found = await _organiser(username)
        return found, enrolment.fingerprint(found)

    found, words = _run(work)
    click.echo(f"role: {found.role.value}")
    click.echo(f"enrolled: {'yes' if found.enrolled else 'no'}")
    click.echo(f"disabled: {'yes' if found.disabled else 'no'}")
    click.echo(f"key fingerprint: {words or '(no key yet: waiting for enrolment)'}")


@organiser.command("reissue-code")
@click.argument("username")
def reissue_code(username: str) -> None:
    """A new enrolment code for an account still waiting for its holder (the old one stops)."""

    async def work(runtime: Runtime) -> str:
        found = await _organiser(username)
        if found.public_key is not None:
            raise click.ClickException(f"{found.username!r} has already enrolled.")
        return await enrolment.issue_code(found, pepper=runtime.code_pepper, now=runtime.clock())

    click.echo(_run(work))


@organiser.command("list")
def list_accounts() -> None:
    """Every account: name, role, created (week), last sign-in (week), two-step, campaigns,
    surveys."""

    async def work(_runtime: Runtime) -> list[people.AccountSummary]:
        return await people.list_accounts(None)

    rows = _run(work)
    click.echo("username  role  created  last-sign-in  two-step  state  campaigns  surveys")
    for row in rows:
        state = "disabled" if row.disabled else ("enabled" if row.has_key else "not-enrolled")
        click.echo(
            f"{row.username}  {row.role.value}  {row.created_week.isoformat()}  "
            f"{row.last_sign_in_week.isoformat() if row.last_sign_in_week else '-'}  "
            f"{'on' if row.two_step else 'off'}  {state}  {','.join(row.campaigns) or '-'}  "
            f"{','.join(row.surveys) or '-'}"
        )


def _switch(operation: Callable[..., Awaitable[Organiser]], username: str) -> str:
    """Disable or enable USERNAME from the command line; the account's name."""

    async def work(runtime: Runtime) -> str:
        return (await operation(None, username, now=runtime.clock())).username

    return _run(work)


@organiser.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable an account: its sessions and API tokens stop at once; its key and team places
    are kept for when it is enabled again."""
    name = _switch(people.disable, username)
    click.echo(f"Disabled {name!r}: its sessions and API tokens have ended.")


@organiser.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable a disabled account again (its team places count again)."""
    click.echo(f"Enabled {_switch(people.enable, username)!r}.")


@organiser.command("remove")
@click.argument("username")
def remove(username: str) -> None:
    """Delete an account, its key and its team places (not the last admin, nor a gatekeeper
    of an unfinished campaign)."""

    async def work(runtime: Runtime) -> None:
        await people.remove(None, username, now=runtime.clock())

    _run(work)
    click.echo(f"Removed {username.strip().lower()!r}.")


@organiser.command("reset")
@click.argument("username")
def reset(username: str) -> None:
    """Print a one-time reset code (24 hours) for an account whose holder forgot the passphrase.

    They enter it at /organisers/enrol and get a new passphrase and a new key pair. What was
    sealed to the old key is lost to them, and the account leaves every campaign team until
    each owner re-adds it (see docs/operating.md).
    """

    async def work(runtime: Runtime) -> str:
        return await people.issue_reset(
            None, username, pepper=runtime.code_pepper, now=runtime.clock()
        )

    code = _run(work)
    click.echo("Give its holder this one-time reset code (valid 24 hours), privately:")
    click.echo("")
    click.echo(f"    {code}")
    click.echo("")
    click.echo(
        "They enter it at /organisers/enrol with the account name and choose a new passphrase "
        "(and, with two-step sign-in, its code or a recovery code). They get a new key pair: "
        "check its fingerprint words with them by another channel. The account leaves every "
        "campaign team until each owner re-adds it, and what was sealed to its old key stays "
        "unreadable to it."
    )


@organiser.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice([role.value for role in people.CHANGEABLE_ROLES]))
def change_role(username: str, role: str) -> None:
    """Give an account another role (admin, organiser or reviewer), as an admin does on the
    accounts page; a gatekeeper account stays a gatekeeper, and the last admin stays an admin.

    The command line holds no one's private key, so a new reviewer's or admin's access to the
    report inbox waits for someone who holds it: it is on their list of what waits for them.
    """

    async def work(runtime: Runtime) -> people.GrantOutcome:
        values = ROLE_CHANGE.read_json({"role": role})
        return await people.change_role(
            None,
            username,
            values["role"],
            access=people.InboxAccess(runtime.keystore, None),
            now=runtime.clock(),
        )

    outcome = _run(work)
    name = username.strip().lower()
    click.echo(f"{name!r} is now {role}.")
    if outcome == people.GrantOutcome.PENDING:
        click.echo(
            "Its access to the report inbox waits for someone who holds it: it is on their "
            "list of what waits for them (their account page), where they give it."
        )


@organiser.command("audit")
def audit_log() -> None:
    """The accounts' audit log, newest week first: week, who, what, which account."""

    async def work(_runtime: Runtime) -> list[str]:
        return [
            f"{entry.week.isoformat()}  {entry.actor or '(command line)'}  "
            f"{entry.action.value}  {entry.subject}  {entry.detail}".rstrip()
            for entry in await audit.recent()
        ]

    for line in _run(work):
        click.echo(line)


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
