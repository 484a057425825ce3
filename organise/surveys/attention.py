"""What surveys ask of their teams (the account page's list).

Team members (`team.surveys_of`): each open survey that closes within `SOON` (close it early,
or let it close and release), and each survey released within the last `SOON` (its results are
there to read). Every line says what the survey's own page already shows the same person — its
close time and its state — and never a number of answers: nothing here changes when someone
answers, replaces or withdraws.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from organise.attention import Asking, Item, on_page_of
from organise.i18n import _
from organise.organisers.models import Organiser
from organise.surveys import team
from organise.surveys.models import Survey, SurveyState

# How far ahead a close, or how far back a release, is listed.
SOON = timedelta(days=7)


def _detail(kind: str, survey: Survey, text: str) -> Item:
    return on_page_of(kind, text, "survey_organisers:detail", survey.slug, survey.title)


def _closing_item(survey: Survey, now: datetime) -> Item | None:
    if survey.state != SurveyState.OPEN or not now < survey.closes_at <= now + SOON:
        return None
    text = _("The survey %(survey)s closes at %(when)s: its results are released then, once.") % {
        "survey": survey.title,
        "when": survey.closes_at.strftime("%Y-%m-%d %H:%M UTC"),
    }
    return _detail("surveys.closing", survey, text)


def _released_item(survey: Survey, now: datetime) -> Item | None:
    released = survey.released_on
    if survey.state != SurveyState.RELEASED or released is None:
        return None
    if released < (now - SOON).date():
        return None
    text = _("The results of the survey %(survey)s are released.") % {"survey": survey.title}
    return _detail("surveys.released", survey, text)


async def for_team(asking: Asking[Organiser]) -> list[Item]:
    items: list[Item] = []
    for survey in await team.surveys_of(asking.account):
        for item in (_closing_item(survey, asking.now), _released_item(survey, asking.now)):
            if item is not None:
                items.append(item)
    return items


SOURCES = [for_team]
