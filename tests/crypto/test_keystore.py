import os
import stat
import threading

import nacl.utils
import pytest

from crypto.envelope import open_pledge, seal_pledge
from crypto.errors import EnvelopeError, KeystoreError, ShareError
from crypto.gate import GatePolicy, deal_gate, recover_private_key
from crypto.keystore import Keystore


@pytest.fixture
def store(tmp_path):
    with Keystore.open(tmp_path / "keys" / "keystore.sqlite") as keystore:
        yield keystore


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_file_and_directory_are_private(tmp_path):
    path = tmp_path / "new-dir" / "keystore.sqlite"
    with Keystore.open(path) as keystore:
        keystore.put("k", b"v")
        assert mode_of(path) == 0o600
        assert mode_of(path.parent) == 0o700
        assert mode_of(f"{path}-wal") & 0o077 == 0


def test_file_is_private_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "keystore.sqlite"
        Keystore.open(path).close()
    finally:
        os.umask(old)
    assert mode_of(path) == 0o600


def test_a_keystore_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "keystore.sqlite"
    Keystore.open(path).close()
    os.chmod(path, 0o644)
    with pytest.raises(KeystoreError, match="chmod 600"):
        Keystore.open(path)


def test_put_get_and_reopen(tmp_path):
    path = tmp_path / "keystore.sqlite"
    with Keystore.open(path) as keystore:
        keystore.put("pledge/c1/p1", b"\x00\x01secret")
        assert keystore.get("pledge/c1/p1") == b"\x00\x01secret"
        assert keystore.get("missing") is None
    with Keystore.open(path) as keystore:
        assert keystore.get("pledge/c1/p1") == b"\x00\x01secret"


def test_keys_are_never_overwritten(store):
    store.put("k", b"first")
    with pytest.raises(KeystoreError, match="already exists"):
        store.put("k", b"second")
    assert store.get("k") == b"first"


def test_put_many_is_all_or_nothing(store):
    store.put("b", b"old")
    with pytest.raises(KeystoreError):
        store.put_many({"a": b"1", "b": b"2", "c": b"3"})
    assert store.get_many(["a", "b", "c"]) == {"b": b"old"}
    store.put_many({"a": b"1", "c": b"3"})
    assert store.get_many(["a", "c"]) == {"a": b"1", "c": b"3"}


def test_bulk_get_and_delete_across_chunks(store):
    items = {f"pledge/c1/{i:05d}": i.to_bytes(4, "big") for i in range(2500)}
    store.put_many(items)
    wanted = [*list(items)[::2], "pledge/c1/absent"]
    found = store.get_many(wanted)
    assert found == {name: items[name] for name in wanted if name in items}
    assert store.delete_many([*list(items)[:1200], "pledge/c1/absent"]) == 1200
    assert len(store.get_many(items)) == 1300
    assert store.delete_many([]) == 0


def test_delete_reports_whether_the_key_existed(store):
    store.put("k", b"v")
    assert store.delete("k") is True
    assert store.delete("k") is False
    assert store.get("k") is None


def test_delete_prefix_is_literal_and_case_sensitive(store):
    store.put_many(
        {
            "campaign_1/a": b"1",
            "campaign_1/b": b"2",
            "campaignX1/a": b"3",  # would match a LIKE pattern with an unescaped "_"
            "CAMPAIGN_1/a": b"4",  # would match a case-insensitive LIKE
            "campaign_10/a": b"5",
            "campaign%1/a": b"6",
        }
    )
    assert store.has_prefix("campaign_1/")
    assert store.delete_prefix("campaign_1/") == 2
    assert not store.has_prefix("campaign_1/")  # the others match only a pattern, or no case
    assert store.has_prefix("campaign_10/")
    assert store.names() == ["CAMPAIGN_1/a", "campaign%1/a", "campaignX1/a", "campaign_10/a"]
    assert store.delete_prefix("campaign%") == 1
    assert store.delete_prefix("nothing/") == 0


def test_delete_prefix_refuses_an_empty_prefix(store):
    store.put("k", b"v")
    with pytest.raises(KeystoreError, match="non-empty prefix"):
        store.delete_prefix("")
    assert store.get("k") == b"v"


def test_empty_names_are_refused(store):
    with pytest.raises(KeystoreError):
        store.put("", b"v")


def test_get_or_create_creates_once(store):
    calls = []

    def factory():
        calls.append(1)
        return nacl.utils.random(32)

    first = store.get_or_create("pepper/invite", factory)
    second = store.get_or_create("pepper/invite", factory)
    assert first == second
    assert len(first) == 32
    assert len(calls) == 1


def test_get_or_create_agrees_across_connections_and_threads(tmp_path):
    path = tmp_path / "keystore.sqlite"
    stores = [Keystore.open(path) for _ in range(4)]
    results = []
    barrier = threading.Barrier(16)

    def worker(keystore):
        barrier.wait()
        results.append(keystore.get_or_create("pepper/shared", lambda: nacl.utils.random(32)))

    threads = [threading.Thread(target=worker, args=(stores[i % 4],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for keystore in stores:
        keystore.close()
    assert len(results) == 16
    assert len(set(results)) == 1


def test_concurrent_writers_in_threads(store):
    def worker(n):
        for i in range(50):
            store.put(f"t{n}/{i}", bytes([n, i]))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.names("t")) == 400


def raw_bytes(path):
    data = b""
    for suffix in ("", "-wal", "-journal"):
        try:
            with open(f"{path}{suffix}", "rb") as f:
                data += f.read()
        except FileNotFoundError:
            pass
    return data


@pytest.mark.parametrize("checkpoint_first", [True, False])
@pytest.mark.parametrize("how", ["delete", "delete_many", "delete_prefix"])
def test_a_deleted_key_leaves_no_bytes_in_the_files(tmp_path, how, checkpoint_first):
    path = tmp_path / "keystore.sqlite"
    secret = nacl.utils.random(32)
    with Keystore.open(path) as keystore:
        keystore.put_many({f"other/{i}": nacl.utils.random(32) for i in range(20)})
        keystore.put("pledge/c1/p1", secret)
        assert secret in raw_bytes(path)  # control: the test can see a stored key
        if checkpoint_first:  # the key is then in the main file, not only in the WAL
            assert keystore.checkpoint()
            assert secret in raw_bytes(path)
        if how == "delete":
            assert keystore.delete("pledge/c1/p1")
        elif how == "delete_many":
            assert keystore.delete_many(["pledge/c1/p1", "other/3"]) == 2
        else:
            assert keystore.delete_prefix("pledge/c1/") == 1
        # No explicit checkpoint: deleting must be enough.
        assert secret not in raw_bytes(path)
        assert keystore.get("other/4") is not None
    assert secret not in raw_bytes(path)


def test_deleting_a_pledge_key_makes_the_envelope_unreadable_even_with_the_campaign_key(store):
    dealt = deal_gate(GatePolicy("server"))
    sealed = seal_pledge(
        {"name": "Ada"}, campaign_public_key=dealt.public_key, campaign_id="c1", pledge_id="p1"
    )
    store.put("pledge/c1/p1", sealed.pledge_key)
    store.put("gate/c1/server", dealt.server_share.encode())

    campaign_key = recover_private_key(
        [store.get("gate/c1/server").decode()],
        identifier=dealt.identifier,
        public_key=dealt.public_key,
    )

    def try_open(pledge_key):
        return open_pledge(
            sealed.envelope,
            pledge_key=pledge_key,
            campaign_private_key=campaign_key,
            campaign_id="c1",
            pledge_id="p1",
        )

    assert try_open(store.get("pledge/c1/p1")) == {"name": "Ada"}  # control

    assert store.delete("pledge/c1/p1")
    assert store.get("pledge/c1/p1") is None
    for guess in (bytes(32), b"\xff" * 32, *(nacl.utils.random(32) for _ in range(20))):
        with pytest.raises(EnvelopeError, match="Layer 2"):
            try_open(guess)


@pytest.mark.parametrize(
    "policy",
    [GatePolicy("server"), GatePolicy("server_and_gatekeepers", gatekeepers=2, threshold=2)],
)
def test_deleting_the_server_share_makes_modes_a_and_b_unrecoverable(store, policy):
    dealt = deal_gate(policy)
    store.put("gate/c1/server", dealt.server_share.encode())
    with_server = [store.get("gate/c1/server").decode(), *dealt.gatekeeper_shares]
    assert recover_private_key(
        with_server, identifier=dealt.identifier, public_key=dealt.public_key
    )

    store.delete_prefix("gate/c1/")
    assert store.get("gate/c1/server") is None
    with pytest.raises(ShareError) as excinfo:
        recover_private_key(
            list(dealt.gatekeeper_shares), identifier=dealt.identifier, public_key=dealt.public_key
        )
    assert excinfo.value.reason == "insufficient"
