"""The `organise` command as an operator uses it (real subprocesses, real database)."""

from __future__ import annotations

import re
import sqlite3
import stat
import subprocess

import pytest

from tests.servers import LiveServer
from tests.support import PASSPHRASE


@pytest.fixture
def operator(tmp_path) -> LiveServer:
    # Not started: only its environment and `run_cli` are used.
    return LiveServer(tmp_path)


def test_help_documents_every_command(operator):
    result = operator.run_cli("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "makemigrations", "organiser"):
        assert command in result.stdout
    serve_help = operator.run_cli("serve", "--help").stdout
    for option in ("--host", "--port", "--workers"):
        assert option in serve_help
    create_help = operator.run_cli("organiser", "create", "--help").stdout
    assert "--role" in create_help
    assert "--passphrase-file" in create_help


def test_migrate_creates_a_private_instance(operator):
    result = operator.run_cli("migrate")
    assert result.returncode == 0, result.stderr
    instance = operator.instance_dir
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    for name in ("organise.sqlite3", "keystore.sqlite3"):
        # keystore.sqlite3 is created on first serve; the database at migrate.
        path = instance / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def _create_with_file(operator, tmp_path, username: str, role: str, passphrase_text: str):
    passphrase_file = tmp_path / "passphrase.txt"
    passphrase_file.write_text(passphrase_text)
    return operator.run_cli(
        "organiser", "create", username, "--role", role, "--passphrase-file", str(passphrase_file)
    )


def test_organiser_create_from_a_passphrase_file(operator, tmp_path):
    result = _create_with_file(operator, tmp_path, "Casey", "reviewer", PASSPHRASE + "\n")
    assert result.returncode == 0, result.stderr
    assert "Created reviewer account 'casey'" in result.stdout
    again = _create_with_file(operator, tmp_path, "casey", "admin", PASSPHRASE + "\n")
    assert again.returncode == 1
    assert "already exists" in again.stderr


@pytest.mark.parametrize(
    ("passphrase", "message"),
    [("too short", "at least 12 characters"), ("y" * 2000, "at most 1024 bytes")],
)
def test_organiser_create_refuses_bad_passphrases_readably(operator, tmp_path, passphrase, message):
    result = _create_with_file(operator, tmp_path, "casey", "admin", passphrase)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_organiser_create_without_a_file_prints_an_enrolment_code(operator, tmp_path):
    result = operator.run_cli("organiser", "create", "dana", "--role", "organiser")
    assert result.returncode == 0, result.stderr
    assert "waiting for its holder to enrol" in result.stdout
    assert "valid 72 hours" in result.stdout
    assert re.search(r"^    [0-9A-Z]{4}(-[0-9A-Z]{4}){6}$", result.stdout, re.MULTILINE)
    shown = operator.run_cli("organiser", "show", "dana")
    assert "enrolled: no" in shown.stdout
    assert "no key yet" in shown.stdout
    # The help says who the passphrase file is for.
    help_text = operator.run_cli("organiser", "create", "--help").stdout
    assert "Only for your own account" in help_text


def test_a_gatekeeper_account_is_made_by_enrolment_only(operator, tmp_path):
    refused = _create_with_file(operator, tmp_path, "gale", "gatekeeper", PASSPHRASE + "\n")
    assert refused.returncode == 1
    assert "enrolment only" in refused.stderr
    made = operator.run_cli("organiser", "create", "gale", "--role", "gatekeeper")
    assert made.returncode == 0, made.stderr
    assert "Created gatekeeper account 'gale'" in made.stdout


def test_several_workers_need_postgresql(operator):
    result = operator.run_cli("serve", "--workers", "2")
    assert result.returncode == 1
    assert "needs PostgreSQL" in result.stderr


def test_server_refuses_to_start_with_a_missing_keystore(operator, tmp_path):
    operator.create_organiser("casey", "admin")
    keystore = operator.instance_dir / "keystore.sqlite3"
    assert keystore.exists()  # made by the first command, before any account
    keystore.unlink()
    with pytest.raises(RuntimeError, match="exited early"):
        operator.start()
    assert "did not exist, but the database already has accounts" in operator.output()
    assert not keystore.exists()  # the empty stand-in is not left behind to hide the problem
    assert "Traceback" not in operator.output()


def test_recount_puts_drifted_report_counts_right(operator):
    assert operator.run_cli("migrate").returncode == 0
    database = operator.instance_dir / "organise.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO report_tally (dimension, technology, country, month, value, reports)"
            " VALUES ('status', '*', '*', '*', 'rumoured', 7)"  # no report behind it
        )
    drifted = operator.run_cli("recount")
    assert drifted.returncode == 0, drifted.stderr
    assert "Some counts were off and are now right." in drifted.stdout
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM report_tally").fetchone() == (0,)
    again = operator.run_cli("recount")
    assert "They were already right." in again.stdout


def test_commands_other_than_serve_migrate_init_refuse_to_create_an_instance(tmp_path):
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    elsewhere = LiveServer(empty)  # never started: its commands run in `empty`

    def _bare_organise(_folder, *args: str) -> subprocess.CompletedProcess:
        return elsewhere.run_cli(*args, make_instance=False)

    made = _bare_organise(empty, "organiser", "create", "dana", "--role", "organiser")
    assert made.returncode != 0
    assert f"There is no Organise instance at {empty / 'instance'}" in made.stderr
    assert "ORGANISE_INSTANCE_DIR" in made.stderr
    assert "organise init" in made.stderr
    assert list(empty.iterdir()) == []  # nothing created
    for command in (("organiser", "list"), ("token", "list", "dana"), ("tick",), ("recount",)):
        refused = _bare_organise(empty, *command)
        assert refused.returncode != 0, command
        assert "There is no Organise instance" in refused.stderr, command
    assert list(empty.iterdir()) == []

    initialised = _bare_organise(empty, "init")
    assert initialised.returncode == 0, initialised.stderr
    assert f"Created a new instance at {empty / 'instance'}" in initialised.stdout
    again = _bare_organise(empty, "organiser", "create", "dana", "--role", "organiser")
    assert again.returncode == 0, again.stderr
    assert "waiting for its holder to enrol" in again.stdout
    assert "already exists" in _bare_organise(empty, "init").stdout
