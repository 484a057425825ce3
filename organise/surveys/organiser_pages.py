"""Organiser pages of surveys: define one, hand out codes, close it, read the results and texts.

A survey's pages answer its team only (`team_survey_or_404`): anyone else, administrators
included, gets the same 404 as for a survey that does not exist.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from organise.campaigns.fields import TEAM_MEMBER
from organise.fields import Field, FieldTable
from organise.i18n import _, _l
from organise.organisers.sessions import organiser_private_key
from organise.refusal import Refused
from organise.roles import Role
from organise.runtime import runtime
from organise.surveys import answering, definition, invites, release, results_csv, setup, team
from organise.surveys.api import not_released, results_json, team_survey_or_404
from organise.surveys.fields import (
    CLOSE,
    DEFINITION_FORM_FIELDS,
    DEFINITION_TEXT_CHARS,
    INVITES,
    OWNER_ASSIGNMENT,
    PUBLISH,
)
from organise.surveys.models import InviteMode, Survey, SurveyState
from organise.surveys.pages import page, survey_or_404, words
from organise.web.access import organisers
from organise.web.addresses import absolute_url, printed_urls
from organise.web.forms import read_form

MANAGERS = team.TEAM_ROLES
NEW = FieldTable(
    "SurveyDefinitionForm",
    (
        Field(
            "definition",
            _l("The survey's definition (JSON)"),
            required=True,
            max_chars=DEFINITION_TEXT_CHARS,
        ),
    ),
)
EXAMPLE = {
    "slug": "cloud-2027",
    "title": "What do we know about the cloud contract?",
    "intro": "Nobody, the organisers included, sees your answers one by one.",
    "closes_at": "2027-01-31T17:00:00Z",
    "k": 5,
    "invite_mode": "invite",
    "onward_invites": 0,
    "invite_depth": 1,
    "questions": [
        {
            "id": "unit",
            "type": "choice",
            "text": "Where do you work?",
            "options": ["Infra", "Ads"],
            "crosstab": True,
            "required": True,
        },
        {"id": "ready", "type": "scale", "text": "How ready are you to act?", "min": 1, "max": 5},
        {
            "id": "act_if",
            "type": "threshold",
            "text": "I would refuse this work if at least N coworkers did",
            "options": [5, 10, 25],
        },
        {"id": "why", "type": "text", "text": "Anything else?", "max_length": 2000},
    ],
}


def _state_label(survey: Survey, now: Any) -> str:
    if survey.state == SurveyState.RELEASED:
        return _("closed, results released")
    if survey.state == SurveyState.RELEASING:
        return _("closing")
    if survey.closes_at <= now:
        return _("closing")
    return _("open")


async def _list_page(
    request: Request, *, refusal: Refused | None = None, message: str | None = None
) -> Response:
    now = runtime(request).clock()
    organiser = request.state.organiser
    mine = await team.surveys_of(organiser)
    # Administrators see which surveys need an owner (names and states only, never their
    # pages), so that one of them can assign one.
    waiting = await team.waiting_for_owner() if organiser.role == Role.ADMIN else []
    return page(
        request,
        "organisers/list.html",
        {
            "surveys": [(survey, _state_label(survey, now)) for survey in mine],
            "waiting": [(survey, _state_label(survey, now)) for survey in waiting],
            "message": message,
        },
        refusal,
    )


@organisers(*MANAGERS)
async def list_surveys(request: Request) -> Response:
    return await _list_page(request)


@organisers(Role.ADMIN)
async def assign_owner(request: Request) -> Response:
    try:
        wanted = OWNER_ASSIGNMENT.read_form(await read_form(request))
        found = await survey_or_404(wanted["slug"].strip().lower())
        now = runtime(request).clock()
        survey = await team.assign_owner(
            found, wanted["username"], acting=request.state.organiser, now=now
        )
    except Refused as refusal:
        return await _list_page(request, refusal=refusal)
    return await _list_page(
        request,
        message=_("%(name)s now owns the survey %(title)s.")
        % {"name": wanted["username"].strip().lower(), "title": survey.title},
    )


def _new_page(
    request: Request,
    values: dict[str, str],
    text: str = "",
    refusal: Refused | None = None,
) -> Response:
    context = {
        "values": values,
        "slots": range(definition.FORM_SLOTS),
        "types": definition.TYPES,
        "definition_text": text,
        "example": json.dumps(EXAMPLE, indent=2, ensure_ascii=False),
        "problems": refusal.field_messages() if refusal else {},
    }
    return page(request, "organisers/new.html", context, refusal)


def _defaults(request: Request) -> dict[str, str]:
    closes = runtime(request).clock() + timedelta(days=14)
    values = definition.form_values({**EXAMPLE, "slug": "", "title": "", "intro": ""})
    return values | {"closes_at": closes.strftime("%Y-%m-%dT%H:%M")}


@organisers(*MANAGERS)
async def new_form(request: Request) -> Response:
    return _new_page(request, _defaults(request))


def _typed(form: Any) -> dict[str, str]:
    """The form's fields as typed, to fill it in again (cut to a sane length)."""
    return {str(name): str(form.get(name, ""))[:DEFINITION_TEXT_CHARS] for name in form}


@organisers(*MANAGERS)
async def create(request: Request) -> Response:
    form = await read_form(request, max_fields=DEFINITION_FORM_FIELDS)
    served = runtime(request)
    text = str(form.get("definition", "") or "")[:DEFINITION_TEXT_CHARS]
    typed = definition.form_values({}) | _typed(form)  # every field the page shows
    try:
        if text.strip():  # a definition pasted as JSON
            checked = definition.parse(NEW.read_form(form)["definition"], now=served.clock())
        else:
            raw, slots = definition.from_form(typed)
            try:
                checked = definition.check(raw, now=served.clock())
            except Refused as refusal:
                raise definition.form_places(refusal, slots) from None
        made = await setup.create_survey(
            checked, owner_username=request.state.organiser.username, keystore=served.keystore
        )
    except Refused as refusal:
        return _new_page(request, typed, text, refusal)
    return RedirectResponse(absolute_url(request, "survey_organisers:detail", slug=made.slug), 303)


def pledge_campaign_address(request: Request, survey: Survey, suggested: int | None) -> str | None:
    """The campaign form, filled in from a closed survey with a threshold question: its title,
    the question as the demand, and the threshold the released numbers suggest (if any)."""
    asked = [q for q in answering.questions(survey) if q.type == "threshold"]
    if survey.state != SurveyState.RELEASED or not asked:
        return None
    values = {"title": survey.title, "demand": asked[0].text}
    if suggested is not None:
        values["threshold"] = str(suggested)
    return f"{request.url_for('campaign_organisers:new_form').path}?{urlencode(values)}"


async def _detail(
    request: Request,
    survey: Survey,
    *,
    refusal: Refused | None = None,
    message: str | None = None,
    codes: list[str] | None = None,
) -> Response:
    now = runtime(request).clock()
    questions = answering.questions(survey)
    released = release.results_of(survey)
    suggested = released.suggested_threshold() if released is not None else None
    return page(
        request,
        "organisers/detail.html",
        {
            "campaign_address": pledge_campaign_address(request, survey, suggested),
            "survey": survey,
            "state_label": _state_label(survey, now),
            "questions": questions,
            **words(survey),
            "open": survey.state == SurveyState.OPEN,
            "released": released,
            "suggested": suggested,
            "can_invite": survey.invite_mode == InviteMode.INVITE
            and survey.state == SurveyState.OPEN,
            "codes": codes or [],
            "survey_urls": printed_urls(request, "surveys:survey", slug=survey.slug),
            "members": await team.member_names(survey),
            "is_owner": survey.owner_id == request.state.organiser.id,  # type: ignore[attr-defined]
            "message": message,
            "S": SurveyState,
        },
        refusal,
    )


@organisers(*MANAGERS)
async def detail(request: Request) -> Response:
    return await _detail(request, await team_survey_or_404(request))


def _edit_page(
    request: Request, survey: Survey, text: str, refusal: Refused | None = None
) -> Response:
    context = {
        "survey": survey,
        "definition_text": text,
        "open": survey.state == SurveyState.OPEN,
        "problems": refusal.field_messages() if refusal else {},
    }
    return page(request, "organisers/edit.html", context, refusal)


@organisers(*MANAGERS)
async def edit_form(request: Request) -> Response:
    survey = await team_survey_or_404(request)
    text = json.dumps(setup.definition_file(survey), indent=2, ensure_ascii=False)
    return _edit_page(request, survey, text)


@organisers(*MANAGERS)
async def edit(request: Request) -> Response:
    """`organise survey redefine` on the page: the same rules, every problem listed."""
    survey = await team_survey_or_404(request)
    form = await read_form(request)
    served = runtime(request)
    text = str(form.get("definition", "") or "")[:DEFINITION_TEXT_CHARS]
    try:
        checked = definition.parse(NEW.read_form(form)["definition"], now=served.clock())
        await setup.redefine(survey, checked, acting=request.state.organiser, now=served.clock())
    except Refused as refusal:
        return _edit_page(request, await Survey.get(id=survey.id), text, refusal)
    return RedirectResponse(
        absolute_url(request, "survey_organisers:detail", slug=survey.slug), 303
    )


@organisers(*MANAGERS)
async def make_invites(request: Request) -> Response:
    survey = await team_survey_or_404(request)
    form = await read_form(request)
    try:
        count = INVITES.read_form(form)["count"]
        made = await invites.generate(survey, count, pepper=runtime(request).code_pepper)
    except Refused as refusal:
        return await _detail(request, survey, refusal=refusal)
    return await _detail(request, survey, codes=made)


@organisers(*MANAGERS)
async def close(request: Request) -> Response:
    survey = await team_survey_or_404(request)
    form = await read_form(request)
    if not CLOSE.read_form(form)["confirm"]:
        refusal = Refused(
            {"confirm": _("Tick the box to confirm: once closed, a survey cannot reopen.")}
        )
        return await _detail(request, survey, refusal=refusal)
    served = runtime(request)
    done = await release.release(
        survey.id, keystore=served.keystore, now=served.clock(), early=True
    )
    survey = await Survey.get(id=survey.id)
    if not done:
        refusal = Refused(_("This survey is already closed."), status=409, code="survey_closed")
        return await _detail(request, survey, refusal=refusal)
    return await _detail(request, survey, message=_("Closed: the results are released."))


@organisers(*MANAGERS)
async def publish(request: Request) -> Response:
    survey = await team_survey_or_404(request)
    shown = PUBLISH.read_form(await read_form(request))["public"]
    if survey.state != SurveyState.RELEASED:
        return await _detail(request, survey, refusal=not_released())
    await Survey.filter(id=survey.id).update(results_public=shown)
    survey = await Survey.get(id=survey.id)
    message = (
        _("The results are now on the survey's public page.")
        if shown
        else _("The results are no longer on the survey's public page.")
    )
    return await _detail(request, survey, message=message)


async def _change_team(request: Request, change: str) -> Response:
    survey = await team_survey_or_404(request)
    acting = request.state.organiser
    try:
        username = TEAM_MEMBER.read_form(await read_form(request))["username"]
        if change == "add":
            await team.add_member(survey, username, acting=acting)
        else:
            await team.remove_member(survey, username, acting=acting)
    except Refused as refusal:
        return await _detail(request, survey, refusal=refusal)
    return RedirectResponse(
        absolute_url(request, "survey_organisers:detail", slug=survey.slug), status_code=303
    )


@organisers(*MANAGERS)
async def add_member(request: Request) -> Response:
    return await _change_team(request, "add")


@organisers(*MANAGERS)
async def remove_member(request: Request) -> Response:
    return await _change_team(request, "remove")


@organisers(*MANAGERS)
async def results_download(request: Request) -> Response:
    survey = await team_survey_or_404(request)
    if request.path_params["format"] not in ("csv", "json"):
        raise team.not_found()
    released = release.results_of(survey)
    if released is None:
        raise not_released()
    if request.path_params["format"] == "csv":
        return Response(
            results_csv.results_csv(released, words(survey)["option_labels"]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{survey.slug}-results.csv"'},
        )
    return JSONResponse(
        results_json(survey),
        headers={"Content-Disposition": f'attachment; filename="{survey.slug}-results.json"'},
    )


@organisers(*MANAGERS)
async def texts(request: Request) -> Response:
    survey = await team_survey_or_404(request)
    records = await release.team_texts(
        survey, organiser_private_key(request), runtime(request).keystore
    )
    grouped: dict[str, list[str]] = {}
    for record in records:
        grouped.setdefault(record["question"], []).append(record["text"])
    return page(
        request,
        "organisers/texts.html",
        {"survey": survey, "grouped": grouped, "labels": words(survey)["labels"]},
    )


routes = [
    Route("/", list_surveys, methods=["GET"], name="list"),
    Route("/new", new_form, methods=["GET"], name="new_form"),
    Route("/new", create, methods=["POST"], name="create"),
    Route("/owners", assign_owner, methods=["POST"], name="assign_owner"),
    Route("/{slug}", detail, methods=["GET"], name="detail"),
    Route("/{slug}/edit", edit_form, methods=["GET"], name="edit_form"),
    Route("/{slug}/edit", edit, methods=["POST"], name="edit"),
    Route("/{slug}/invites", make_invites, methods=["POST"], name="invites"),
    Route("/{slug}/close", close, methods=["POST"], name="close"),
    Route("/{slug}/publish", publish, methods=["POST"], name="publish"),
    Route("/{slug}/team/add", add_member, methods=["POST"], name="team_add"),
    Route("/{slug}/team/remove", remove_member, methods=["POST"], name="team_remove"),
    Route("/{slug}/texts", texts, methods=["GET"], name="texts"),
    Route("/{slug}/results.{format:str}", results_download, methods=["GET"], name="results"),
]
