"""Organise: a privacy-first tool for tech workers organising against their employers'
contracts with police, immigration enforcement, prisons and the military."""

import crypto as _crypto

__version__ = "0.1.0"

# Our `crypto` marks itself; another distribution's top-level `crypto` does not
# (docs/architecture.md, "The crypto package name").
if getattr(_crypto, "__organise__", None) is not True:
    raise ImportError(
        f"The 'crypto' package found at {getattr(_crypto, '__file__', None) or _crypto!r} is not "
        "Organise's own: another distribution's top-level 'crypto' comes first on the import "
        "path or has overwritten Organise's. Uninstall that distribution or install Organise "
        "into a virtual environment of its own."
    )
