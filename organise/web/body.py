"""The check every body reader makes first: the body is of the one media type it reads."""

from __future__ import annotations

from starlette.requests import Request

from organise.i18n import Message
from organise.refusal import Refused


async def body_of_type(request: Request, media_type: str, wrong_type: Message) -> bytes:
    """The raw body once its Content-Type (parameters aside) is `media_type`; else a 415."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != media_type:
        raise Refused(wrong_type, status=415, code="unsupported_media_type")
    return await request.body()  # bounded by the app's body limit (413)
