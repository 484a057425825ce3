"""The runtime: settings, keystore, peppers and clock, opened once by one function.

The server (in its lifespan), every CLI command and the bench build it with `open_runtime`,
so a key name or a pepper is opened in one place only. Handlers reach it with `runtime(request)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from crypto import atrest, codes
from crypto.keystore import Keystore
from organise.instance import load_secret_key, prepare_instance
from organise.keystore.opening import open_keystore
from organise.ratelimit import EndpointFailures, Limits, NameFailures
from organise.settings import Settings

# Keyed hashes of invite codes and receipts: a database copy alone cannot test guesses.
CODE_PEPPER = "pepper/codes"
# Encrypts organisers' two-step secrets at rest in the database.
TOTP_FIELD_KEY = "field/organiser-totp"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    keystore: Keystore
    # The web layer's secret: keyed hashes of session ids and API tokens.
    secret_key: bytes = field(repr=False)
    code_pepper: bytes = field(repr=False)
    totp_field_key: bytes = field(repr=False)
    # Failures counted in this process's memory (organise.ratelimit); never per client.
    limits: Limits
    # True when this start created the keystore (see bootstrap.refuse_replaced_keystore).
    keystore_created: bool = False
    clock: Clock = utc_now

    def close(self) -> None:
        self.keystore.close()


def new_limits(settings: Settings) -> Limits:
    """Fresh limits: endpoint buckets at the configured rate, passphrase slow-down per name."""
    return Limits(
        endpoints=EndpointFailures(settings.rate_limit),
        names=NameFailures(free=settings.login_failures_before_delay),
    )


def open_runtime(settings: Settings, *, clock: Clock = utc_now) -> Runtime:
    """Create the instance if needed, open the keystore, read or make the peppers."""
    keystore_created = prepare_instance(settings)
    keystore, _ = open_keystore(settings)
    try:
        return Runtime(
            settings=settings,
            keystore=keystore,
            secret_key=load_secret_key(settings),
            code_pepper=keystore.get_or_create(CODE_PEPPER, codes.new_pepper),
            totp_field_key=keystore.get_or_create(TOTP_FIELD_KEY, atrest.new_field_key),
            keystore_created=keystore_created,
            clock=clock,
            limits=new_limits(settings),
        )
    except BaseException:
        keystore.close()
        raise


class _HasApp(Protocol):
    @property
    def app(self) -> object: ...


def runtime(request: _HasApp) -> Runtime:
    """The runtime of the app serving `request` (a Starlette Request or WebSocket)."""
    found = getattr(getattr(request.app, "state", None), "runtime", None)
    if not isinstance(found, Runtime):
        raise RuntimeError("the app's lifespan has not opened the runtime")
    return found
