"""Why a campaign action was refused, in words for people and a code for API clients."""

from __future__ import annotations


class CampaignError(Exception):
    """A refused action. `status` is the HTTP status the web layer answers with (4xx)."""

    def __init__(self, message: str, *, status: int = 422, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
