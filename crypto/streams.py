"""Long plaintexts as a sequence of sealed chunks, written and read one chunk at a time.

Built on libsodium's ``crypto_secretstream_xchacha20poly1305`` (through PyNaCl), so that a
large result (e.g. 100,000 revealed pledges) never has to be held whole in memory, while the
sequence as a whole stays authenticated:

- The *head* starts the stream. Two kinds (integers big-endian)::

    to recipients = kind (1) = 0x21 | count (u16)
                    | per recipient: fingerprint (8) | SealedBox(stream key) (80)
                    | secretstream header (24)
    under a key   = kind (1) = 0x22 | secretstream header (24)

  To recipients: a fresh 32-byte stream key, sealed to each recipient as in ``crypto.sealing``.
  Under a key: a key the caller keeps (in the keystore); the random secretstream header makes a
  fresh subkey per stream. The kind bytes differ from version 1 of ``crypto.sealing`` and
  ``crypto.atrest`` blobs, so a reader can never take one format for the other.

- Every chunk is one secretstream message, ``ciphertext | tag (17)``, whose associated data is
  ``"organise/stream/v1" | u32 length | context | BLAKE2b-256(head) | chunk index (u64)``. The
  last chunk carries secretstream's FINAL tag, every other one the MESSAGE tag.

What that gives: secretstream's state chains the chunks (its nonce advances with each one), so
a chunk dropped, repeated or moved fails to open; a chunk from another stream (another key or
header) fails; the context and the head are authenticated in every chunk, so a stream cannot be
moved to another record, nor its recipient list altered; a stream cut short is detected because
no chunk carried FINAL, and anything after FINAL is refused. The chunk index in the associated
data states the order explicitly, on top of secretstream's own chaining.

Limits: as ``crypto.sealing``, confidentiality, not authenticity of the sender. A reader that
hands chunks on as they open (``open_chunks``) learns of a truncation only at the end: the
caller must be ready to discard what it already received.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public
import nacl.utils

from crypto import atrest, sealing
from crypto.errors import EnvelopeError, StreamError

HEAD_TO_RECIPIENTS = 0x21
HEAD_UNDER_KEY = 0x22
HEAD_WRAPPED = 0x23  # a head stored encrypted under a key the caller keeps (``wrap_head``)
STREAM_KEY_BYTES = nacl.bindings.crypto_secretstream_xchacha20poly1305_KEYBYTES
CHUNK_OVERHEAD = nacl.bindings.crypto_secretstream_xchacha20poly1305_ABYTES

_HEADER_BYTES = nacl.bindings.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = nacl.bindings.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = nacl.bindings.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_AD_TAG = b"organise/stream/v1"
_HEAD_PERSON = b"org-stream-head1"


def _ad_prefix(head: bytes, context: str) -> bytes:
    if not context:
        raise ValueError("A context is required: it names where the stream is stored.")
    encoded = context.encode("utf-8")
    digest = nacl.hash.blake2b(
        head, digest_size=32, person=_HEAD_PERSON, encoder=nacl.encoding.RawEncoder
    )
    return _AD_TAG + struct.pack(">I", len(encoded)) + encoded + digest


class StreamWriter:
    """Seals chunks in order; ``head`` must be stored with them. The last chunk: ``final=True``."""

    def __init__(self, kind_and_entries: bytes, key: bytes, *, context: str) -> None:
        self._state = nacl.bindings.crypto_secretstream_xchacha20poly1305_state()
        header = nacl.bindings.crypto_secretstream_xchacha20poly1305_init_push(self._state, key)
        self.head = kind_and_entries + header
        self._prefix = _ad_prefix(self.head, context)
        self._index = 0
        self.finished = False

    def push(self, chunk: bytes, *, final: bool = False) -> bytes:
        if self.finished:
            raise ValueError("This stream is finished: no chunk may follow the final one.")
        sealed = nacl.bindings.crypto_secretstream_xchacha20poly1305_push(
            self._state,
            bytes(chunk),
            self._prefix + struct.pack(">Q", self._index),
            _TAG_FINAL if final else _TAG_MESSAGE,
        )
        self._index += 1
        self.finished = final
        return sealed


class StreamReader:
    """Opens the chunks of one stream, in order; see ``open_chunks`` for the usual loop."""

    def __init__(self, head: bytes, header: bytes, key: bytes, *, context: str) -> None:
        self._state = nacl.bindings.crypto_secretstream_xchacha20poly1305_state()
        try:
            nacl.bindings.crypto_secretstream_xchacha20poly1305_init_pull(self._state, header, key)
        except (nacl.exceptions.CryptoError, ValueError):
            raise EnvelopeError("The stream head is malformed.") from None
        self._prefix = _ad_prefix(head, context)
        self._index = 0
        self.finished = False

    def pull(self, sealed: bytes) -> bytes:
        """The next chunk's plaintext; StreamError if it is not the next chunk of this stream."""
        if self.finished:
            raise StreamError("The stream has data after its final chunk.")
        try:
            plaintext, tag = nacl.bindings.crypto_secretstream_xchacha20poly1305_pull(
                self._state, bytes(sealed), self._prefix + struct.pack(">Q", self._index)
            )
        except (nacl.exceptions.CryptoError, ValueError):
            raise StreamError(
                f"Chunk {self._index + 1} of the stream cannot be opened: it is missing, out "
                "of order, from another stream, or altered."
            ) from None
        self._index += 1
        self.finished = tag == _TAG_FINAL
        return plaintext

    def check_finished(self) -> None:
        if not self.finished:
            raise StreamError(
                f"The stream ends after {self._index} chunk(s) without its final chunk: it was "
                "cut short."
            )


def seal_to_recipients(recipient_public_keys: Sequence[bytes], *, context: str) -> StreamWriter:
    """A stream any one of the recipients can open (ValueError for no recipient or a bad key)."""
    key = nacl.utils.random(STREAM_KEY_BYTES)
    entries = sealing.recipient_entries(key, recipient_public_keys)
    return StreamWriter(bytes([HEAD_TO_RECIPIENTS]) + entries, key, context=context)


def _unseal_head(
    head: bytes, private_key: nacl.public.PrivateKey
) -> tuple[list[tuple[bytes, bytes]], bytes, bytes]:
    """A recipients' head's entries, its secretstream header, and the stream key it seals to
    ``private_key``; EnvelopeError if it is not such a head or not addressed to this key."""
    if len(head) < 1 or head[0] != HEAD_TO_RECIPIENTS:
        raise EnvelopeError("Not the head of a stream sealed to recipients.")
    entries, end = sealing.parse_recipient_entries(head, 1)
    if len(head) != end + _HEADER_BYTES:
        raise EnvelopeError("The stream head is malformed.")
    return entries, head[end:], sealing.unseal_content_key(entries, private_key)


def reseal_to_new_key(
    head: bytes,
    old_private_key: nacl.public.PrivateKey,
    new_public_key: bytes,
    *,
    context: str,
) -> tuple[StreamReader, StreamWriter]:
    """Address a stream to ``new_public_key`` in place of ``old_private_key``'s.

    Returns a reader of the stored chunks and a writer whose head replaces the stored one: the
    caller pulls each stored chunk and pushes its plaintext (``final`` as the reader says) in
    its place. The stream key is kept, so every other recipient's entry stays valid; the chunks
    are sealed again under a fresh secretstream header, since the head they authenticate has
    changed: ``writer.push(reader.pull(chunk), final=reader.finished)`` for each, then
    ``reader.check_finished()``, so an altered stream is never sealed again as if intact.
    EnvelopeError if the head is not addressed to the old key.
    """
    entries, header, key = _unseal_head(head, old_private_key)
    reader = StreamReader(head, header, key, context=context)
    replaced = sealing.replace_recipient(entries, key, old_private_key, new_public_key)
    return reader, StreamWriter(bytes([HEAD_TO_RECIPIENTS]) + replaced, key, context=context)


def seal_under_key(key: bytes, *, context: str) -> StreamWriter:
    """A stream under a 32-byte key the caller keeps (e.g. ``atrest.new_field_key()``)."""
    if len(key) != STREAM_KEY_BYTES:
        raise ValueError(f"A stream key is {STREAM_KEY_BYTES} bytes.")
    return StreamWriter(bytes([HEAD_UNDER_KEY]), key, context=context)


def wrap_head(head: bytes, key: bytes, *, context: str) -> bytes:
    """``head`` encrypted under ``key`` (``crypto.atrest``), for storing beside its chunks.

    A head sealed to recipients opens with any recipient's private key alone; wrapped, it also
    needs ``key``, so deleting that key (kept outside the database) makes every copy of the
    stream unreadable, even to a recipient holding an old copy of the database.
    """
    return bytes([HEAD_WRAPPED]) + atrest.encrypt_field(key, head, context=context)


def is_wrapped_head(data: bytes) -> bool:
    return len(data) > 0 and data[0] == HEAD_WRAPPED


def unwrap_head(data: bytes, key: bytes, *, context: str) -> bytes:
    """The head inside ``wrap_head``'s output; EnvelopeError for a wrong key, context or blob."""
    if not is_wrapped_head(data):
        raise EnvelopeError("Not a wrapped stream head.")
    return atrest.decrypt_field(key, data[1:], context=context)


def is_head(data: bytes) -> bool:
    """Whether ``data`` starts like a stream head (rather than a whole sealed or at-rest blob)."""
    return len(data) > 0 and data[0] in (HEAD_TO_RECIPIENTS, HEAD_UNDER_KEY)


def open_for_recipient(
    head: bytes, private_key: nacl.public.PrivateKey, *, context: str
) -> StreamReader:
    """A reader for a stream sealed to recipients; EnvelopeError if not addressed to this key."""
    _entries, header, key = _unseal_head(head, private_key)
    return StreamReader(head, header, key, context=context)


def open_under_key(head: bytes, key: bytes, *, context: str) -> StreamReader:
    """A reader for a stream made by ``seal_under_key``."""
    if len(head) != 1 + _HEADER_BYTES or head[0] != HEAD_UNDER_KEY:
        raise EnvelopeError("Not the head of a stream under a key.")
    if len(key) != STREAM_KEY_BYTES:
        raise EnvelopeError(f"A stream key is {STREAM_KEY_BYTES} bytes.")
    return StreamReader(head, head[1:], key, context=context)


def open_chunks(reader: StreamReader, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Each chunk's plaintext in turn; StreamError (after the last good one) if the stream was
    cut short, and at once for a chunk missing, out of order, altered or after the final one."""
    for sealed in chunks:
        yield reader.pull(sealed)
    reader.check_finished()
