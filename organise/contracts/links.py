"""Public source links: only plain http(s) addresses, bounded in length."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL_CHARS = 2048
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f<>\"\\^`{|}]")


def is_web_url(text: str) -> bool:
    """True for an absolute http:// or https:// address with a host, nothing odd inside."""
    if not text or len(text) > MAX_URL_CHARS or _FORBIDDEN.search(text):
        return False
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    del port
    return parts.scheme in {"http", "https"} and bool(parts.hostname)
