"""`Refused`: the one way domain code says no.

A refusal carries a readable message per field ("" for the request as a whole), the HTTP status
the web layer answers with (a 4xx, or 503 for "busy, try again later") and a stable code for API
clients. Domain code raises it; one handler in `organise.web.errors` turns it into an error page
or a JSON error. Nothing below the web layer raises an HTTP exception.
"""

from __future__ import annotations

from collections.abc import Mapping

from organise.i18n import Message

WHOLE_REQUEST = ""


class Refused(Exception):
    """A refused request; `errors` maps a field name (or "") to what is wrong with it."""

    def __init__(
        self,
        errors: Message | Mapping[str, Message],
        *,
        status: int = 422,
        code: str = "invalid",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        # 503: the request is fine but the service cannot take it now (try again later).
        if not (400 <= status < 500 or status == 503):
            raise ValueError(f"a refusal is a 4xx or a 503, not {status}")
        self.errors: dict[str, Message] = (
            dict(errors) if isinstance(errors, Mapping) else {WHOLE_REQUEST: errors}
        )
        if not self.errors:
            raise ValueError("a refusal needs a reason")
        self.status = status
        self.code = code
        self.headers = dict(headers or {})
        super().__init__(code)

    @property
    def field(self) -> str:
        """The first field refused ("" when the whole request was)."""
        return next(iter(self.errors))

    @property
    def message(self) -> str:
        """The first reason, translated now (in the language of the request being answered)."""
        return str(next(iter(self.errors.values())))

    def field_messages(self) -> dict[str, str]:
        return {name: str(text) for name, text in self.errors.items()}

    def __str__(self) -> str:
        return self.message
