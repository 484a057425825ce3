"""Optional TOTP second factor. Each code is accepted once (the time step is remembered)."""

from __future__ import annotations

import base64
import hmac
import secrets
import time

import pyotp
import segno

from crypto import atrest
from organise.organisers.models import Organiser

ISSUER = "Organise"
STEP_SECONDS = 30
# One step either side tolerates a phone clock that is a little off.
TOLERATED_STEPS = (-1, 0, 1)
_CONTEXT = "organise.totp.v1"


def _context(organiser: Organiser) -> str:
    # Bound to the account: a sealed secret copied onto another row does not open.
    return f"{_CONTEXT}:{organiser.id}"


def new_secret() -> str:
    """160 random bits, base32 as authenticator apps expect (32 characters, no padding)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def is_well_formed_secret(secret: str) -> bool:
    return len(secret) == 32 and all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for c in secret)


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """An inline SVG QR code: no script, no style attribute, nothing fetched."""
    buffer = segno.make(uri, error="m").svg_inline(scale=4, svgclass="qr", lineclass=None)
    return str(buffer)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    code = "".join(code.split())
    # isascii: other scripts' digits pass isdigit() but are not what the app shows.
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now) // STEP_SECONDS
    for offset in TOLERATED_STEPS:
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enrolment_step(secret: str, code: str) -> int | None:
    """For enrolment: the time step of a valid code, proving the person's app holds the secret."""
    return _matching_step(secret, code, time.time())


async def enable(organiser: Organiser, secret: str, used_step: int, *, field_key: bytes) -> None:
    """Turn the factor on; the enrolment code (`used_step`) cannot then be replayed at login."""
    sealed = atrest.encrypt_field(field_key, secret.encode("ascii"), context=_context(organiser))
    organiser.totp_secret = sealed
    organiser.totp_last_step = used_step
    await organiser.save(update_fields=["totp_secret", "totp_last_step"])


async def disable(organiser: Organiser) -> None:
    organiser.totp_secret = None
    organiser.totp_last_step = None
    await organiser.save(update_fields=["totp_secret", "totp_last_step"])


async def accept_code(organiser: Organiser, code: str, *, field_key: bytes) -> bool:
    """True once for a valid code; a replay of the same (or an older) code is refused."""
    assert organiser.totp_secret is not None
    sealed = organiser.totp_secret
    secret = atrest.decrypt_field(field_key, sealed, context=_context(organiser)).decode()
    step = _matching_step(secret, code, time.time())
    if step is None:
        return False
    # Conditional update: two concurrent logins with the same code cannot both win.
    updated = await Organiser.filter(id=organiser.id, totp_last_step__lt=step).update(
        totp_last_step=step
    )
    return updated == 1
