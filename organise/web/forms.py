"""Strict form reading: URL-encoded UTF-8 only, bounded, no NUL bytes."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import ImmutableMultiDict
from starlette.exceptions import HTTPException
from starlette.requests import Request

from organise.i18n import _

MAX_FIELDS = 64
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


async def read_form(request: Request, *, max_fields: int = MAX_FIELDS) -> ImmutableMultiDict:
    """The submitted fields, or a 4xx with a readable reason. Nothing is half-read."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        raise HTTPException(415, _("Please send this form as an ordinary web form."))
    body = await request.body()  # bounded by the app's body limit (413)
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
        raise HTTPException(400, _("The form was not valid UTF-8 text.")) from None
    except ValueError:
        raise HTTPException(400, _("The form has too many fields.")) from None
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise HTTPException(400, _("The form contains a NUL character."))
    return ImmutableMultiDict(pairs)


def field(form: ImmutableMultiDict, name: str, *, max_chars: int, label: str) -> str:
    """One text field, stripped, refused with a readable message when over `max_chars`."""
    value = str(form.get(name, "")).strip()
    if len(value) > max_chars:
        raise HTTPException(
            400, _("%(label)s can be at most %(n)d characters.") % {"label": label, "n": max_chars}
        )
    return value
