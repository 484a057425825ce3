"""crypto.streams: a chunked sealed stream opens whole and in order, or not at all."""

import nacl.public
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import atrest, sealing, streams
from crypto.errors import EnvelopeError, StreamError

KEYS = [nacl.public.PrivateKey.generate() for _ in range(3)]
PUBLIC = [key.public_key.encode() for key in KEYS]


def _sealed(parts, *, context="release:1", recipients=PUBLIC[:2]):
    writer = streams.seal_to_recipients(recipients, context=context)
    chunks = [
        writer.push(part, final=number == len(parts) - 1) for number, part in enumerate(parts)
    ]
    return writer.head, chunks


def _read(head, chunks, key=KEYS[0], context="release:1"):
    reader = streams.open_for_recipient(head, key, context=context)
    return list(streams.open_chunks(reader, chunks))


@settings(deadline=None, max_examples=30)
@given(parts=st.lists(st.binary(max_size=300), min_size=1, max_size=6))
def test_every_recipient_reads_every_chunk_in_order(parts):
    head, chunks = _sealed(parts)
    for key in KEYS[:2]:
        assert _read(head, chunks, key) == parts


def test_a_stranger_is_refused_before_any_chunk():
    head, _chunks = _sealed([b"a", b"b"])
    with pytest.raises(EnvelopeError, match="not addressed to this key") as caught:
        streams.open_for_recipient(head, KEYS[2], context="release:1")
    assert not isinstance(caught.value, StreamError)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: c[:1] + c[2:], id="dropped"),
        pytest.param(lambda c: [c[1], c[0], c[2]], id="reordered"),
        pytest.param(lambda c: c[:2], id="cut short"),
        pytest.param(lambda c: [c[0], c[0], c[1], c[2]], id="repeated"),
        pytest.param(lambda c: [*c, c[2]], id="after the final chunk"),
        pytest.param(lambda c: [c[0], c[1][:-1] + bytes([c[1][-1] ^ 1]), c[2]], id="altered"),
        pytest.param(lambda c: [], id="empty"),
    ],
)
def test_a_tampered_sequence_fails_closed(tamper):
    head, chunks = _sealed([b"one", b"two", b"three"])
    with pytest.raises(StreamError):
        _read(head, tamper(chunks))


def test_chunks_cannot_be_spliced_between_streams():
    head_a, chunks_a = _sealed([b"a1", b"a2", b"a3"])
    _head_b, chunks_b = _sealed([b"b1", b"b2", b"b3"])
    with pytest.raises(StreamError):
        _read(head_a, [chunks_a[0], chunks_b[1], chunks_a[2]])


def test_the_context_and_the_recipient_list_are_bound():
    head, chunks = _sealed([b"a", b"b"], context="release:1")
    with pytest.raises(StreamError):
        _read(head, chunks, context="release:2")
    # Dropping the second recipient from the head changes the head: every chunk fails.
    entry = 8 + 80
    shortened = bytes([head[0]]) + (1).to_bytes(2, "big") + head[3 : 3 + entry] + head[-24:]
    with pytest.raises(StreamError):
        _read(shortened, chunks)


def test_a_stream_under_a_key():
    key = atrest.new_field_key()
    writer = streams.seal_under_key(key, context="cosigners:1")
    chunks = [writer.push(b"x"), writer.push(b"y", final=True)]
    reader = streams.open_under_key(writer.head, key, context="cosigners:1")
    assert list(streams.open_chunks(reader, chunks)) == [b"x", b"y"]
    wrong = streams.open_under_key(writer.head, atrest.new_field_key(), context="cosigners:1")
    with pytest.raises(StreamError):
        list(streams.open_chunks(wrong, chunks))


def test_nothing_may_follow_the_final_chunk_when_writing():
    writer = streams.seal_to_recipients(PUBLIC[:1], context="x")
    writer.push(b"last", final=True)
    with pytest.raises(ValueError, match="finished"):
        writer.push(b"more")


def test_heads_are_never_taken_for_whole_blobs():
    blob = sealing.seal_to_recipients(b"x", PUBLIC[:1], context="c")
    field = atrest.encrypt_field(atrest.new_field_key(), b"x", context="c")
    head, _chunks = _sealed([b"x"])
    assert not streams.is_head(blob)
    assert not streams.is_head(field)
    assert streams.is_head(head)
    with pytest.raises(EnvelopeError):
        streams.open_for_recipient(blob, KEYS[0], context="c")
    with pytest.raises(EnvelopeError):
        sealing.open_sealed(head, KEYS[0], context="c")


def _resealed(head, chunks, old_key, new_public, context="release:1"):
    reader, writer = streams.reseal_to_new_key(head, old_key, new_public, context=context)
    copied = [writer.push(reader.pull(chunk), final=reader.finished) for chunk in chunks]
    reader.check_finished()
    return writer.head, copied


def test_resealing_a_stream_to_a_new_key_keeps_the_others_and_drops_the_old_key():
    parts = [b"one", b"two", b"three"]
    head, chunks = _sealed(parts, recipients=PUBLIC[:2])
    new = nacl.public.PrivateKey.generate()
    new_head, new_chunks = _resealed(head, chunks, KEYS[1], new.public_key.encode())
    assert _read(new_head, new_chunks, new) == parts
    assert _read(new_head, new_chunks, KEYS[0]) == parts  # the other recipient, unchanged
    with pytest.raises(EnvelopeError, match="not addressed to this key"):
        streams.open_for_recipient(new_head, KEYS[1], context="release:1")
    # Fresh header: the new chunks differ from the old ones, and do not mix with them.
    assert not set(new_chunks) & set(chunks)
    with pytest.raises(StreamError):
        _read(new_head, [new_chunks[0], chunks[1], new_chunks[2]], new)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: c[:2], id="cut short"),
        pytest.param(lambda c: [c[1], c[0], c[2]], id="reordered"),
        pytest.param(lambda c: [*c, c[2]], id="after the final chunk"),
    ],
)
def test_an_altered_stream_is_not_resealed_as_if_intact(tamper):
    head, chunks = _sealed([b"one", b"two", b"three"])
    with pytest.raises(StreamError):
        _resealed(head, tamper(chunks), KEYS[0], PUBLIC[2])


def test_resealing_a_stream_needs_a_recipient_head_and_the_old_key():
    head, _chunks = _sealed([b"a"], recipients=PUBLIC[:1])
    with pytest.raises(EnvelopeError, match="not addressed to this key"):
        streams.reseal_to_new_key(head, KEYS[2], PUBLIC[1], context="release:1")
    under_key = streams.seal_under_key(atrest.new_field_key(), context="x").head
    with pytest.raises(EnvelopeError):
        streams.reseal_to_new_key(under_key, KEYS[0], PUBLIC[1], context="x")
