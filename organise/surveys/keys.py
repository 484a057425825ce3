"""Names of a survey's keys in the keystore (one prefix per survey, so one delete wipes them).

- `survey/<id>/tally`: the private half of the tally key (the choices of every answer);
- `survey/<id>/text`: the private half of the text key (the text answers as they arrive);
- `survey/<id>/texts`: the key wrapping the head of the text answers kept for the team after
  the release; deleting it at the end of the retention ends the team's copy, even in backups.

The first two are destroyed by the release; the third by the retention.
"""

from __future__ import annotations

from uuid import UUID

from organise.campaigns.keys import delete_names, delete_prefix, in_thread

__all__ = ["delete_names", "delete_prefix", "in_thread", "tally_key", "text_key", "texts_key"]


def tally_key(survey_id: UUID | str) -> str:
    return f"survey/{survey_id}/tally"


def text_key(survey_id: UUID | str) -> str:
    return f"survey/{survey_id}/text"


def texts_key(survey_id: UUID | str) -> str:
    return f"survey/{survey_id}/texts"


def survey_prefix(survey_id: UUID | str) -> str:
    return f"survey/{survey_id}/"
