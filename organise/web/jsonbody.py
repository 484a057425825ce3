"""Strict JSON request bodies for the API: one object, UTF-8, bounded (fields: organise.fields)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from organise.i18n import _, _l
from organise.refusal import Refused
from organise.web.body import body_of_type

JSON_CONTENT_TYPE = "application/json"


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a 4xx naming what is wrong. Nothing is half-read."""
    body = await body_of_type(
        request, JSON_CONTENT_TYPE, _l("Send a JSON object with Content-Type: application/json.")
    )
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(_("The body is not valid UTF-8."), status=400, code="invalid_utf8") from None
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise Refused(_("The body is not valid JSON."), status=400, code="invalid_json") from None
    if not isinstance(data, dict):
        raise Refused(_("The body must be a JSON object."), status=400, code="invalid_json")
    return data
