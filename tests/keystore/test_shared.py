"""The shared keystore on PostgreSQL: the file keystore's behaviour, wrapped entries, rotation."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from crypto import epochwrap
from crypto.errors import KeystoreError
from organise.attention import Asking
from organise.keystore.attention import rotation_overdue
from organise.keystore.keks import KekRing
from organise.keystore.shared import SharedKeystore
from organise.roles import Role
from tests.conftest import connect_postgres, fresh_keystore_database
from tests.keystore import backups
from tests.keystore.conftest import place_kek

# Every test here needs the keystore database (the `shared` fixture skips without PostgreSQL).
pytestmark = [pytest.mark.postgres_only]


def _rows(url: str, sql: str, *args):
    async def run():
        connection = await connect_postgres(url)
        try:
            return await connection.fetch(sql, *args)
        finally:
            await connection.close()

    return asyncio.run(run())


def _expire_report(url: str, host: str) -> None:
    """Age a host's report past REPORT_TTL: the process is as good as gone."""
    _rows(
        url,
        "UPDATE keystore_host SET reported_at = reported_at - interval '6 minutes' WHERE host = $1",
        host,
    )


def _second_host(url, directory, name="host-b"):
    other = SharedKeystore.connect(url, KekRing(directory), report=False)
    other.host = name
    return other


def test_it_behaves_like_the_file_keystore(shared):
    shared.put("pledge/c1/p1", b"one")
    shared.put_many({"pledge/c1/p2": b"two", "pledge/c2/p1": b"three", "pepper/codes": b"p"})
    assert shared.get("pledge/c1/p1") == b"one"
    assert shared.get("missing") is None
    assert shared.get_many(["pledge/c1/p2", "missing", "pepper/codes"]) == {
        "pledge/c1/p2": b"two",
        "pepper/codes": b"p",
    }
    with pytest.raises(KeystoreError, match="never overwritten"):
        shared.put_many({"new": b"x", "pledge/c1/p1": b"other"})
    assert shared.get("new") is None  # all or nothing
    assert shared.get_or_create("pepper/codes", lambda: b"fresh") == b"p"
    assert shared.get_or_create("field/x", lambda: b"fresh") == b"fresh"
    assert shared.names("pledge/c1/") == ["pledge/c1/p1", "pledge/c1/p2"]
    assert shared.has_prefix("pledge/c2/")
    assert not shared.has_prefix("pledge/c3/")
    # Literal prefixes: no LIKE wildcards, case-sensitive.
    shared.put("pledge/c_/x", b"w")
    assert shared.names("pledge/c_/") == ["pledge/c_/x"]
    assert shared.delete_prefix("pledge/c1/") == 2
    assert shared.delete("pledge/c2/p1")
    assert not shared.delete("pledge/c2/p1")
    assert shared.delete_many(["field/x", "nothing"]) == 1
    with pytest.raises(KeystoreError):
        shared.delete_prefix("")
    with pytest.raises(KeystoreError):
        shared.put("", b"x")
    assert shared.checkpoint()


def test_values_are_stored_wrapped_and_bound_to_their_names(shared, keystore_url):
    shared.put_many({"a": b"secret-a" * 4, "b": b"secret-b" * 4})
    rows = _rows(keystore_url, "SELECT name, epoch, wrapped FROM keystore_entry ORDER BY name")
    assert [(row["name"], row["epoch"]) for row in rows] == [("a", 1), ("b", 1)]
    assert all(b"secret" not in bytes(row["wrapped"]) for row in rows)
    # A value moved to another name does not open: one pledge's key cannot answer for another.
    _rows(
        keystore_url,
        "UPDATE keystore_entry SET wrapped = (SELECT wrapped FROM keystore_entry WHERE name = 'a')"
        " WHERE name = 'b'",
    )
    with pytest.raises(KeystoreError, match="does not open"):
        shared.get("b")


def test_a_host_without_the_current_key_fails_writes_loudly(shared, keystore_url, kek_dir):
    shared.put("before", b"v")
    place_kek(kek_dir, 2)
    shared.name_current(2)
    # This host has the key of epoch 1 but not of 2, which the database now names.
    lagging_dir = kek_dir.with_name(kek_dir.name + "-b")
    lagging_dir.mkdir(mode=0o700)
    try:
        (lagging_dir / "epoch-1.kek").write_bytes((kek_dir / "epoch-1.kek").read_bytes())
        os.chmod(lagging_dir / "epoch-1.kek", 0o400)
        other = _second_host(keystore_url, lagging_dir)
        try:
            with pytest.raises(KeystoreError, match="lacks the key-encryption key of epoch 2"):
                other.put("after", b"v")
            with pytest.raises(KeystoreError, match="epoch 2"):
                other.get_or_create("made", lambda: b"v")
            assert other.get("before") == b"v"  # still under epoch 1: readable
        finally:
            other.close()
    finally:
        for path in lagging_dir.iterdir():
            path.unlink()
        lagging_dir.rmdir()
    assert shared.get("after") is None
    assert shared.get("made") is None
    shared.put("after", b"v")
    assert _rows(keystore_url, "SELECT epoch FROM keystore_entry WHERE name = 'after'")[0][0] == 2


def test_rotation_waits_for_live_hosts_and_ignores_dead_ones(shared, keystore_url, kek_dir):
    shared.put("k", b"v")
    place_kek(kek_dir, 2)
    empty = kek_dir.with_name(kek_dir.name + "-empty")
    empty.mkdir(mode=0o700)
    other = _second_host(keystore_url, empty)
    try:
        other.report()  # a live host holding no key at all
        with pytest.raises(KeystoreError, match="host-b"):
            shared.name_current(2)
        assert shared.status().current.epoch == 1  # nothing changed
        # Its report expires: a dead host blocks nothing.
        _expire_report(keystore_url, "host-b")
        shared.name_current(2)
        assert shared.finish_rotation().retired == [1]
    finally:
        other.close()
        empty.rmdir()
    assert shared.get("k") == b"v"


def test_a_host_given_other_bytes_for_an_epoch_blocks_the_rotation_and_writes_nothing(
    shared, keystore_url, kek_dir
):
    # Step 2 of the rotation run on each host instead of once: the same epoch, different keys.
    # Without a check each host would write what the other cannot read, and the rotation would
    # re-wrap every entry under one of them and destroy the old key everywhere.
    shared.put("k", b"v")
    place_kek(kek_dir, 2)
    shared.report()  # the first host to hold epoch 2 seals its check
    other_dir = kek_dir.with_name(kek_dir.name + "-other")
    other_dir.mkdir(mode=0o700)
    place_kek(other_dir, 1, bytes.fromhex((kek_dir / "epoch-1.kek").read_text()))
    place_kek(other_dir, 2)  # other bytes
    other = _second_host(keystore_url, other_dir)
    try:
        other.report()
        host_b = _rows(keystore_url, "SELECT epochs FROM keystore_host WHERE host = 'host-b'")
        assert list(host_b[0]["epochs"]) == [1]  # epoch 2 not claimed with the wrong key
        with pytest.raises(KeystoreError, match="host-b"):
            shared.name_current(2)
        assert shared.status().current.epoch == 1  # nothing changed
        # Named current anyway (from the host with the right key, once host-b is gone): the
        # host with other bytes refuses to write rather than write what nobody else can read.
        _expire_report(keystore_url, "host-b")
        shared.name_current(2)
        with pytest.raises(KeystoreError, match="not the one the other hosts hold"):
            other.put("written-by-b", b"x")
        assert _rows(keystore_url, "SELECT 1 FROM keystore_entry WHERE name = 'written-by-b'") == []
    finally:
        other.close()
        for path in other_dir.iterdir():
            path.chmod(0o600)
            path.unlink()
        other_dir.rmdir()
    assert shared.get("k") == b"v"


def test_the_old_key_lives_until_every_live_host_has_moved(shared, keystore_url, kek_dir):
    shared.put("k", b"v")
    kek2 = place_kek(kek_dir, 2)
    other_dir = kek_dir.with_name(kek_dir.name + "-b")
    other_dir.mkdir(mode=0o700)
    try:
        for epoch in (1, 2):
            (other_dir / f"epoch-{epoch}.kek").write_bytes(
                (kek_dir / f"epoch-{epoch}.kek").read_bytes()
            )
            os.chmod(other_dir / f"epoch-{epoch}.kek", 0o400)
        other = _second_host(keystore_url, other_dir)
        try:
            other.report()
            shared.name_current(2)
            # host-b reported before epoch 2 was named: it may still be writing under 1.
            waiting = shared.finish_rotation()
            assert waiting.retired == []
            assert waiting.waiting_for == ["host-b"]
            assert (kek_dir / "epoch-1.kek").exists()
            other.report()  # it has moved; its own report finishes the rotation
            assert shared.status().epochs[0].retired_at is not None
            assert not (other_dir / "epoch-1.kek").exists()
            shared.report()  # and this host destroys its copy at its next report
            assert not (kek_dir / "epoch-1.kek").exists()
            assert other.get("k") == b"v"
            assert shared.get("k") == b"v"
        finally:
            other.close()
    finally:
        for path in other_dir.iterdir():
            path.unlink()
        other_dir.rmdir()
    assert kek2 == bytes.fromhex((kek_dir / "epoch-2.kek").read_text())


def test_a_backup_from_before_a_withdrawal_cannot_open_it_after_rotation(
    shared, keystore_url, kek_dir
):
    pledge_key = epochwrap.new_kek()  # a per-pledge key: 32 random bytes
    shared.put("pledge/c/withdrawn", pledge_key)
    shared.put("pledge/c/kept", b"k" * 32)
    backup = backups.dump(keystore_url)  # the copy taken before the withdrawal
    kek1 = bytes.fromhex((kek_dir / "epoch-1.kek").read_text())
    shared.delete("pledge/c/withdrawn")
    kek2 = place_kek(kek_dir, 2)
    shared.name_current(2)
    assert shared.finish_rotation().retired == [1]

    # The backup restored beside the live database, opened with the current KEK (epoch 2).
    with backups.restored(keystore_url, backup) as copy_url:
        row = _rows(
            copy_url, "SELECT epoch, wrapped FROM keystore_entry WHERE name = 'pledge/c/withdrawn'"
        )[0]
        assert row["epoch"] == 1
        for epoch in (1, 2):
            with pytest.raises(KeystoreError):
                epochwrap.unwrap(kek2, epoch, "pledge/c/withdrawn", bytes(row["wrapped"]))
        restored = SharedKeystore.connect(copy_url, KekRing(kek_dir), report=False)
        try:
            with pytest.raises(KeystoreError, match="lacks the key-encryption key of epoch 1"):
                restored.get("pledge/c/withdrawn")
            # Nor can the backup restore a live key: they are all under the destroyed epoch.
            with pytest.raises(KeystoreError, match="epoch 1"):
                restored.get("pledge/c/kept")
        finally:
            restored.close()
        copy_dump = backups.dump(copy_url)

    # The old KEK is gone from the file system, both databases and the environment.
    assert not (kek_dir / "epoch-1.kek").exists()
    assert shared.ring.get(1) is None
    live_dump = backups.dump(keystore_url)
    main_dump = backups.dump(os.environ["ORGANISE_TEST_DATABASE_URL"])
    for dump in (live_dump, copy_dump, main_dump, backup):
        assert kek1 not in dump
        assert kek1.hex().encode() not in dump
    assert all(kek1.hex() not in value for value in os.environ.values())
    assert shared.get("pledge/c/kept") == b"k" * 32


def test_deletes_during_rewrap_stay_deleted(shared, keystore_url, kek_dir):
    names = [f"pledge/c/{i:05d}" for i in range(3000)]
    shared.put_many({name: name.encode() for name in names})
    doomed = names[::3]
    place_kek(kek_dir, 2)
    shared.name_current(2)
    other = SharedKeystore.connect(keystore_url, KekRing(kek_dir), report=False)
    other.host = "deleter"
    started = threading.Event()

    def delete_all() -> None:
        started.set()
        for i in range(0, len(doomed), 50):
            other.delete_many(doomed[i : i + 50])

    deleter = threading.Thread(target=delete_all)
    deleter.start()
    started.wait()
    try:
        result = shared.finish_rotation()
    finally:
        deleter.join()
        other.close()
    assert result.retired == [1]
    remaining = shared.names("pledge/c/")
    assert remaining == [name for name in names if name not in set(doomed)]
    assert shared.get_many(doomed) == {}
    epochs = _rows(keystore_url, "SELECT DISTINCT epoch FROM keystore_entry")
    assert [row["epoch"] for row in epochs] == [2]


def test_writes_during_a_rotation_all_survive_it(shared, keystore_url, kek_dir):
    place_kek(kek_dir, 2)
    writer = SharedKeystore.connect(keystore_url, KekRing(kek_dir), report=False)
    writer.host = "writer"
    written: list[str] = []
    stop = threading.Event()

    def write() -> None:
        i = 0
        while not stop.is_set() or i < 50:
            name = f"w/{i:05d}"
            writer.put(name, name.encode())
            written.append(name)
            i += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while len(written) < 20:
            pass
        shared.name_current(2)
        result = shared.finish_rotation()
    finally:
        stop.set()
        thread.join()
        writer.close()
    assert result.retired == [1]
    assert shared.get_many(written) == {name: name.encode() for name in written}
    assert _rows(keystore_url, "SELECT count(*) FROM keystore_entry WHERE epoch = 1")[0][0] == 0


def test_an_overdue_rotation_warns_and_never_refuses(shared, keystore_url, caplog):
    _rows(keystore_url, "UPDATE keystore_epoch SET named_at = named_at - interval '8 days'")
    shared.report()
    status = shared.status()
    assert status.overdue
    assert shared.rotation_overdue
    assert "KEYSTORE ROTATION OVERDUE" in caplog.text
    shared.put("still", b"written")  # never a refusal to write
    assert shared.delete("still")

    class Account:
        def __init__(self, role):
            self.role = role

    def lines(role):
        asking = Asking(Account(role), None, shared, datetime.now(UTC))
        return asyncio.run(rotation_overdue(asking))

    assert [item.kind for item in lines(Role.ADMIN)] == ["keystore.rotation_overdue"]
    assert [item.kind for item in lines(Role.ORGANISER)] == ["keystore.rotation_overdue"]
    assert lines(Role.GATEKEEPER) == []
    _rows(
        keystore_url,
        "UPDATE keystore_epoch SET named_at = $1",
        datetime.now(UTC) - timedelta(days=6),
    )
    shared.report()
    assert not shared.rotation_overdue
    assert lines(Role.ADMIN) == []


def test_a_new_keystore_needs_a_key_first(keystore_url, kek_dir):
    asyncio.run(fresh_keystore_database())
    with pytest.raises(KeystoreError, match=r"place epoch-1\.kek"):
        SharedKeystore.connect(keystore_url, KekRing(kek_dir), report=False)


def test_naming_an_epoch_that_is_not_newer_is_refused(shared, kek_dir):
    with pytest.raises(KeystoreError, match="not newer"):
        shared.name_current(1)
    with pytest.raises(KeystoreError, match="lacks"):
        shared.name_current(5)
