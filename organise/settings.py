"""Twelve-factor settings: read once from the environment (and an optional `.env`)."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from dotenv import dotenv_values

from organise.i18n import DEFAULT_LOCALE, complete_languages, is_complete, languages
from organise.numbers import whole_number
from organise.ratelimit import DEFAULT_RATE, FailureRate, parse_rate

log = logging.getLogger("organise.settings")

DEFAULT_PUBLISH_APPROVALS = 2
MAX_PUBLISH_APPROVALS = 20


# Where "Leave now" sends a worker: a site that looks like any other visit (docs/operating.md).
DEFAULT_LEAVE_URL = "https://weather.com/"


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


# A v3 onion service: 56 base32 characters (optionally under a subdomain) and ".onion".
_ONION_HOST = re.compile(r"(?:[a-z0-9-]+\.)*[a-z2-7]{56}\.onion")
_HOST_NAME = re.compile(r"(?:[a-z0-9_-]+\.)*[a-z0-9_-]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _split_web_address(raw: str, name: str) -> SplitResult:
    """An http(s) address with a host, checked; `name` is the setting named in any error."""
    text = raw.strip()
    if not text.isascii() or not text.isprintable() or " " in text:
        raise SettingsError(f"{name} must be a plain ASCII address (punycode for other scripts)")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SettingsError(f"{name} is not a web address: {text!r}") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise SettingsError(f"{name} must start with http:// or https:// and name a host")
    if not (_HOST_NAME.fullmatch(parts.hostname) or _is_ip_address(parts.hostname)):
        raise SettingsError(f"{name} names a host that is not a valid host name: {text!r}")
    if parts.username is not None or parts.password is not None:
        raise SettingsError(f"{name} must not carry a user name or password")
    if port == 0:
        raise SettingsError(f"{name} has no usable port")
    return parts


def _site_address(raw: str, name: str, *, onion: bool = False) -> str | None:
    """The origin of this site (`scheme://host[:port]`, lower case, no default port), or None.

    No path, query or fragment: the app is served at the root of that address.
    """
    if not raw.strip():
        return None
    parts = _split_web_address(raw, name)
    if parts.path not in {"", "/"} or parts.query or parts.fragment or raw.strip()[-1] in "?#":
        raise SettingsError(f"{name} must be the site's address alone, with no path or query")
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if onion and not _ONION_HOST.fullmatch(host):
        raise SettingsError(f"{name} must be an onion service address (56 characters, .onion)")
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    return f"{scheme}://{host}" + ("" if port in {None, _DEFAULT_PORTS[scheme]} else f":{port}")


def _leave_url(raw: str) -> str:
    if not raw.strip():
        return DEFAULT_LEAVE_URL
    _split_web_address(raw, "ORGANISE_LEAVE_URL")
    return raw.strip()


def _languages(raw: str) -> tuple[str, ...]:
    """ORGANISE_LANGUAGES: codes separated by commas or spaces; English is always served.

    Empty: every language whose catalogue is complete. A language without a catalogue, or
    with one that leaves a worker's message untranslated, is refused: half a page in another
    language is worse than the whole page in English.
    """
    codes = [code for code in re.split(r"[\s,]+", raw.strip().lower()) if code]
    if not codes:
        return complete_languages()
    for code in codes:
        if code not in languages():
            known = ", ".join(languages())
            raise SettingsError(f"ORGANISE_LANGUAGES: no catalogue for {code!r} (known: {known})")
        if not is_complete(code):
            raise SettingsError(
                f"ORGANISE_LANGUAGES: the {code!r} catalogue is incomplete (some worker-facing "
                "messages are untranslated); complete it or leave it out"
            )
    return (DEFAULT_LOCALE, *dict.fromkeys(c for c in codes if c != DEFAULT_LOCALE))


def _addresses(environ: dict[str, str]) -> tuple[str | None, str | None]:
    public = _site_address(environ.get("ORGANISE_PUBLIC_URL", ""), "ORGANISE_PUBLIC_URL")
    onion = _site_address(environ.get("ORGANISE_ONION_URL", ""), "ORGANISE_ONION_URL", onion=True)
    if onion is not None and public is None:
        raise SettingsError(
            "ORGANISE_ONION_URL needs ORGANISE_PUBLIC_URL as well; "
            "for a server reached only as an onion service, set ORGANISE_PUBLIC_URL to the onion "
            "address"
        )
    return public, onion


# A host's report of the epochs it holds expires after five minutes: reporting less often than
# that would let a live host look dead.
MAX_REPORT_SECONDS = 240


def _report_seconds(raw: str) -> int:
    value = _positive_int(raw, "ORGANISE_KEYSTORE_REPORT_SECONDS")
    if value > MAX_REPORT_SECONDS:
        raise SettingsError(
            f"ORGANISE_KEYSTORE_REPORT_SECONDS must be at most {MAX_REPORT_SECONDS}, not {value}"
        )
    return value


def _shared_keystore(environ: dict[str, str]) -> tuple[str | None, Path | None]:
    """ORGANISE_KEYSTORE_URL and ORGANISE_KEYSTORE_KEK_DIR: both or neither."""
    url = environ.get("ORGANISE_KEYSTORE_URL", "").strip() or None
    kek_dir = environ.get("ORGANISE_KEYSTORE_KEK_DIR", "").strip() or None
    if url is None:
        if kek_dir is not None:
            raise SettingsError(
                "ORGANISE_KEYSTORE_KEK_DIR is only used with ORGANISE_KEYSTORE_URL; set both or "
                "neither"
            )
        return None, None
    if not url.startswith(("postgres://", "postgresql://")):
        # The message never repeats the address: it may carry a password.
        raise SettingsError("ORGANISE_KEYSTORE_URL must start with postgres://")
    if kek_dir is None:
        raise SettingsError(
            "ORGANISE_KEYSTORE_URL needs ORGANISE_KEYSTORE_KEK_DIR: the directory (on tmpfs) "
            "where each epoch's key-encryption key is placed"
        )
    return url, Path(kek_dir).resolve()


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
    # The site's own address (`https://host[:port]`): every absolute link, and the only Host
    # answered; None serves the address the server is bound to (docs/operating.md).
    public_url: str | None = None
    # Its onion service (`http://....onion`): also answered, and sent as Onion-Location.
    onion_url: str | None = None
    # Where "Leave now" sends a worker.
    leave_url: str = DEFAULT_LEAVE_URL
    # The keystore shared by several app hosts (postgres://...); None: the file at keystore_path.
    keystore_url: str | None = field(default=None, repr=False)
    # Where the secret manager places each epoch's key-encryption key (tmpfs; docs/operating.md).
    keystore_kek_dir: Path | None = None
    # How often the shared keystore's epoch should rotate; older is a loud warning, never a stop.
    keystore_rotation_days: int = 7
    # How often each process reports the epochs it holds (reports expire after five minutes).
    keystore_report_seconds: int = 60

    @property
    def shared_keystore(self) -> bool:
        return self.keystore_url is not None

    # The languages worker pages are served in, English first (docs/languages.md).
    languages: tuple[str, ...] = field(default_factory=complete_languages)

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
        public_url, onion_url = _addresses(environ)
        keystore_url, kek_dir = _shared_keystore(environ)
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
            public_url=public_url,
            onion_url=onion_url,
            leave_url=_leave_url(environ.get("ORGANISE_LEAVE_URL", "")),
            rate_limit=_rate_limit(environ.get("ORGANISE_RATE_LIMIT", "")),
            keystore_url=keystore_url,
            keystore_kek_dir=kek_dir,
            keystore_rotation_days=_positive_int(
                environ.get("ORGANISE_KEYSTORE_ROTATION_DAYS", "7"),
                "ORGANISE_KEYSTORE_ROTATION_DAYS",
            ),
            keystore_report_seconds=_report_seconds(
                environ.get("ORGANISE_KEYSTORE_REPORT_SECONDS", "60")
            ),
            languages=_languages(environ.get("ORGANISE_LANGUAGES", "")),
        )
