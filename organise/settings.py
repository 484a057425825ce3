"""Twelve-factor settings: read once from the environment (and an optional `.env`)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from organise.numbers import whole_number
from organise.ratelimit import DEFAULT_RATE, FailureRate, parse_rate

log = logging.getLogger("organise.settings")

DEFAULT_PUBLISH_APPROVALS = 2
MAX_PUBLISH_APPROVALS = 20


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names it."""


def _flag(raw: str, name: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _positive_int(raw: str, name: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {value}")
    return value


def _small_cell_k(raw: str) -> int:
    value = _positive_int(raw, "ORGANISE_SMALL_CELL_K")
    if value < 2:
        raise SettingsError(f"ORGANISE_SMALL_CELL_K must be at least 2, not {value}")
    return value


def _publish_approvals(raw: str) -> int:
    """1 to 20; anything else is logged and the default (2) used: the safer choice, and a typo
    must not stop the server (as documented since the setting exists)."""
    if not raw.strip():
        return DEFAULT_PUBLISH_APPROVALS
    approvals = whole_number(raw, max_digits=2)
    if approvals is not None and 1 <= approvals <= MAX_PUBLISH_APPROVALS:
        return approvals
    log.error(
        "ORGANISE_PUBLISH_APPROVALS must be a whole number from 1 to %d; using %d",
        MAX_PUBLISH_APPROVALS,
        DEFAULT_PUBLISH_APPROVALS,
    )
    return DEFAULT_PUBLISH_APPROVALS


def _rate_limit(raw: str) -> FailureRate | None:
    try:
        return parse_rate(raw)
    except ValueError as error:
        raise SettingsError(f"ORGANISE_RATE_LIMIT: {error}") from None


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url: str
    keystore_path: Path
    debug: bool = False
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    max_body_bytes: int = 256 * 1024
    login_failures_before_delay: int = 5
    # Failures tolerated per endpoint before they are answered 429; None: off (docs/operating.md).
    rate_limit: FailureRate | None = DEFAULT_RATE
    # Believe X-Forwarded-Proto/-For from a proxy on 127.0.0.1 (see docs/operating.md).
    trust_proxy: bool = False
    # Small-cell suppression: counts of reports under k read "fewer than k" (docs/dashboard.md).
    small_cell_k: int = 5
    # Distinct reviewers who must approve a contract record before it is public (docs/reports.md).
    publish_approvals: int = DEFAULT_PUBLISH_APPROVALS
    secret_key_hex: str | None = field(default=None, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        """Settings from `environ` (default: the process environment over `./.env`)."""
        if environ is None:
            env_file = {k: v for k, v in dotenv_values(".env").items() if v is not None}
            environ = {**env_file, **os.environ}
        instance_dir = Path(environ.get("ORGANISE_INSTANCE_DIR", "instance")).resolve()
        database_url = (
            environ.get("DATABASE_URL") or f"sqlite://{instance_dir / 'organise.sqlite3'}"
        )
        if not database_url.startswith(("sqlite:", "postgres:", "postgresql:")):
            raise SettingsError("DATABASE_URL must start with sqlite:// or postgres://")
        keystore = environ.get("ORGANISE_KEYSTORE_PATH") or str(instance_dir / "keystore.sqlite3")
        return cls(
            instance_dir=instance_dir,
            database_url=database_url,
            keystore_path=Path(keystore).resolve(),
            debug=_flag(environ.get("ORGANISE_DEBUG", "false"), "ORGANISE_DEBUG"),
            session_idle_minutes=_positive_int(
                environ.get("ORGANISE_SESSION_IDLE_MINUTES", "30"), "ORGANISE_SESSION_IDLE_MINUTES"
            ),
            session_absolute_hours=_positive_int(
                environ.get("ORGANISE_SESSION_ABSOLUTE_HOURS", "12"),
                "ORGANISE_SESSION_ABSOLUTE_HOURS",
            ),
            max_body_bytes=_positive_int(
                environ.get("ORGANISE_MAX_BODY_BYTES", str(256 * 1024)), "ORGANISE_MAX_BODY_BYTES"
            ),
            secret_key_hex=environ.get("ORGANISE_SECRET_KEY") or None,
            small_cell_k=_small_cell_k(environ.get("ORGANISE_SMALL_CELL_K", "5")),
            trust_proxy=_flag(environ.get("ORGANISE_TRUST_PROXY", "false"), "ORGANISE_TRUST_PROXY"),
            publish_approvals=_publish_approvals(environ.get("ORGANISE_PUBLISH_APPROVALS", "")),
            rate_limit=_rate_limit(environ.get("ORGANISE_RATE_LIMIT", "")),
        )
