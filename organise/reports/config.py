"""Settings of the reports feature, read from the environment when used."""

from __future__ import annotations

import logging
import os

from organise.numbers import whole_number

APPROVALS_VARIABLE = "ORGANISE_PUBLISH_APPROVALS"
DEFAULT_APPROVALS = 2
MAX_APPROVALS = 20

log = logging.getLogger("organise.reports")


def publish_approvals() -> int:
    """How many distinct reviewers must approve a record before it is published (1 to 20).

    A value that is not a whole number in range is ignored in favour of the default (2), the
    safer choice, and logged.
    """
    raw = os.environ.get(APPROVALS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_APPROVALS
    approvals = whole_number(raw, max_digits=2)
    if approvals is not None and 1 <= approvals <= MAX_APPROVALS:
        return approvals
    log.error(
        "%s must be a whole number from 1 to %d; using %d",
        APPROVALS_VARIABLE,
        MAX_APPROVALS,
        DEFAULT_APPROVALS,
    )
    return DEFAULT_APPROVALS
