import nacl.public
import nacl.secret
import nacl.utils
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.envelope import (
    PLEDGE_BUCKET,
    PLEDGE_PLAINTEXT_CAP,
    associated_data,
    decode_record,
    encode_record,
    envelope_length,
    open_pledge,
    seal_pledge,
)
from crypto.errors import EnvelopeError, PlaintextTooLarge

CRYPTO_SETTINGS = settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

values = st.one_of(st.text(max_size=200), st.integers(), st.booleans(), st.none())
records = st.dictionaries(st.text(max_size=30), values, max_size=12)
ids = st.text(min_size=1, max_size=40)


def _seal(key, record, campaign_id="campaign-1", pledge_id="pledge-1"):
    return seal_pledge(
        record,
        campaign_public_key=key.public_key.encode(),
        campaign_id=campaign_id,
        pledge_id=pledge_id,
    )


def _open(key, sealed, envelope=None, campaign_id="campaign-1", pledge_id="pledge-1"):
    return open_pledge(
        sealed.envelope if envelope is None else envelope,
        pledge_key=sealed.pledge_key,
        campaign_private_key=key,
        campaign_id=campaign_id,
        pledge_id=pledge_id,
    )


def _record_of_encoded_size(size):
    # '{"t":"' + text + '"}' is 8 bytes of JSON around the text
    return {"t": "x" * (size - 8)}


@CRYPTO_SETTINGS
@given(record=records, campaign_id=ids, pledge_id=ids)
def test_any_record_up_to_the_cap_round_trips(campaign_key, record, campaign_id, pledge_id):
    if len(encode_record(record)) > PLEDGE_PLAINTEXT_CAP:
        with pytest.raises(PlaintextTooLarge):
            _seal(campaign_key, record, campaign_id, pledge_id)
        return
    sealed = _seal(campaign_key, record, campaign_id, pledge_id)
    assert _open(campaign_key, sealed, campaign_id=campaign_id, pledge_id=pledge_id) == record


@CRYPTO_SETTINGS
@given(size=st.integers(min_value=8, max_value=PLEDGE_PLAINTEXT_CAP))
def test_records_of_every_size_up_to_the_cap_round_trip(campaign_key, size):
    record = _record_of_encoded_size(size)
    assert len(encode_record(record)) == size
    sealed = _seal(campaign_key, record)
    assert len(sealed.envelope) == envelope_length()
    assert _open(campaign_key, sealed) == record


def test_exactly_at_the_cap_is_accepted_and_one_more_byte_is_refused(campaign_key):
    at_cap = _record_of_encoded_size(PLEDGE_PLAINTEXT_CAP)
    assert _open(campaign_key, _seal(campaign_key, at_cap)) == at_cap

    over = _record_of_encoded_size(PLEDGE_PLAINTEXT_CAP + 1)
    with pytest.raises(PlaintextTooLarge) as excinfo:
        _seal(campaign_key, over)
    message = str(excinfo.value)
    assert str(PLEDGE_PLAINTEXT_CAP + 1) in message
    assert str(PLEDGE_PLAINTEXT_CAP) in message


def test_oversize_is_refused_before_any_encryption():
    # An unusable public key would fail inside encryption; the size check must come first.
    with pytest.raises(PlaintextTooLarge):
        seal_pledge(
            _record_of_encoded_size(PLEDGE_BUCKET * 2),
            campaign_public_key=b"",
            campaign_id="c",
            pledge_id="p",
        )


def test_multibyte_text_counts_in_bytes(campaign_key):
    record = {"t": "é" * PLEDGE_PLAINTEXT_CAP}  # fewer characters than the cap, more bytes
    with pytest.raises(PlaintextTooLarge):
        _seal(campaign_key, record)


@CRYPTO_SETTINGS
@given(batch=st.lists(records, min_size=2, max_size=6))
def test_every_envelope_has_the_same_length(campaign_key, batch):
    lengths = {
        len(_seal(campaign_key, r, pledge_id=f"p{i}").envelope)
        for i, r in enumerate(batch)
        if len(encode_record(r)) <= PLEDGE_PLAINTEXT_CAP
    }
    lengths.add(len(_seal(campaign_key, {}).envelope))
    lengths.add(len(_seal(campaign_key, _record_of_encoded_size(PLEDGE_PLAINTEXT_CAP)).envelope))
    assert lengths == {envelope_length()}


@pytest.fixture(scope="module")
def sealed_example(campaign_key):
    return _seal(campaign_key, {"name": "Ada", "team": "infra", "count_me_at": 50})


@CRYPTO_SETTINGS
@given(data=st.data())
def test_flipping_any_byte_of_the_envelope_fails_closed(campaign_key, sealed_example, data):
    position = data.draw(st.integers(min_value=0, max_value=envelope_length() - 1))
    mask = data.draw(st.integers(min_value=1, max_value=255))
    tampered = bytearray(sealed_example.envelope)
    tampered[position] ^= mask
    with pytest.raises(EnvelopeError) as excinfo:
        _open(campaign_key, sealed_example, envelope=bytes(tampered))
    expected = "version" if position == 0 else "Layer 2"
    assert expected in str(excinfo.value)


def _rewrap_layer1(sealed, change, campaign_id="campaign-1", pledge_id="pledge-1"):
    """Open layer 2 with the pledge key, change layer 1, close layer 2 again as the server could."""
    aead = nacl.secret.Aead(sealed.pledge_key)
    layer1 = aead.decrypt(sealed.envelope[1:], associated_data("campaign-1", "pledge-1"))
    new_layer1 = change(layer1)
    return sealed.envelope[:1] + aead.encrypt(new_layer1, associated_data(campaign_id, pledge_id))


@CRYPTO_SETTINGS
@given(data=st.data())
def test_flipping_any_byte_of_the_inner_sealed_box_fails_in_layer_1(
    campaign_key, sealed_example, data
):
    layer1_length = envelope_length() - 1 - 24 - 16
    position = data.draw(st.integers(min_value=0, max_value=layer1_length - 1))
    mask = data.draw(st.integers(min_value=1, max_value=255))

    def flip(layer1):
        assert len(layer1) == layer1_length
        changed = bytearray(layer1)
        changed[position] ^= mask
        return bytes(changed)

    tampered = _rewrap_layer1(sealed_example, flip)
    with pytest.raises(EnvelopeError, match="Layer 1"):
        _open(campaign_key, sealed_example, envelope=tampered)


def test_rewrapping_without_change_still_opens(campaign_key, sealed_example):
    # Control for the layer-1 tests above: the re-wrapping itself is faithful.
    rewrapped = _rewrap_layer1(sealed_example, lambda layer1: layer1)
    assert _open(campaign_key, sealed_example, envelope=rewrapped)["name"] == "Ada"


@pytest.mark.parametrize(
    ("campaign_id", "pledge_id"),
    [("campaign-1", "pledge-2"), ("campaign-2", "pledge-1")],
)
def test_a_sealed_box_moved_to_another_pledge_is_detected_inside_layer_1(
    campaign_key, sealed_example, campaign_id, pledge_id
):
    # Someone holding pledge keys moves pledge 1's sealed box under another id and a valid key.
    moved = _rewrap_layer1(sealed_example, lambda x: x, campaign_id, pledge_id)
    with pytest.raises(EnvelopeError, match="Layer 1 binding"):
        _open(
            campaign_key,
            sealed_example,
            envelope=moved,
            campaign_id=campaign_id,
            pledge_id=pledge_id,
        )


@CRYPTO_SETTINGS
@given(campaign_id=ids, pledge_id=ids)
def test_any_other_campaign_or_pledge_id_fails(
    campaign_key, sealed_example, campaign_id, pledge_id
):
    if (campaign_id, pledge_id) == ("campaign-1", "pledge-1"):
        return
    with pytest.raises(EnvelopeError, match="Layer 2"):
        _open(campaign_key, sealed_example, campaign_id=campaign_id, pledge_id=pledge_id)


def test_swapped_ids_fail(campaign_key, sealed_example):
    with pytest.raises(EnvelopeError, match="Layer 2"):
        _open(campaign_key, sealed_example, campaign_id="pledge-1", pledge_id="campaign-1")


def test_id_boundaries_are_unambiguous(campaign_key):
    sealed = _seal(campaign_key, {"a": 1}, campaign_id="ab", pledge_id="c")
    assert _open(campaign_key, sealed, campaign_id="ab", pledge_id="c") == {"a": 1}
    with pytest.raises(EnvelopeError):
        _open(campaign_key, sealed, campaign_id="a", pledge_id="bc")
    assert associated_data("ab", "c") != associated_data("a", "bc")


def test_wrong_pledge_key_fails_in_layer_2(campaign_key, sealed_example):
    for wrong in (bytes(32), nacl.utils.random(32)):
        with pytest.raises(EnvelopeError, match="Layer 2"):
            open_pledge(
                sealed_example.envelope,
                pledge_key=wrong,
                campaign_private_key=campaign_key,
                campaign_id="campaign-1",
                pledge_id="pledge-1",
            )


def test_wrong_campaign_key_fails_in_layer_1(sealed_example):
    with pytest.raises(EnvelopeError, match="Layer 1"):
        _open(nacl.public.PrivateKey.generate(), sealed_example)


def test_truncated_or_extended_envelopes_are_refused(campaign_key, sealed_example):
    for envelope in (sealed_example.envelope[:-1], sealed_example.envelope + b"\0", b""):
        with pytest.raises(EnvelopeError, match="Not a pledge envelope"):
            _open(campaign_key, sealed_example, envelope=envelope)


def test_error_messages_carry_no_secret_material(campaign_key, sealed_example):
    with pytest.raises(EnvelopeError) as excinfo:
        _open(campaign_key, sealed_example, pledge_id="other")
    message = str(excinfo.value)
    assert "Ada" not in message
    assert sealed_example.pledge_key.hex() not in message
    assert sealed_example.pledge_key.hex() not in repr(sealed_example)


def test_each_seal_uses_a_fresh_key_and_randomness(campaign_key):
    a = _seal(campaign_key, {"x": 1})
    b = _seal(campaign_key, {"x": 1})
    assert a.pledge_key != b.pledge_key
    assert a.envelope != b.envelope


def test_record_encoding_is_canonical():
    assert encode_record({"b": 1, "a": "é"}) == encode_record({"a": "é", "b": 1})
    assert encode_record({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    assert decode_record(encode_record({"k": None, "t": True})) == {"k": None, "t": True}


@pytest.mark.parametrize("value", [1.5, [1], {"nested": 1}, b"bytes"])
def test_record_values_must_be_flat_scalars(value):
    with pytest.raises(TypeError):
        encode_record({"k": value})


def test_decode_refuses_non_objects():
    for data in (b"[1]", b"not json", b"\xff"):
        with pytest.raises(ValueError, match="Pledge record"):
            decode_record(data)


@pytest.mark.parametrize(("campaign_id", "pledge_id"), [("", "p"), ("c", "")])
def test_empty_ids_are_refused(campaign_key, campaign_id, pledge_id):
    with pytest.raises(ValueError, match="non-empty"):
        _seal(campaign_key, {}, campaign_id, pledge_id)
