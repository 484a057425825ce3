"""Strict JSON request bodies for the API: one object, UTF-8, bounded, typed fields."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from organise.i18n import _
from organise.refusal import Refused
from organise.web.errors import RequestRefused

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


def text_field(data: dict[str, Any], name: str, *, max_chars: int, required: bool = False) -> str:
    """A string field, stripped; absent or null reads as "" unless required."""
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RequestRefused(422, _("%(field)s must be text.") % {"field": name}, "invalid_field")
    value = value.strip()
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates ("\ud800") are valid JSON, not text
            raise RequestRefused(
                400, _("%(field)s is not valid text.") % {"field": name}, "invalid_field"
            ) from None
    if "\x00" in value:
        raise RequestRefused(
            400, _("%(field)s contains a NUL character.") % {"field": name}, "invalid_field"
        )
    if required and not value:
        raise RequestRefused(422, _("%(field)s is required.") % {"field": name}, "missing_field")
    if len(value) > max_chars:
        raise RequestRefused(
            422,
            _("%(field)s can be at most %(n)d characters.") % {"field": name, "n": max_chars},
            "field_too_long",
        )
    return value


def int_field(
    data: dict[str, Any], name: str, *, minimum: int, maximum: int, required: bool = False
) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise RequestRefused(
                422, _("%(field)s is required.") % {"field": name}, "missing_field"
            )
        return None
    # bool is an int subclass in Python; true is not a number of people.
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise RequestRefused(
            422,
            _("%(field)s must be a whole number from %(lo)d to %(hi)d.")
            % {"field": name, "lo": minimum, "hi": maximum},
            "invalid_field",
        )
    return value


def bool_field(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RequestRefused(
            422, _("%(field)s must be true or false.") % {"field": name}, "invalid_field"
        )
    return value
