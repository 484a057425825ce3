"""Server-side organiser sessions: the cookie holds only a random 256-bit id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nacl.public import PrivateKey
from starlette.requests import Request

from crypto import atrest, codes
from organise.i18n import _l
from organise.organisers.models import ApiToken, Organiser, OrganiserSession
from organise.refusal import Refused
from organise.runtime import runtime
from organise.settings import Settings
from organise.weeks import week_of

# Writing last_seen_at on every request would turn each page view into a write.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )


_KEY_CONTEXT = "organise.session-private-key.v1"


def _token_hash(token: str, secret_key: bytes) -> str:
    return codes.code_hash(token, secret_key, kind="session").hex()


def _token_key(token: str, secret_key: bytes) -> bytes:
    # A different personalisation from the stored hash: the database copy does not yield it.
    return codes.code_hash(token, secret_key, kind="sesskey")


async def start_session(organiser: Organiser, private_key: PrivateKey, *, secret_key: bytes) -> str:
    """A new session for `organiser`; returns the token for the cookie."""
    token = codes.new_token(32)
    now = datetime.now(UTC)
    # The week only, shown to admins on the accounts page.
    await Organiser.filter(id=organiser.id).update(last_sign_in_week=week_of(now))
    await OrganiserSession.create(
        token_hash=_token_hash(token, secret_key),
        organiser=organiser,
        created_at=now,
        last_seen_at=now,
        sealed_private_key=atrest.encrypt_field(
            _token_key(token, secret_key), bytes(private_key), context=_KEY_CONTEXT
        ),
    )
    return token


def organiser_private_key(request: Request) -> PrivateKey:
    """The signed-in organiser's X25519 private key (on `@organisers` routes only)."""
    session: OrganiserSession | None = request.state.session
    if session is None:
        raise Refused(
            _l("Decrypting needs a signed-in browser session; API tokens cannot decrypt."),
            status=403,
            code="needs_session",
        )
    key = _token_key(request.state.session_token, runtime(request).secret_key)
    return PrivateKey(atrest.decrypt_field(key, session.sealed_private_key, context=_KEY_CONTEXT))


async def resume_session(
    token: str, *, secret_key: bytes, policy: SessionPolicy
) -> OrganiserSession | None:
    """The live session for this token, with its organiser; expired ones are deleted."""
    if not token or len(token) > 128:
        return None
    session = await OrganiserSession.get_or_none(
        token_hash=_token_hash(token, secret_key)
    ).prefetch_related("organiser")
    if session is None:
        return None
    now = datetime.now(UTC)
    if now - session.last_seen_at > policy.idle or now - session.created_at > policy.absolute:
        await session.delete()
        return None
    if now - session.last_seen_at > TOUCH_INTERVAL:
        session.last_seen_at = now
        await session.save(update_fields=["last_seen_at"])
    return session


async def end_session(token: str, *, secret_key: bytes) -> None:
    await OrganiserSession.filter(token_hash=_token_hash(token, secret_key)).delete()


async def end_access(organiser: Organiser) -> None:
    """End every session and API token of the account (disabled, reset, re-enrolled, or its
    passphrase changed: the answer to a suspected leak)."""
    await OrganiserSession.filter(organiser_id=organiser.id).delete()
    await ApiToken.filter(organiser_id=organiser.id).delete()


async def purge_expired(policy: SessionPolicy) -> int:
    now = datetime.now(UTC)
    return (
        await OrganiserSession.filter(last_seen_at__lt=now - policy.idle).delete()
        + await OrganiserSession.filter(created_at__lt=now - policy.absolute).delete()
    )
