"""The roles an organiser account has: what the access rules (`organise.web.access`) allow,
and what the accounts (`organise.organisers`) store."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"
    REVIEWER = "reviewer"
    # Holds campaign gatekeeper shares and hands them in; sees nothing else. Enrolment only.
    GATEKEEPER = "gatekeeper"
