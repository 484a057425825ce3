"""Strict JSON request bodies for the API: one object, UTF-8, bounded (fields: organise.fields)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from organise.i18n import _
from organise.refusal import Refused

JSON_CONTENT_TYPE = "application/json"


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a 4xx naming what is wrong. Nothing is half-read."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON_CONTENT_TYPE:
        raise Refused(
            _("Send a JSON object with Content-Type: application/json."),
            status=415,
            code="unsupported_media_type",
        )
    body = await request.body()  # bounded by the app's body limit (413)
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(_("The body is not valid UTF-8."), status=400, code="invalid_utf8") from None
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise Refused(_("The body is not valid JSON."), status=400, code="invalid_json") from None
    if not isinstance(data, dict):
        raise Refused(_("The body must be a JSON object."), status=400, code="invalid_json")
    return data
