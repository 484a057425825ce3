"""`organise campaign ...`: campaigns from the command line, for scripting."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

import click

from crypto.errors import EnvelopeError, StreamError, WrongPassphrase
from organise.bootstrap import read_passphrase, refused, run_command
from organise.campaigns import (
    csv_export,
    deadlines,
    gatekeeping,
    heldshares,
    invites,
    operations,
    policy,
    release,
    standing,
    team,
)
from organise.campaigns.fields import CAMPAIGN, EXTEND, MAX_BATCH
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    InviteMode,
    LifecycleEvent,
    ProgressDisplay,
)
from organise.campaigns.setup import ShareDelivery, create_campaign, spec_from_values
from organise.i18n import _
from organise.organisers import rekeying
from organise.organisers.models import Organiser
from organise.organisers.team_cli import add_team_commands
from organise.refusal import Refused
from organise.runtime import Runtime


async def _campaign(slug: str) -> Campaign:
    campaign = await Campaign.get_or_none(slug=slug.strip().lower())
    if campaign is None:
        raise Refused(
            _("There is no campaign %(slug)s.") % {"slug": slug}, status=404, code="no_campaign"
        )
    return campaign


async def _team_member(campaign: Campaign, username: str) -> Organiser:
    """The account named `username`, if it is on the campaign's team (whatever its role)."""
    organiser = await Organiser.get_or_none(username=username.strip().lower())
    if organiser is None or not await team.is_on_team(campaign, organiser):
        raise Refused(
            _(
                "%(name)s is not on the team of the campaign %(slug)s: only its team can do this "
                "(an administrator's role gives no access to a campaign)."
            )
            % {"name": username, "slug": campaign.slug}
        )
    return organiser


@click.group()
def campaign() -> None:
    """Create threshold pledge campaigns, make invite codes, hand in shares, read reveals."""


# Five languages of a demand at its longest, with room to spare.
MAX_TRANSLATIONS_CHARS = 512 * 1024


@campaign.command("create")
@click.option("--slug", required=True, help="Short name used in the campaign's address.")
@click.option("--title", required=True)
@click.option("--demand", required=True, help="The demand, plain text (blank line = paragraph).")
@click.option(
    "--translations",
    "translations_file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help='A JSON file of the title and demand in the site\'s other languages: {"fr": {"title": '
    '"...", "demand": "..."}}. --title and --demand are in the default language.',
)
@click.option("--threshold", required=True, type=int, help="Pledges needed before any reveal.")
@click.option(
    "--owner",
    required=True,
    help="Account name of the organiser who owns the campaign (must hold its own key).",
)
@click.option("--deadline", required=True, help="ISO 8601 date-time; UTC if no zone is given.")
@click.option("--employer", default="", help="The employer the campaign concerns.")
@click.option("--contract", default="", help="The contract it concerns, if one.")
@click.option(
    "--cooling-off",
    "cooling_off",
    type=int,
    default=policy.DEFAULT_COOLING_OFF_HOURS,
    show_default=True,
    help="Hours between reaching the threshold and the reveal (0 allowed).",
)
@click.option(
    "--audience",
    type=click.Choice([a.value for a in Audience]),
    default=Audience.ORGANISERS.value,
    show_default=True,
)
@click.option(
    "--invite-mode",
    type=click.Choice([m.value for m in InviteMode]),
    default=InviteMode.INVITE.value,
    show_default=True,
    help="open: anyone may sign -- fake pledges could then force an early reveal.",
)
@click.option("--onward-invites", type=int, default=0, help="Codes each signer gets to pass on.")
@click.option(
    "--invite-depth",
    type=int,
    default=policy.DEFAULT_INVITE_DEPTH,
    show_default=True,
    help="How many times onward codes chain (0-3): a pledge signed with a code of generation "
    "g gets onward codes only while g < D. One leaked code adds at most 1 + K + ... + K^D.",
)
@click.option(
    "--accept-chain-risk",
    is_flag=True,
    help="Create the campaign even though one leaked code could reach the threshold.",
)
@click.option(
    "--keep-revealed",
    "keep_revealed",
    type=int,
    default=policy.DEFAULT_KEEP_REVEALED_DAYS,
    show_default=True,
    help="Days the revealed lists stay readable on the server after the reveal; then they are "
    "destroyed.",
)
@click.option(
    "--progress",
    type=click.Choice([p.value for p in ProgressDisplay]),
    default=ProgressDisplay.EXACT.value,
    show_default=True,
)
@click.option("--gatekeepers", default=None, help="K/N: K of N gatekeepers must hand in shares.")
@click.option(
    "--server-required",
    is_flag=True,
    help="With --gatekeepers: the server's share AND K gatekeepers (otherwise any K of N+1 "
    "holders, the server counting as one).",
)
@click.option(
    "--gatekeeper-accounts",
    default="",
    help="With --gatekeepers K/N: N enrolled gatekeeper accounts (alice,bob,carol). Each share "
    "is sealed to its account's own key and shown to nobody.",
)
@click.option(
    "--share-links",
    is_flag=True,
    help="With --gatekeepers: deal each share through a one-time link (printed, to be handed "
    "out) instead of printing the shares. Without either option, the shares are printed for "
    "paper sheets (offline use): whoever runs this command then sees every share.",
)
def create(
    slug: str,
    title: str,
    demand: str,
    threshold: int,
    owner: str,
    deadline: str,
    employer: str,
    contract: str,
    cooling_off: int,
    audience: str,
    invite_mode: str,
    onward_invites: int,
    invite_depth: int,
    accept_chain_risk: bool,
    keep_revealed: int,
    progress: str,
    gatekeepers: str | None,
    server_required: bool,
    gatekeeper_accounts: str = "",
    share_links: bool = False,
    translations_file: TextIO | None = None,
) -> None:
    """Create a campaign; prints one JSON object (with gatekeeper shares, shown only now)."""
    translations: object = None
    if translations_file is not None:
        try:
            text = translations_file.read(MAX_TRANSLATIONS_CHARS + 1)
        except UnicodeDecodeError:
            raise click.BadParameter("not UTF-8 text", param_hint="--translations") from None
        if len(text) > MAX_TRANSLATIONS_CHARS:
            raise click.BadParameter("the file is too large", param_hint="--translations")
        try:
            translations = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            raise click.BadParameter("not valid JSON", param_hint="--translations") from None
    try:
        gate = policy.policy_from_choice(gatekeepers, server_required=server_required)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--gatekeepers") from None
    options = {
        "slug": slug,
        "title": title,
        "demand": demand,
        "translations": translations,
        "employer": employer,
        "contract": contract,
        "threshold": threshold,
        "deadline": deadline,
        "cooling_off_hours": cooling_off,
        "audience": audience,
        "invite_mode": invite_mode,
        "onward_invites": onward_invites,
        "invite_depth": invite_depth,
        "accept_chain_risk": accept_chain_risk,
        "keep_revealed_days": keep_revealed,
        "progress_display": progress,
        "gate_mode": gate.mode,
        "gatekeepers": gate.gatekeepers,
        "gatekeepers_required": gate.threshold,
    }
    try:
        # The organiser's form's rules and limits, checked before anything is opened.
        spec = spec_from_values(CAMPAIGN.read_json(options))
    except Refused as refusal:
        raise refused(refusal) from None

    named = tuple(heldshares.parse_usernames(gatekeeper_accounts))
    if (named or share_links) and not gatekeepers:
        raise click.BadParameter("needs --gatekeepers K/N", param_hint="--gatekeeper-accounts")
    if named and share_links:
        raise click.BadParameter("choose accounts or links, not both", param_hint="--share-links")
    delivery = ShareDelivery(gatekeeper_accounts=named, links=share_links)

    async def work(runtime: Runtime) -> dict[str, object]:
        account = await team.team_account(owner, field="owner")
        created = await create_campaign(
            spec,
            owner=account,
            keystore=runtime.keystore,
            pepper=runtime.code_pepper,
            delivery=delivery,
        )
        made = created.campaign
        output: dict[str, object] = {
            "slug": made.slug,
            "id": str(made.id),
            "state": made.state.value,
            "threshold": made.threshold,
            "deadline": made.deadline.isoformat(),
            "gate": policy.gate_description(gate),
            "owner": account.username,
            "invite_chain": policy.campaign_chain_risk(made).text,
        }
        if created.holders:
            output["gatekeeper_accounts"] = [
                {"account": h.username, "fingerprint": h.fingerprint} for h in created.holders
            ]
        elif created.share_links:
            # Full addresses on ORGANISE_PUBLIC_URL; without it, paths on this site to prefix
            # with its address. Each link shows its share once.
            base = runtime.settings.public_url or ""
            output["share_links"] = [f"{base}/shares/{secret}" for secret in created.share_links]
        elif gatekeepers:
            output["gatekeeper_shares"] = list(created.gatekeeper_shares)
        return output

    click.echo(json.dumps(run_command(work)))


@campaign.command("invites")
@click.argument("slug")
@click.option("--count", required=True, type=click.IntRange(1, MAX_BATCH))
@click.option(
    "--organiser", "username", required=True, help="Your account name: on the campaign's team."
)
@click.option(
    "--batch",
    default="",
    help="A name for this batch (your team's label, never on a slip), to revoke it together.",
)
def make_invites(slug: str, count: int, username: str, batch: str) -> None:
    """Print COUNT fresh single-use invite codes, one per line (shown only now)."""

    async def work(runtime: Runtime) -> list[str]:
        made = await _campaign(slug)
        await _team_member(made, username)
        return await invites.generate(made, count, pepper=runtime.code_pepper, batch=batch)

    for code in run_command(work):
        click.echo(code)


_ORGANISER = click.option(
    "--organiser", "username", required=True, help="Your account name: on the campaign's team."
)


@campaign.command("revoke")
@click.argument("slug")
@click.option("--code", default="", help="One invite code to revoke.")
@click.option("--batch", default="", help="The name of a batch whose codes are all revoked.")
@_ORGANISER
def revoke(slug: str, code: str, batch: str, username: str) -> None:
    """Revoke one invite code or a whole batch: refused from now on, like a used code.

    The answer is the same whether or not a code was already used.
    """
    if bool(code) == bool(batch):
        raise click.UsageError("give either --code or --batch")

    async def work(runtime: Runtime) -> None:
        made = await _campaign(slug)
        acting = await _team_member(made, username)
        if batch:
            await invites.revoke_batch(made, batch, acting=acting)
        else:
            await invites.revoke_code(made, code, acting=acting, pepper=runtime.code_pepper)

    run_command(work)
    click.echo(_("Revoked: nobody can sign with these codes now."))


@campaign.command("stop")
@click.argument("slug")
@click.option(
    "--yes",
    "confirmed",
    is_flag=True,
    help="Confirm: every pledge is destroyed unread, for good, and the campaign ends.",
)
@_ORGANISER
def stop(slug: str, confirmed: bool, username: str) -> None:
    """Stop a campaign now: every pledge destroyed unread, exactly as at an expired deadline."""
    if not confirmed:
        raise click.UsageError(
            "stopping destroys every pledge unread, for good: add --yes to confirm"
        )

    async def work(runtime: Runtime) -> Campaign:
        made = await _campaign(slug)
        acting = await _team_member(made, username)
        return await operations.stop(made, acting=acting, keystore=runtime.keystore)

    stopped = run_command(work)
    click.echo(
        json.dumps(
            {
                "slug": stopped.slug,
                "state": stopped.state.value,
                "stopped": True,
                "destroyed_unread": stopped.destroyed_count,
            }
        )
    )


@campaign.command("extend")
@click.argument("slug")
@click.option("--deadline", required=True, help="ISO 8601, at least 24 hours from now.")
@_ORGANISER
def extend(slug: str, deadline: str, username: str) -> None:
    """Move the deadline later. Pledges signed so far keep theirs unless their signers opt in."""
    try:
        when = EXTEND.read_json({"deadline": deadline})["deadline"]
    except Refused as refusal:
        raise refused(refusal) from None

    async def work(runtime: Runtime) -> Campaign:
        made = await _campaign(slug)
        acting = await _team_member(made, username)
        return await deadlines.extend_deadline(made, when, acting=acting)

    moved = run_command(work)
    click.echo(
        json.dumps(
            {
                "slug": moved.slug,
                "deadline": moved.deadline.isoformat(),
                "deadline_moved_from": _iso(moved.deadline_moved_from),
            }
        )
    )


@campaign.command("archive")
@click.argument("slug")
@_ORGANISER
def archive(slug: str, username: str) -> None:
    """Take a finished campaign off the campaign lists (its pages stay)."""

    async def work(runtime: Runtime) -> Campaign:
        made = await _campaign(slug)
        acting = await _team_member(made, username)
        return await operations.archive(made, acting=acting)

    run_command(work)
    click.echo(_("%(slug)s is archived.") % {"slug": slug})


def _open_private(path: Path) -> TextIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


@campaign.command("reveal")
@click.argument("slug")
@click.option("--organiser", "username", required=True, help="Your organiser account name.")
@click.option(
    "--passphrase-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the CSV here (mode 0600) instead of standard output.",
)
def reveal_command(slug: str, username: str, passphrase_file: Path, out: Path | None) -> None:
    """Write a revealed campaign's pledges as CSV (refused before the reveal)."""
    passphrase = read_passphrase(passphrase_file)

    async def work(runtime: Runtime) -> None:
        made = await _campaign(slug)
        organiser = await _team_member(made, username)
        try:
            # As at a web sign-in: an account whose keys someone else's passphrase made gets a
            # new pair now, and what was sealed to the old one is sealed to the new one.
            private_key = await rekeying.unlock(organiser, passphrase, keystore=runtime.keystore)
        except WrongPassphrase:
            raise Refused(_("Wrong passphrase.")) from None
        made = await Campaign.get(id=made.id)  # its organisers' copy may have been re-sealed
        if made.state != CampaignState.REVEALED:
            raise Refused(
                _(
                    "The campaign %(slug)s has not been revealed (it is %(state)s): "
                    "nobody can read its pledges yet."
                )
                % {"slug": made.slug, "state": policy.state_label(made.state)}
            )
        if made.release_destroyed:
            raise release.destroyed()
        if made.released_to_organisers is None:
            raise Refused(
                _(
                    "Nobody was on the campaign's team at the moment of the reveal: nobody "
                    "can read it."
                )
            )
        release_key = await release.release_key_of(made, runtime.keystore)
        not_a_recipient = Refused(
            _(
                "The revealed pledges were sealed to the campaign's team as it was at the "
                "moment of the reveal; this account was not on it."
            )
        )
        try:
            # Checks the key before any file is created.
            release.organiser_reader(made, private_key, release_key)
        except EnvelopeError:
            raise not_a_recipient from None
        handle = sys.stdout if out is None else _open_private(out)
        try:
            # One chunk of records at a time: the CSV is never held whole in memory.
            csv_export.write_header(handle)
            async for records in release.organiser_records(made, private_key, release_key):
                csv_export.write_rows(handle, records)
        except EnvelopeError as error:
            if out is not None:
                handle.close()
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(out)  # never leave a partial list that looks whole
            if not isinstance(error, StreamError):
                raise not_a_recipient from None
            if out is None:
                raise Refused(
                    _(
                        "The revealed pledges stored in the database are incomplete or "
                        "have been altered: the output above is incomplete. Restore the "
                        "database from a backup."
                    )
                ) from None
            raise Refused(
                _(
                    "The revealed pledges stored in the database are incomplete or have "
                    "been altered: nothing was written. Restore the database from a backup."
                )
            ) from None
        finally:
            if out is not None:
                handle.close()

    run_command(work)
    if out is not None:
        click.echo(_("Wrote the revealed pledges to %(path)s.") % {"path": out}, err=True)


@campaign.command("share")
@click.argument("slug")
def hand_in_share(slug: str) -> None:
    """Read one gatekeeper share on standard input and hand it in."""
    words = sys.stdin.read(gatekeeping.MAX_SHARE_CHARS + 1)

    async def work(runtime: Runtime) -> gatekeeping.ShareOutcome:
        return await gatekeeping.submit(
            await _campaign(slug), words, keystore=runtime.keystore, pepper=runtime.code_pepper
        )

    click.echo(gatekeeping.outcome_message(run_command(work)))


@campaign.command("show")
@click.argument("slug")
def show(slug: str) -> None:
    """Print a campaign's public facts as JSON (state, progress, threshold, deadline)."""

    async def work(runtime: Runtime) -> dict[str, object]:
        made = await _campaign(slug)
        shown = await standing.progress(made)
        owner = await team.owner_of(made)
        risk = policy.campaign_chain_risk(made)
        facts: dict[str, object] = {
            "slug": made.slug,
            "title": made.title,
            "state": made.state.value,
            "threshold": made.threshold,
            "pledges": made.pledge_count,
            "progress": shown.text,
            "stage": shown.stage.value,
            "stage_text": shown.state_text,
            "deadline": made.deadline.isoformat(),
            "revealed_count": made.revealed_count,
            "destroyed_unread": made.destroyed_count,
            "stopped": made.stopped,
            "deadline_moved_from": _iso(made.deadline_moved_from),
            "archived": made.archived,
            "owner": owner.username if owner else None,
            "co_organisers": [member.username for member in await team.members(made)],
            "owner_assigned_week": _iso(made.owner_assigned_week),
            "reveal_not_before": _iso(made.reveal_not_before),
            "invite_mode": made.invite_mode.value,
            "onward_invites": made.onward_invites,
            "invite_depth": made.invite_depth,
            "invite_chain_bound": None if risk.open_mode else risk.bound,
            "invite_chain": risk.text,
            # Whole hours, and only while cooling-off lasts (`clock`).
            "cooling_off_ends_at": _iso(made.cooling_off_ends_at),
            "revealed_at": _iso(made.revealed_at),
            "keep_revealed_days": made.keep_revealed_days,
            "release_destroyed": made.release_destroyed,
            # Pledge-caused events carry their week only (`clock`); shown as the week's Monday.
            "events": [
                {
                    "kind": event.kind.value,
                    "week": event.at.date().isoformat(),
                    "count": event.count,
                }
                for event in await LifecycleEvent.filter(campaign_id=made.id).order_by("at", "kind")
            ],
        }
        if owner is None:
            facts["owner_note"] = _(
                "This campaign has no owner: it was created before campaigns had owners. "
                "Nothing it collects can be revealed until an administrator assigns one "
                "(organise campaign team owner)."
            )
        elif made.state in policy.ACTIVE and not await team.has_enabled_member(made):
            facts["owner_note"] = _(
                "Nobody on this campaign's team can receive its pledges: it will not reveal "
                "until an administrator assigns a new owner (organise campaign team owner)."
            )
        return facts

    click.echo(json.dumps(run_command(work)))


def _iso(moment: date | datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@campaign.group("team")
def team_group() -> None:
    """A campaign's team: its owner and co-organisers, the only people who can read it."""


add_team_commands(
    team_group,
    "campaign",
    _campaign,
    team.add_member,
    team.remove_member,
    "they will not receive any later reveal.",
)


@team_group.command("owner")
@click.argument("slug")
@click.argument("username")
def team_owner(slug: str, username: str) -> None:
    """Assign USERNAME as the owner of a campaign whose team nobody can receive pledges.

    Every signer is told, and the reveal waits one cooling-off period (at least a day).
    """

    async def work(runtime: Runtime) -> Campaign:
        return await team.assign_owner(await _campaign(slug), username)

    made = run_command(work)
    click.echo(
        json.dumps(
            {
                "slug": made.slug,
                "owner": username.strip().lower(),
                "owner_assigned_week": _iso(made.owner_assigned_week),
                "reveal_not_before": _iso(made.reveal_not_before),
            }
        )
    )
