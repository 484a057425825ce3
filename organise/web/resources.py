"""Where templates and static files live, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_SOURCE_ROOT = _PACKAGE.parent


def resource_dir(name: str) -> Path:
    # A wheel carries them inside the package; a checkout keeps them at the top level.
    for candidate in (_PACKAGE / name, _SOURCE_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the {name!r} directory of Organise")
