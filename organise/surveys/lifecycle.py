"""Time-based transitions of surveys, run by the in-server ticker and `organise tick`.

- closing time passed -> the release (`release.release`);
- a release claim older than `claims.STALE_CLAIM` (its process died) goes back to `open`;
- `keep_texts_days` after the release -> the team's texts, their key and the receipts' rows go;
- keys still pending deletion after a committed transition are deleted.

Every transition is a conditional update: any number of processes may tick at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from crypto.keystore import Keystore
from organise.surveys import release
from organise.surveys.models import Survey, SurveyState

log = logging.getLogger("organise.surveys")


@dataclass
class TickReport:
    released: int = 0
    claims_released: int = 0
    texts_destroyed: int = 0
    keys_cleared: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


async def tick(keystore: Keystore, *, now: datetime | None = None) -> TickReport:
    """Run every due survey transition once. Idempotent; safe in several processes at once."""
    now = now or datetime.now(UTC)
    report = TickReport()
    report.claims_released = await release.release_stale_claims(now)
    for survey_id in await Survey.filter(state=SurveyState.OPEN, closes_at__lte=now).values_list(
        "id", flat=True
    ):
        try:
            report.released += await release.release(survey_id, keystore=keystore, now=now)  # type: ignore[arg-type]
        except Exception as error:  # one survey's failure must not stop the others
            report.errors += 1
            log.error("survey release failed: %s", type(error).__name__)
    for survey_id in await Survey.filter(
        state=SurveyState.RELEASED, texts_until__lte=now.date()
    ).values_list("id", flat=True):
        try:
            report.texts_destroyed += await release.destroy_texts(
                survey_id,  # type: ignore[arg-type]
                keystore=keystore,
                today=now,
            )
        except Exception as error:
            report.errors += 1
            log.error("survey retention failed: %s", type(error).__name__)
    for survey_id in await Survey.filter(keys_pending=True).values_list("id", flat=True):
        try:
            report.keys_cleared += await release.clear_keys(survey_id, keystore)  # type: ignore[arg-type]
        except Exception as error:
            report.errors += 1
            log.error("survey key clearing failed: %s", type(error).__name__)
    return report
