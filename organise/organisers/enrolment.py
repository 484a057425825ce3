"""Accounts hold their own keys: enrolment codes.

`organise organiser create USERNAME --role R` makes an account with no passphrase and no key
pair, and a one-time enrolment code (72 hours). The holder redeems the code on the sign-in page
and chooses a passphrase; only then is the key pair made, under that passphrase. Whoever ran the
command never typed it, so a database copy they kept opens nothing sealed to the account later.

Whoever ran the command could redeem the code first. Two things catch that: the enrolment page
shows the account's key fingerprint as words (`crypto.codes.fingerprint_words`), which the holder
confirms to their team by another channel; and a used code keeps its hash and the week it was
used until it would have expired, so the holder who comes second is told the code was used, and
when, instead of a shrug.

Accounts older than enrolment (`enrolled` False) had their key pair made under a passphrase
someone else typed: the next time their holder unlocks it, a new pair is made (`rekeying`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from crypto import codes, keywrap, passwords
from crypto.errors import CodeFormatError
from organise.i18n import _, _l
from organise.organisers import accounts, audit, recovery, resets, sessions
from organise.organisers.errors import AccountError
from organise.organisers.models import (
    AuditAction,
    EnrolmentCode,
    Organiser,
)
from organise.organisers.passphrases import check_passphrase
from organise.roles import Role
from organise.weeks import week_of

VALID_FOR = timedelta(hours=72)
# A reset code (an admin's answer to a forgotten passphrase) is valid for a shorter time.
RESET_VALID_FOR = timedelta(hours=24)
CODE_KIND = "enrol"


def code_hash(code: str, pepper: bytes) -> str:
    """The stored form of an enrolment code (raises CodeFormatError if it is not one)."""
    return codes.code_hash(codes.normalise_invite_code(code), pepper, kind=CODE_KIND).hex()


def fingerprint(organiser: Organiser) -> str | None:
    """The account's key fingerprint as words; None while it has no key (not enrolled yet)."""
    if organiser.public_key is None:
        return None
    return codes.fingerprint_words(organiser.public_key)


async def purge_expired(now: datetime) -> int:
    return await EnrolmentCode.filter(expires_at__lte=now).delete()


async def issue_code(
    organiser: Organiser, *, pepper: bytes, now: datetime, reset: bool = False
) -> str:
    """A fresh code for an account that waits for its holder; earlier unused codes are void.

    `reset`: a passphrase reset's code (24 hours) for an account that already has a key.
    """
    await EnrolmentCode.filter(organiser_id=organiser.id, used_week__isnull=True).delete()
    code = codes.new_invite_code()
    await EnrolmentCode.create(
        code_hash=code_hash(code, pepper),
        organiser=organiser,
        expires_at=now + (RESET_VALID_FOR if reset else VALID_FOR),
        reset=reset,
    )
    return code


async def create_pending(
    username: str, role: Role, *, pepper: bytes, now: datetime | None = None
) -> tuple[Organiser, str]:
    """An account with no passphrase and no key yet, and the one-time code to enrol it."""
    now = now or datetime.now(UTC)
    username = accounts.normalise_username(username)
    if await Organiser.exists(username=username):
        raise AccountError(
            _l("An account with that name already exists."), field="username", code="username_taken"
        )
    await purge_expired(now)
    async with in_transaction():
        organiser = await Organiser.create(username=username, role=role, enrolled=False)
        code = await issue_code(organiser, pepper=pepper, now=now)
        await audit.record(AuditAction.CREATED, organiser, acting=None, now=now, detail=role)
    return organiser, code


class CodeAlreadyUsed(AccountError):
    """The alarm: someone redeemed this code before. The holder must tell their organisers."""

    def __init__(self, week: date) -> None:
        super().__init__(
            _l(
                "This enrolment code was already used, in the week of %(week)s. If that was not "
                "you, someone else chose this account's passphrase: do not use the account, and "
                "tell your organisers now, by another channel than this site.",
                week=week.isoformat(),
            ),
            field="code",
            code="enrolment_code_used",
            status=409,
        )


def _not_valid() -> AccountError:
    # One message for an unknown code, an expired one and a name that does not go with the
    # code: a failed attempt tells nothing about which account names exist.
    return AccountError(
        _l(
            "This enrolment code and account name do not go together, or the code has expired "
            "(a code is valid for 72 hours, a reset code for 24). Ask an admin for a new code."
        ),
        field="code",
        code="enrolment_code_invalid",
    )


@dataclass(frozen=True)
class Enrolment:
    code: str = field(repr=False)
    username: str
    passphrase: str = field(repr=False)
    repeated: str = field(repr=False)
    # A reset of an account with two-step sign-in also asks for its code or a recovery code.
    second_factor: str = field(default="", repr=False)


@dataclass(frozen=True)
class SecondFactorKeys:
    """The keys that check a two-step code (field key) and a recovery code (secret key)."""

    field_key: bytes = field(repr=False)
    secret_key: bytes = field(repr=False)


def _new_keys(passphrase: str) -> tuple[bytes, keywrap.OrganiserKeys]:
    stored = passwords.hash_passphrase(
        passphrase, opslimit=accounts.KDF_OPSLIMIT, memlimit=accounts.KDF_MEMLIMIT
    )
    keys = keywrap.generate_organiser_keys(
        passphrase, opslimit=accounts.KDF_OPSLIMIT, memlimit=accounts.KDF_MEMLIMIT
    )
    return stored, keys


async def code_is_current(code: object, *, pepper: bytes, now: datetime) -> bool:
    """Whether `code` is an enrolment code that can still be redeemed (one keyed look-up)."""
    if not isinstance(code, str):
        return False
    try:
        hashed = code_hash(code, pepper)
    except CodeFormatError:
        return False
    return await EnrolmentCode.exists(code_hash=hashed, expires_at__gt=now, used_week__isnull=True)


async def redeem(
    enrolment: Enrolment,
    *,
    pepper: bytes,
    now: datetime | None = None,
    second_factor: SecondFactorKeys | None = None,
) -> Organiser:
    """Set the holder's passphrase and make the account's key pair under it, once.

    For a reset code: the second factor too when the account has one, and the account leaves
    every campaign team and its inbox key grant (`resets.leave_everything`).
    """
    now = now or datetime.now(UTC)
    await purge_expired(now)  # a used code's alarm lasts until the code would have expired
    try:
        hashed = code_hash(enrolment.code, pepper)
    except CodeFormatError:
        raise _not_valid() from None
    row = await EnrolmentCode.get_or_none(code_hash=hashed).prefetch_related("organiser")
    if row is None or row.expires_at <= now:
        raise _not_valid()
    if row.used_week is not None:
        raise CodeAlreadyUsed(row.used_week)
    try:
        username = accounts.normalise_username(enrolment.username)
    except AccountError:
        raise _not_valid() from None
    organiser = row.organiser
    if organiser.username != username:
        raise _not_valid()
    check_passphrase(enrolment.passphrase, username=username)
    if enrolment.passphrase != enrolment.repeated:
        raise AccountError(
            _l("The two passphrases differ: type the same one twice."),
            field="repeated",
            code="passphrases_differ",
        )
    if row.reset:
        await resets.refuse_if_gatekeeper(organiser, _("reset"))
        if organiser.has_totp and not (
            second_factor is not None
            and await recovery.accept_second_factor(
                organiser,
                enrolment.second_factor,
                field_key=second_factor.field_key,
                secret_key=second_factor.secret_key,
            )
        ):
            raise AccountError(
                _l(
                    "This account has two-step sign-in: type the code from its app, or one of "
                    "its recovery codes."
                ),
                field="second_factor",
                code="second_factor_needed",
            )
    stored, keys = await accounts.in_kdf_thread(_new_keys, enrolment.passphrase)
    async with in_transaction():
        # Claim the code first: of two redeemers at the same moment, only one updates the row.
        claimed = await EnrolmentCode.filter(code_hash=hashed, used_week__isnull=True).update(
            used_week=week_of(now)
        )
        if not claimed:
            raise CodeAlreadyUsed(week_of(now))
        organiser.passphrase_hash = stored
        organiser.public_key = keys.public_key
        organiser.wrapped_private_key = keys.wrapped_private_key
        organiser.enrolled = True
        await organiser.save(
            update_fields=["passphrase_hash", "public_key", "wrapped_private_key", "enrolled"]
        )
        # Nothing should exist yet; if an earlier holder's sessions do, they end here.
        await sessions.end_access(organiser)
        if row.reset:
            await resets.leave_everything(organiser, now=now)
            await audit.record(AuditAction.RESET_COMPLETED, organiser, acting=organiser, now=now)
    return organiser
