"""The JSON twins of the survey pages, under /api/v1, and the team's results API.

Errors are `{"error": {"code", "message", "fields"}}` with a 4xx status (organise.web.errors).
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.i18n import _
from organise.refusal import Refused
from organise.runtime import runtime
from organise.submissions import tokens
from organise.surveys import answering, release, results_csv, team
from organise.surveys.fields import RECEIPT
from organise.surveys.models import InviteMode, Survey, SurveyState
from organise.surveys.pages import public_results, right_code, right_receipt, survey_or_404, words
from organise.web import limits
from organise.web.access import organisers, public
from organise.web.jsonbody import read_json_object
from organise.web.openapi import Operation, documented, query_parameter

RESPONSE_KEYS = frozenset({"invite_code", "answers"})
CHANGE_KEYS = frozenset({"receipt", "answers"})


def results_json(survey: Survey) -> dict[str, object] | None:
    released = release.results_of(survey)
    if released is None:
        return None
    return released.as_json(slug=survey.slug, released_at=release.released_at(survey))


def survey_json(request: Request, survey: Survey) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": survey.slug,
        "title": survey.title,
        "intro": survey.intro,
        "closes_at": survey.closes_at.isoformat(),
        "state": "open" if answering.is_open(survey, runtime(request).clock()) else "closed",
        "invite_only": survey.invite_mode == InviteMode.INVITE,
        "k": survey.k,
        "questions": survey.questions,
        "translations": survey.translations,
        # Said plainly, as on the page: the operator holds the keystore.
        "operator_can_open": True,
    }
    if public_results(survey) is not None:
        data["results"] = results_json(survey)
    return data


def _only(data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise Refused(
            {unknown[0]: _("Unknown field %(field)s.") % {"field": unknown[0][:40]}},
            code="unknown_field",
        )


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 200:
        raise Refused({name: _("%(field)s must be text.") % {"field": name}}, code="invalid_field")
    return value


@public
@documented(
    Operation(
        summary="A survey: its public facts and questions (and its results, once public).",
        answers={200: ("Survey", "The survey.")},
        refusals=(404,),
    )
)
async def survey_detail(request: Request) -> Response:
    found = await survey_or_404(request.path_params["slug"])
    return JSONResponse(survey_json(request, found))


@public
@documented(
    Operation(
        summary="Answer a survey (an invite code is needed unless it is open to anyone).",
        answers={201: ("SurveyAnswered", "Answered: the receipt, shown once.")},
        body="SurveyResponseInput",
        parameters=(tokens.IDEMPOTENCY_KEY_PARAMETER,),
        refusals=(400, 403, 404, 409, 413, 415, 422, 429),
    )
)
@limits.counts_failures
async def respond(request: Request) -> Response:
    found = await survey_or_404(request.path_params["slug"])
    token = tokens.api_token(request)
    data = await read_json_object(request)
    served = runtime(request)
    limits.retest_with(request, right_code(request, found, data.get("invite_code")))
    _only(data, RESPONSE_KEYS)
    if not answering.is_open(found, served.clock()):
        raise answering.closed_error()
    answers = answering.read_answers(found, data.get("answers"), from_form=False)
    code = _text(data, "invite_code")
    work = functools.partial(
        answering.answer, found, answers, invite_code=code, pepper=served.code_pepper
    )
    content = answering.answer_content(found, answers, code)
    answered = await tokens.once_per_token(
        request, token, content, work, answering.ANSWERED, other_content="refuse"
    )
    return JSONResponse(
        {"receipt": answered.receipt, "invite_codes": answered.invite_codes}, status_code=201
    )


@public
@documented(
    Operation(
        summary="What a survey receipt tells: the answer is counted, and released results.",
        answers={200: ("SurveyResponseStatus", "The answer's state.")},
        body="Receipt",
        refusals=(400, 404, 413, 415, 429),
    )
)
@limits.counts_failures
async def status(request: Request) -> Response:
    data = await read_json_object(request)
    limits.retest_with(request, right_receipt(request, data.get("receipt")))
    receipt = RECEIPT.read_json(data)["receipt"]
    result = await answering.status(receipt, pepper=runtime(request).code_pepper)
    body: dict[str, Any] = {
        "survey": result.survey.slug,
        "status": "counted",
        "state": "open" if answering.is_open(result.survey, runtime(request).clock()) else "closed",
    }
    if result.results is not None:
        body["results"] = results_json(result.survey)
    return JSONResponse(body)


@public
@documented(
    Operation(
        summary="Replace a survey answer whole, with its receipt, while the survey is open.",
        answers={200: ("SurveyDone", "Replaced.")},
        body="SurveyChangeInput",
        parameters=(tokens.IDEMPOTENCY_KEY_PARAMETER,),
        refusals=(400, 404, 409, 413, 415, 422, 429),
    )
)
@limits.counts_failures
async def change(request: Request) -> Response:
    token = tokens.api_token(request)
    data = await read_json_object(request)
    served = runtime(request)
    limits.retest_with(request, right_receipt(request, data.get("receipt")))
    _only(data, CHANGE_KEYS)
    receipt = RECEIPT.read_json({"receipt": data.get("receipt")})["receipt"]
    found = (await answering.find(receipt, pepper=served.code_pepper)).survey
    answers = answering.read_answers(found, data.get("answers"), from_form=False)
    work = functools.partial(
        answering.change, receipt, data.get("answers"), pepper=served.code_pepper
    )
    content = answering.receipt_content("survey-change", receipt, answers)
    done = await tokens.once_per_token(
        request, token, content, work, answering.DONE, other_content="refuse"
    )
    return JSONResponse({"changed": True, "survey": done.slug})


@public
@documented(
    Operation(
        summary="Withdraw a survey answer, with its receipt, while the survey is open.",
        answers={200: ("SurveyDone", "Withdrawn: the sealed answer is deleted.")},
        body="Receipt",
        parameters=(tokens.IDEMPOTENCY_KEY_PARAMETER,),
        refusals=(400, 404, 409, 413, 415, 422, 429),
    )
)
@limits.counts_failures
async def withdraw(request: Request) -> Response:
    token = tokens.api_token(request)
    data = await read_json_object(request)
    served = runtime(request)
    limits.retest_with(request, right_receipt(request, data.get("receipt")))
    receipt = RECEIPT.read_json(data)["receipt"]
    work = functools.partial(answering.withdraw, receipt, pepper=served.code_pepper)
    content = answering.receipt_content("survey-withdraw", receipt)
    done = await tokens.once_per_token(
        request, token, content, work, answering.DONE, other_content="refuse"
    )
    return JSONResponse({"withdrawn": True, "survey": done.slug})


async def team_survey_or_404(request: Request) -> Survey:
    """The survey at this address, if the signed-in organiser is on its team; else 404."""
    found = await survey_or_404(request.path_params["slug"])
    await team.require_team(found, request.state.organiser)
    return found


def not_released() -> Refused:
    return Refused(
        _("This survey has not closed yet: nothing is counted before its release."),
        status=409,
        code="not_released",
    )


@organisers(*team.TEAM_ROLES)
@documented(
    Operation(
        summary="A survey's released results, for its team (JSON, or CSV with ?format=csv).",
        answers={200: ("SurveyResults", "The suppressed tables: null is a hidden count.")},
        parameters=(query_parameter("format", "json (the default) or csv.", enum=["json", "csv"]),),
        refusals=(401, 403, 404, 409),
        organisers_only=True,
    )
)
async def team_results(request: Request) -> Response:
    found = await team_survey_or_404(request)
    if found.state != SurveyState.RELEASED:
        raise not_released()
    released = release.results_of(found)
    if released is None:
        raise not_released()
    if request.query_params.get("format") == "csv":
        return Response(
            results_csv.results_csv(released, words(found)["option_labels"]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{found.slug}-results.csv"'},
        )
    return JSONResponse(results_json(found))


survey_routes = [
    Route("/{slug}", survey_detail, methods=["GET"], name="survey"),
    Route("/{slug}/responses", respond, methods=["POST"], name="respond"),
]

response_routes = [
    Route("/status", status, methods=["POST"], name="status"),
    Route("/change", change, methods=["POST"], name="change"),
    Route("/withdraw", withdraw, methods=["POST"], name="withdraw"),
]

organiser_routes = [
    Route("/{slug}/results", team_results, methods=["GET"], name="results"),
]
