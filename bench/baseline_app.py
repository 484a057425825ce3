"""The baseline: a bare Starlette + Tortoise endpoint that inserts one blob per request.

The same size as a sealed pledge (`crypto.envelope.envelope_length()`), into the same database
(its own table), served by uvicorn the same way as the app. It does nothing else: no input
checks, no encryption, no keystore, no count. Run with `BENCH_DATABASE_URL` set:

    uvicorn --factory bench.baseline_app:create_app --no-access-log
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise import fields
from tortoise.contrib.starlette import RegisterTortoise
from tortoise.models import Model

from crypto.envelope import envelope_length
from organise.db import SQLITE_PRAGMAS

BLOB_BYTES = envelope_length()


class BenchBlob(Model):
    id = fields.UUIDField(primary_key=True)
    blob = fields.BinaryField()

    class Meta:
        table = "bench_blob"
        app = "bench"


def _connection(url: str) -> dict[str, object] | str:
    if url.startswith("sqlite://"):
        # The app's own pragmas: WAL, synchronous=FULL, secure_delete.
        return {
            "engine": "tortoise.backends.sqlite",
            "credentials": {"file_path": url.removeprefix("sqlite://"), **SQLITE_PRAGMAS},
        }
    return url


def tortoise_config(url: str) -> dict[str, object]:
    return {
        "connections": {"default": _connection(url)},
        "apps": {"bench": {"models": ["bench.baseline_app"], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def insert(request: Request) -> JSONResponse:
    await request.body()
    row = await BenchBlob.create(id=uuid.uuid4(), blob=os.urandom(BLOB_BYTES))
    return JSONResponse({"id": str(row.id)}, status_code=201)


def create_app() -> Starlette:
    url = os.environ["BENCH_DATABASE_URL"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(url), generate_schemas=True):
            yield

    async def ready(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[Route("/blob", insert, methods=["POST"]), Route("/", ready, methods=["GET"])],
        lifespan=lifespan,
    )
