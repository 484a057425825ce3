"""Strict form reading: URL-encoded UTF-8 only, bounded, no NUL bytes."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request

from organise.i18n import _, _l
from organise.refusal import Refused
from organise.web.body import body_of_type

MAX_FIELDS = 64
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


async def read_form(request: Request, *, max_fields: int = MAX_FIELDS) -> ImmutableMultiDict:
    """The submitted fields, or a 4xx with a readable reason. Nothing is half-read."""
    body = await body_of_type(
        request, FORM_CONTENT_TYPE, _l("Please send this form as an ordinary web form.")
    )
    try:
        # Browsers percent-encode everything outside ASCII; anything else is not a real form.
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=max_fields,
        )
    except UnicodeDecodeError:
        raise Refused(
            _("The form was not valid UTF-8 text."), status=400, code="invalid_utf8"
        ) from None
    except ValueError:
        raise Refused(
            _("The form has too many fields."), status=400, code="too_many_fields"
        ) from None
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise Refused(_("The form contains a NUL character."), status=400, code="invalid_text")
    return ImmutableMultiDict(pairs)
