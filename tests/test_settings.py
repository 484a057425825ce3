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


def test_proxy_headers_are_not_trusted_unless_asked():
    assert Settings.from_environ({}).trust_proxy is False
    assert Settings.from_environ({"ORGANISE_TRUST_PROXY": "true"}).trust_proxy is True


def test_secret_key_from_the_environment_is_checked_and_never_printed(tmp_path):
    from organise.instance import load_secret_key

    settings = Settings.from_environ(
        {"ORGANISE_INSTANCE_DIR": str(tmp_path), "ORGANISE_SECRET_KEY": "ab" * 32}
    )
    assert "abab" not in repr(settings)
    assert load_secret_key(settings) == bytes.fromhex("ab" * 32)
    for bad in ("ab" * 16 + "zz", "ab" * 8, "ab" * 65):
        with pytest.raises(ValueError, match="ORGANISE_SECRET_KEY"):
            load_secret_key(Settings.from_environ({"ORGANISE_SECRET_KEY": bad}))


def test_secret_key_file_is_created_once_and_private(tmp_path):
    import stat

    from organise.instance import load_secret_key, prepare_instance

    settings = Settings.from_environ({"ORGANISE_INSTANCE_DIR": str(tmp_path / "inst")})
    prepare_instance(settings)
    first = load_secret_key(settings)
    assert load_secret_key(settings) == first
    path = tmp_path / "inst" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".secret_key")] == []


ONION_HOST = "a" * 56 + ".onion"


def test_site_addresses_are_read_as_origins():
    settings = Settings.from_environ(
        {
            "ORGANISE_PUBLIC_URL": " HTTPS://Organise.Example:443/ ",
            "ORGANISE_ONION_URL": f"http://{ONION_HOST.upper()}/",
            "ORGANISE_LEAVE_URL": "https://www.bbc.co.uk/weather",
        }
    )
    assert settings.public_url == "https://organise.example"
    assert settings.onion_url == f"http://{ONION_HOST}"
    assert settings.leave_url == "https://www.bbc.co.uk/weather"
    assert Settings.from_environ({"ORGANISE_PUBLIC_URL": "http://127.0.0.1:8080"}).public_url == (
        "http://127.0.0.1:8080"
    )
    assert Settings.from_environ({"ORGANISE_PUBLIC_URL": "http://[::1]:80"}).public_url == (
        "http://[::1]"
    )


def test_without_site_addresses_the_defaults_apply():
    settings = Settings.from_environ({})
    assert settings.public_url is None
    assert settings.onion_url is None
    assert settings.leave_url == "https://weather.com/"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ORGANISE_PUBLIC_URL", "organise.example", "http:// or https://"),
        ("ORGANISE_PUBLIC_URL", "ftp://organise.example", "http:// or https://"),
        ("ORGANISE_PUBLIC_URL", "https://", "http:// or https://"),
        ("ORGANISE_PUBLIC_URL", "https://organise.example/app", "no path or query"),
        ("ORGANISE_PUBLIC_URL", "https://organise.example/?x=1", "no path or query"),
        ("ORGANISE_PUBLIC_URL", "https://organise.example?", "no path or query"),
        ("ORGANISE_PUBLIC_URL", "https://organise.example#top", "no path or query"),
        ("ORGANISE_PUBLIC_URL", "https://me:pw@organise.example", "user name or password"),
        ("ORGANISE_PUBLIC_URL", "https://organise.example:99999", "not a web address"),
        ("ORGANISE_PUBLIC_URL", "https://organise.example:0", "no usable port"),
        ("ORGANISE_PUBLIC_URL", "https://orgänise.example", "plain ASCII"),
        ("ORGANISE_PUBLIC_URL", "https://organise .example", "plain ASCII"),
        ("ORGANISE_PUBLIC_URL", "https://organise!.example", "not a valid host name"),
        ("ORGANISE_ONION_URL", "http://organise.example", "onion service address"),
        ("ORGANISE_ONION_URL", "http://short.onion", "onion service address"),
        ("ORGANISE_ONION_URL", f"http://{ONION_HOST}/path", "no path or query"),
        ("ORGANISE_LEAVE_URL", "javascript:alert(1)", "http:// or https://"),
        ("ORGANISE_LEAVE_URL", "https://weather.example/\r\nX: y", "plain ASCII"),
    ],
)
def test_bad_site_addresses_are_refused_by_name(name, value, message):
    environ = {"ORGANISE_PUBLIC_URL": "https://organise.example", name: value}
    with pytest.raises(SettingsError, match=name) as refused:
        Settings.from_environ(environ)
    assert message in str(refused.value)


def test_an_onion_address_needs_the_public_address():
    with pytest.raises(SettingsError, match="ORGANISE_ONION_URL needs ORGANISE_PUBLIC_URL"):
        Settings.from_environ({"ORGANISE_ONION_URL": f"http://{ONION_HOST}"})
    onion_only = Settings.from_environ({"ORGANISE_PUBLIC_URL": f"http://{ONION_HOST}"})
    assert onion_only.public_url == f"http://{ONION_HOST}"


def test_languages_default_to_every_complete_catalogue(monkeypatch):
    from organise import settings as module

    monkeypatch.setattr(module, "complete_languages", lambda: ("en", "de", "fr"))
    assert Settings.from_environ({}).languages == ("en", "de", "fr")


def test_languages_named_are_served_english_first(monkeypatch):
    from organise import settings as module

    monkeypatch.setattr(module, "languages", lambda: ("en", "ar", "de", "fr"))
    monkeypatch.setattr(module, "is_complete", lambda code: True)
    chosen = Settings.from_environ({"ORGANISE_LANGUAGES": "fr, ar fr"})
    assert chosen.languages == ("en", "fr", "ar")


@pytest.mark.parametrize(
    ("raw", "message"),
    [("xx", "no catalogue for 'xx'"), ("fr,nl", "the 'nl' catalogue is incomplete")],
)
def test_an_unknown_or_incomplete_language_is_refused_at_start(monkeypatch, raw, message):
    from organise import settings as module

    monkeypatch.setattr(module, "languages", lambda: ("en", "fr", "nl"))
    monkeypatch.setattr(module, "is_complete", lambda code: code != "nl")
    with pytest.raises(SettingsError, match=message):
        Settings.from_environ({"ORGANISE_LANGUAGES": raw})
