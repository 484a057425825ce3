"""The runtime is opened by one function, the same way for the server, the CLI and the bench."""

from __future__ import annotations

import stat

import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from organise.runtime import CODE_PEPPER, open_runtime, runtime
from organise.settings import Settings


def _settings(tmp_path) -> Settings:
    instance = tmp_path / "instance"
    return Settings(
        instance_dir=instance,
        database_url=f"sqlite://{instance / 'organise.sqlite3'}",
        keystore_path=instance / "keystore.sqlite3",
    )


def test_a_second_opening_finds_the_same_keys(tmp_path):
    first = open_runtime(_settings(tmp_path))
    try:
        assert first.keystore_created
        assert first.keystore.get(CODE_PEPPER) == first.code_pepper
        keys = (first.secret_key, first.code_pepper, first.totp_field_key)
    finally:
        first.close()
    second = open_runtime(_settings(tmp_path))
    try:
        assert not second.keystore_created
        assert (second.secret_key, second.code_pepper, second.totp_field_key) == keys
        assert len(set(keys)) == 3
    finally:
        second.close()
    assert stat.S_IMODE((tmp_path / "instance").stat().st_mode) == 0o700


def test_secrets_stay_out_of_its_repr(tmp_path):
    opened = open_runtime(_settings(tmp_path))
    try:
        shown = repr(opened)
        for secret in (opened.secret_key, opened.code_pepper, opened.totp_field_key):
            assert repr(secret) not in shown
    finally:
        opened.close()


def test_the_accessor_refuses_an_app_whose_lifespan_has_not_run():
    request = Request({"type": "http", "app": Starlette(), "headers": []})
    with pytest.raises(RuntimeError, match="lifespan"):
        runtime(request)
