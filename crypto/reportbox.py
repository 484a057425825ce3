"""The cryptography of contract reports: sealed details, and messages both sides can read.

Only stock libsodium constructions through PyNaCl:

- Padding (`sodium_pad`, 1 KiB blocks) before sealing, so a ciphertext's length tells only
  roughly how long a text is.
- Details: `crypto.sealing.seal_to_recipients(padded, [inbox public key])`.
- The reporter's key pair: X25519 from a 32-byte seed
  `BLAKE2b-256(normalised receipt, key = code pepper, person = "org-report-key1")`. The seed
  differs from the stored receipt hash (another personalisation), so the database alone does
  not give it; the server derives it only while a reporter presents the receipt.
- Messages: sealed to both the inbox public key and the reporter's public key, so reviewers
  (through the inbox key) and the reporter (through the receipt) can read every message, and
  a reviewer can write to a reporter without knowing the receipt.

Every blob carries a context binding it to its report (and message), so a blob moved to
another row does not open.
"""

from __future__ import annotations

import uuid

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public

from crypto.errors import CryptoError
from crypto.sealing import open_sealed, seal_to_recipients

PAD_BLOCK = 1024
SEED_BYTES = 32
_REPORTER_PERSON = b"org-report-key1"


def pad(text: str) -> bytes:
    return nacl.bindings.sodium_pad(text.encode("utf-8"), PAD_BLOCK)


def unpad(data: bytes) -> str:
    try:
        return nacl.bindings.sodium_unpad(data, PAD_BLOCK).decode("utf-8")
    except (ValueError, nacl.exceptions.CryptoError) as error:
        raise CryptoError("A sealed report text has bad padding.") from error


def details_context(report_id: uuid.UUID) -> str:
    return f"organise/report/{report_id}/details"


def message_context(report_id: uuid.UUID, message_id: uuid.UUID, position: int, author: str) -> str:
    return f"organise/report/{report_id}/message/{message_id}/{position}/{author}"


def reporter_private_key(normalised_receipt: str, pepper: bytes) -> nacl.public.PrivateKey:
    """The report's own key pair, rebuilt from its receipt (and the server's pepper)."""
    seed = nacl.hash.blake2b(
        normalised_receipt.encode("utf-8"),
        digest_size=SEED_BYTES,
        key=pepper,
        person=_REPORTER_PERSON,
        encoder=nacl.encoding.RawEncoder,
    )
    return nacl.public.PrivateKey.from_seed(seed)


def seal_text(text: str, recipients: list[bytes], *, context: str) -> bytes:
    return seal_to_recipients(pad(text), recipients, context=context)


def open_text(blob: bytes, private_key: nacl.public.PrivateKey, *, context: str) -> str:
    return unpad(open_sealed(blob, private_key, context=context))
