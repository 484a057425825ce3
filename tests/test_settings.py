"""Settings from the environment, with safe defaults."""

from __future__ import annotations

import pytest

from organise.settings import Settings, SettingsError


def test_defaults_keep_everything_in_the_instance_directory(tmp_path):
    settings = Settings.from_environ({"ORGANISE_INSTANCE_DIR": str(tmp_path / "inst")})
    assert settings.database_url == f"sqlite://{tmp_path / 'inst' / 'organise.sqlite3'}"
    assert settings.keystore_path == tmp_path / "inst" / "keystore.sqlite3"
    assert settings.debug is False


def test_postgres_url_and_keystore_path_are_taken_from_the_environment(tmp_path):
    settings = Settings.from_environ(
        {
            "DATABASE_URL": "postgres://app@db.internal/organise",
            "ORGANISE_KEYSTORE_PATH": str(tmp_path / "keys" / "ks.sqlite3"),
        }
    )
    assert not settings.is_sqlite
    assert settings.keystore_path == tmp_path / "keys" / "ks.sqlite3"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"ORGANISE_DEBUG": "maybe"}, "ORGANISE_DEBUG"),
        ({"ORGANISE_SESSION_IDLE_MINUTES": "-3"}, "ORGANISE_SESSION_IDLE_MINUTES"),
    ],
)
def test_bad_values_are_named(environ, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_environ(environ)
