"""A full disk or an unreachable database is answered 503 ("nothing was saved"), not 500."""

from __future__ import annotations

import errno
import json
import sqlite3

import asyncpg
import pytest
from starlette.requests import Request
from tortoise.exceptions import DBConnectionError, OperationalError

from organise.web.errors import is_unavailable, server_error


def _wrapped(inner: BaseException, outer: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as error:
            raise outer from error
    except BaseException as raised:
        return raised


@pytest.mark.parametrize(
    "exc",
    [
        _wrapped(sqlite3.OperationalError("database or disk is full"), OperationalError("x")),
        OperationalError("database or disk is full"),
        OSError(errno.ENOSPC, "No space left on device"),
        DBConnectionError("gone"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        _wrapped(ConnectionRefusedError(), OperationalError("could not connect")),
    ],
)
def test_storage_and_connection_failures_are_unavailable(exc):
    assert is_unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [ValueError("bad"), OperationalError('syntax error near "FROM"'), KeyError("k")],
)
def test_programming_errors_stay_server_errors(exc):
    assert not is_unavailable(exc)


@pytest.mark.parametrize(("path", "kind"), [("/api/v1/reports", "json"), ("/reports/new", "html")])
async def test_unavailable_answer_is_readable(app, path, kind):
    scope = {"type": "http", "method": "POST", "path": path, "headers": [], "app": app}
    response = await server_error(Request(scope), OSError(errno.ENOSPC, "full"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    body = bytes(response.body).decode()
    if kind == "json":
        assert json.loads(body)["error"]["code"] == "unavailable"
    assert "Nothing was saved" in body


async def test_a_lost_database_connection_does_not_promise_nothing_was_saved(app):
    # The connection may drop after the database committed: the answer must not claim otherwise.
    scope = {"type": "http", "method": "POST", "path": "/api/v1/reports", "headers": [], "app": app}
    response = await server_error(Request(scope), ConnectionResetError("reset"))
    assert response.status_code == 503
    message = json.loads(bytes(response.body).decode())["error"]["message"]
    assert "may not have been saved" in message
    assert "Nothing was saved" not in message
