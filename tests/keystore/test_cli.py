"""`organise keystore status|rotate|migrate`, and the settings of the shared keystore."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from crypto.keystore import Keystore
from organise.cli import main
from organise.settings import Settings, SettingsError
from tests.conftest import (
    ON_POSTGRES,
    POSTGRES_URL,
    connect_postgres,
    fresh_keystore_database,
    truncate_postgres,
)
from tests.keystore.conftest import place_kek
from tests.servers import LiveServer


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in [
        "ORGANISE_KEYSTORE_URL",
        "ORGANISE_KEYSTORE_KEK_DIR",
        "ORGANISE_KEYSTORE_PATH",
        "DATABASE_URL",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ORGANISE_INSTANCE_DIR", str(tmp_path / "instance"))

    def invoke(*args: str, **env: str):
        return CliRunner().invoke(main, ["keystore", *args], env=env, catch_exceptions=False)

    return invoke


def test_help_names_every_command(run):
    result = run("--help")
    assert result.exit_code == 0
    for command in ("status", "rotate", "migrate"):
        assert command in result.output
    rotate = run("rotate", "--help").output
    assert "--epoch" in rotate
    assert "--wait" in rotate


@pytest.mark.parametrize(
    "args",
    [
        ("rotate", "--epoch", "0"),
        ("rotate", "--epoch", "two"),
        ("rotate", "--wait", "-1"),
        ("migrate",),
        ("status", "--verbose"),
    ],
)
def test_bad_arguments_are_refused_with_usage(run, args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_rotation_belongs_to_the_shared_keystore(run):
    for command in ("status", "rotate"):
        result = run(command)
        assert result.exit_code == 1
        assert "file keystore" in result.output


def test_migrate_refuses_an_unknown_target_and_a_used_file(run, tmp_path):
    with Keystore.open(tmp_path / "instance" / "keystore.sqlite3") as store:
        store.put("pepper/codes", b"p")
    result = run("migrate", "--to", "mysql://somewhere/keys")
    assert result.exit_code == 1
    assert "postgres:// or sqlite://" in result.output
    used = tmp_path / "used.sqlite3"
    with Keystore.open(used) as store:
        store.put("x", b"y")
    result = run("migrate", "--to", f"sqlite://{used}")
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_migrate_needs_a_keystore_to_move(run, tmp_path):
    result = run("migrate", "--to", f"sqlite://{tmp_path / 'new.sqlite3'}")
    assert result.exit_code == 1
    assert "no keystore" in result.output


def test_migrate_copies_a_file_keystore_to_another_file(run, tmp_path):
    with Keystore.open(tmp_path / "instance" / "keystore.sqlite3") as store:
        store.put_many({"pepper/codes": b"p", "pledge/c/1": b"k"})
    result = run("migrate", "--to", f"sqlite://{tmp_path / 'new.sqlite3'}")
    assert result.exit_code == 0, result.output
    assert "Copied 2 keys." in result.output
    with Keystore.open(tmp_path / "new.sqlite3") as store:
        assert store.get_many(["pepper/codes", "pledge/c/1"]) == {
            "pepper/codes": b"p",
            "pledge/c/1": b"k",
        }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ORGANISE_KEYSTORE_URL": "mysql://u:secretpw@h/k"}, "must start with postgres://"),
        ({"ORGANISE_KEYSTORE_URL": "postgres://h/k"}, "needs ORGANISE_KEYSTORE_KEK_DIR"),
        ({"ORGANISE_KEYSTORE_KEK_DIR": "/run/keks"}, "set both or neither"),
        (
            {"ORGANISE_KEYSTORE_URL": "postgres://h/k", "ORGANISE_KEYSTORE_KEK_DIR": "/k",
             "ORGANISE_KEYSTORE_REPORT_SECONDS": "600"},
            "at most 240",
        ),
        (
            {"ORGANISE_KEYSTORE_URL": "postgres://h/k", "ORGANISE_KEYSTORE_KEK_DIR": "/k",
             "ORGANISE_KEYSTORE_ROTATION_DAYS": "0"},
            "must be positive",
        ),
    ],
)  # fmt: skip
def test_settings_refuse_a_half_configured_shared_keystore(environ, message):
    with pytest.raises(SettingsError, match=message) as refused:
        Settings.from_environ(environ)
    assert "secretpw" not in str(refused.value)


shared_only = pytest.mark.skipif(not ON_POSTGRES, reason="needs ORGANISE_TEST_DATABASE_URL")


@shared_only
def test_migrate_status_and_rotate_on_postgresql(run, tmp_path, kek_dir, keystore_url):
    asyncio.run(fresh_keystore_database())
    with Keystore.open(tmp_path / "instance" / "keystore.sqlite3") as store:
        store.put_many({"pepper/codes": b"p", "pledge/c/1": b"k"})
    result = run("migrate", "--to", keystore_url, "--kek-dir", str(kek_dir))
    assert result.exit_code == 1
    assert "place epoch-1.kek" in result.output
    place_kek(kek_dir, 1)
    result = run("migrate", "--to", keystore_url, "--kek-dir", str(kek_dir))
    assert result.exit_code == 0, result.output
    assert "Copied 2 keys." in result.output
    again = run("migrate", "--to", keystore_url, "--kek-dir", str(kek_dir))
    assert again.exit_code == 1
    assert "already holds keys" in again.output

    env = {"ORGANISE_KEYSTORE_URL": keystore_url, "ORGANISE_KEYSTORE_KEK_DIR": str(kek_dir)}
    status = json.loads(run("status", "--json", **env).output)
    assert status["current_epoch"] == 1
    assert status["overdue"] is False
    assert status["epochs"][0]["entries"] == 2
    text = run("status", **env).output
    assert "not overdue" in text

    missing = run("rotate", **env)
    assert missing.exit_code == 1
    assert "lacks the key-encryption key of epoch 2" in missing.output
    place_kek(kek_dir, 2)
    rotated = run("rotate", **env)
    assert rotated.exit_code == 0, rotated.output
    assert "Epoch 2 is now current" in rotated.output
    assert "Epoch 1 is retired" in rotated.output
    assert not (kek_dir / "epoch-1.kek").exists()
    backwards = run("rotate", "--epoch", "2", **env)
    assert backwards.exit_code == 1
    assert "not newer" in backwards.output
    status = json.loads(run("status", "--json", **env).output)
    assert [row["epoch"] for row in status["epochs"]] == [1, 2]
    assert status["epochs"][0]["retired"] is not None


@shared_only
def test_an_instance_moves_to_the_shared_keystore_and_an_empty_one_is_refused(
    tmp_path, kek_dir, keystore_url, database_url
):
    asyncio.run(fresh_keystore_database())
    place_kek(kek_dir, 1)
    root = tmp_path / "op"
    root.mkdir()
    operator = LiveServer(root, extra_env={"DATABASE_URL": POSTGRES_URL})
    try:
        operator.create_organiser("casey", "admin")
        shared_env = {
            "ORGANISE_KEYSTORE_URL": keystore_url,
            "ORGANISE_KEYSTORE_KEK_DIR": str(kek_dir),
        }
        moved = LiveServer(operator.root, extra_env={"DATABASE_URL": POSTGRES_URL, **shared_env})
        # An empty shared keystore for a database with accounts: refused, and left empty.
        refused = moved.run_cli("migrate")
        assert refused.returncode == 1
        assert "was empty, but the database already has accounts" in refused.stderr
        assert asyncio.run(_count(keystore_url, "keystore_entry")) == 0
        assert asyncio.run(_count(keystore_url, "keystore_epoch")) == 0
        # Moved with `keystore migrate`: the account's codes and peppers come along.
        copied = operator.run_cli(
            "keystore", "migrate", "--to", keystore_url, "--kek-dir", str(kek_dir)
        )
        assert copied.returncode == 0, copied.stderr
        assert moved.run_cli("migrate").returncode == 0
        listed = moved.run_cli("organiser", "list")
        assert listed.returncode == 0, listed.stderr
        assert "casey" in listed.stdout
    finally:
        asyncio.run(truncate_postgres(POSTGRES_URL))


async def _count(url: str, table: str) -> int:
    connection = await connect_postgres(url)
    try:
        return await connection.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 -- ours
    finally:
        await connection.close()
