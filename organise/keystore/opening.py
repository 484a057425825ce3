"""Which keystore a deployment uses: the SQLite file (the default) or the shared PostgreSQL one."""

from __future__ import annotations

from crypto.keystore import Keystore
from organise.keystore.keks import KekRing
from organise.keystore.shared import SharedKeystore
from organise.settings import Settings


def open_shared(settings: Settings, *, report: bool = True) -> SharedKeystore:
    """The shared keystore of these settings (ORGANISE_KEYSTORE_URL must be set)."""
    if settings.keystore_url is None or settings.keystore_kek_dir is None:
        raise ValueError("the shared keystore is not configured")
    return SharedKeystore.connect(
        settings.keystore_url,
        KekRing(settings.keystore_kek_dir),
        rotation_days=settings.keystore_rotation_days,
        report_seconds=settings.keystore_report_seconds,
        report=report,
    )


def open_keystore(settings: Settings, *, report: bool = True) -> tuple[Keystore, bool]:
    """The configured keystore, and whether this call created it.

    ``report``: a shared keystore reports this process's epochs while it is open (servers and
    commands that run a while); a look that opens and closes at once need not.
    """
    if settings.shared_keystore:
        shared = open_shared(settings, report=report)
        return shared, shared.created
    created = not settings.keystore_path.exists()
    return Keystore.open(settings.keystore_path), created
