"""Every cryptographic decision of Organise, in one small library.

The package is pure: it imports the standard library, PyNaCl (libsodium), ``shamir-mnemonic``
and ``segno`` only, never the web app, so that it can be read, tested and reviewed on its own.
``docs/crypto.md`` describes the key hierarchy and its limits.

Modules, one job each:

- ``errors``    -- the exceptions every module raises.
- ``envelope``  -- pledge envelopes: padded, sealed to the campaign key, then encrypted under a
  per-pledge key bound to campaign id and pledge id.
- ``gate``      -- the campaign key pair and its SLIP-39 shares (server, gatekeepers).
- ``qr``        -- gatekeeper shares as an inline SVG QR code.
- ``keystore``  -- the keystore interface and its SQLite file backend: per-pledge keys, gate
  shares and peppers.
- ``epochwrap`` -- entries of the shared keystore wrapped under an epoch's key-encryption key.
- ``passwords`` -- Argon2id passphrase hashing for logins.
- ``keywrap``   -- organiser key pairs, private key wrapped under an Argon2id-derived key.
- ``sealing``   -- encrypting a record to one or several organisers' public keys.
- ``streams``   -- long results as a sequence of sealed chunks (libsodium secretstream).
- ``atrest``    -- small fields the server must read back itself (e.g. TOTP secrets).
- ``codes``     -- invite codes, receipts, tokens and their keyed hashes.
- ``submissions`` -- records that let a reload show a receipt again, keyed by the form's token
  and a day key.
"""

import re
import sys
from importlib.machinery import PathFinder
from pathlib import Path

# The PyPI distribution called ``crypto`` (and perhaps others) also installs a top-level package
# named ``crypto``. ``organise`` imports this marker and refuses to start without it (another
# ``crypto`` is hiding this one); the check below refuses the opposite (this one would hide
# another). docs/architecture.md, "The crypto package name", says why it fails rather than renames.
__organise__ = True

_HERE = Path(__file__).resolve().parent
_ADVICE = (
    "Organise ships its own top-level package named 'crypto' and cannot share an environment "
    "with another distribution that installs one (such as the unrelated 'crypto' on PyPI): "
    "uninstall that distribution or install Organise into a virtual environment of its own."
)


def _others_on_path() -> list[str]:
    """Every other top-level ``crypto`` module or regular package on ``sys.path``."""
    found: dict[Path, None] = {}
    for entry in sys.path:
        spec = PathFinder.find_spec("crypto", [entry or "."])
        if spec is None or spec.origin is None:  # nothing there, or a namespace directory
            continue
        origin = Path(spec.origin).resolve()
        location = origin.parent if spec.submodule_search_locations is not None else origin
        if location != _HERE:
            found[location] = None
    return [str(location) for location in found]


def _other_owners() -> list[str]:
    """Other distributions installed into this folder's directory that claim a ``crypto``.

    pip lets two distributions write into one ``site-packages/crypto/``: the one installed last
    overwrites the other's ``__init__.py``. Their records (``*.dist-info/RECORD``) still say
    whose files are there. A checkout or an editable install has no records beside the folder.
    """
    claims = re.compile(r"^crypto[/.]", re.MULTILINE)
    return sorted(
        info.parent.name
        for info in _HERE.parent.glob("*.dist-info/RECORD")
        if not info.parent.name.startswith("organise-") and claims.search(info.read_text("utf-8"))
    )


def _refuse_to_hide_another() -> None:
    others = _others_on_path()
    if others:
        raise ImportError(
            f"Organise's 'crypto' package ({_HERE}) would hide another top-level 'crypto' "
            f"later on the import path: {', '.join(others)}. {_ADVICE}"
        )
    owners = _other_owners()
    if owners:
        raise ImportError(
            f"Organise's 'crypto' package ({_HERE}) shares its folder with another "
            f"distribution's: {', '.join(owners)}. {_ADVICE}"
        )


_refuse_to_hide_another()
