import pytest

from crypto import epochwrap
from crypto.errors import KeystoreError


def test_a_wrapped_value_opens_under_its_key_name_and_epoch_only():
    kek, other = epochwrap.new_kek(), epochwrap.new_kek()
    wrapped = epochwrap.wrap(kek, 3, "pledge/c/p", b"secret key bytes")
    assert b"secret key bytes" not in wrapped
    assert epochwrap.unwrap(kek, 3, "pledge/c/p", wrapped) == b"secret key bytes"
    for args in [(other, 3, "pledge/c/p"), (kek, 4, "pledge/c/p"), (kek, 3, "pledge/c/q")]:
        with pytest.raises(KeystoreError, match="does not open"):
            epochwrap.unwrap(*args, wrapped)


def test_each_wrapping_has_its_own_nonce():
    kek = epochwrap.new_kek()
    assert epochwrap.wrap(kek, 1, "n", b"v") != epochwrap.wrap(kek, 1, "n", b"v")


def test_rewrap_moves_a_value_to_the_next_epoch():
    old, new = epochwrap.new_kek(), epochwrap.new_kek()
    wrapped = epochwrap.rewrap(old, 1, new, 2, "n", epochwrap.wrap(old, 1, "n", b"v"))
    assert epochwrap.unwrap(new, 2, "n", wrapped) == b"v"
    with pytest.raises(KeystoreError):
        epochwrap.unwrap(old, 1, "n", wrapped)


def test_associated_data_is_unambiguous():
    # The epoch has a fixed width: no name can make one pair's bytes another's.
    pairs = [("a", 1), ("a", 2), ("\x00a", 1), ("b", 256)]
    assert len({epochwrap.associated_data(name, epoch) for name, epoch in pairs}) == len(pairs)


@pytest.mark.parametrize("epoch", [0, -1, 2**63, True, 1.5, "1"])
def test_bad_epochs_are_refused(epoch):
    with pytest.raises(KeystoreError, match="epoch"):
        epochwrap.wrap(epochwrap.new_kek(), epoch, "n", b"v")


@pytest.mark.parametrize("kek", [b"", b"x" * 31, b"x" * 33])
def test_bad_keys_are_refused(kek):
    with pytest.raises(KeystoreError, match="32 bytes"):
        epochwrap.wrap(kek, 1, "n", b"v")


def test_a_damaged_entry_is_refused():
    with pytest.raises(KeystoreError, match="damaged"):
        epochwrap.unwrap(epochwrap.new_kek(), 1, "n", b"short")
