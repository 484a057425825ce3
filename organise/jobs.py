"""Every feature's time-based jobs: the in-server ticker and `organise tick` run the same list.

The campaigns' own jobs (`organise.campaigns.lifecycle.tick`) always run first (the ticker is
theirs); `FEATURE_JOBS` are the other features', each named by the key its report takes in the
output of `organise tick`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from crypto.keystore import Keystore
from organise.surveys import lifecycle as survey_lifecycle


class Report(Protocol):
    def as_dict(self) -> dict[str, int]: ...


Job = Callable[[Keystore], Awaitable[Report]]

# Surveys: closing (and releasing) at the closing time, the end of the texts' retention.
FEATURE_JOBS: dict[str, Job] = {"surveys": survey_lifecycle.tick}
