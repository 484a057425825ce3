"""Worker pages of surveys: answering, the receipt, and what the receipt lets one do.

Every route here is `@public`: no session is read, no cookie is set, nothing needs JavaScript.
The receipt is shown on the answer to the form; the same form sent again with its submission
token shows the same receipt, until the respondent confirms they wrote it down.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto import codes
from organise.campaigns.pages import paragraphs
from organise.fields import FormData
from organise.i18n import DEFAULT_LOCALE, _, current_locale, written
from organise.refusal import Refused
from organise.runtime import runtime
from organise.submissions import tokens
from organise.submissions.confirmation import last_two_words_match, shown_receipt, wrong_last_words
from organise.surveys import answering, definition, invites, release, team
from organise.surveys.definition import SLUG_PATTERN, Wording
from organise.surveys.fields import (
    INVITE_CODE,
    MAX_FORM_FIELDS,
    RECEIPT,
    answers_table,
    form_fields,
)
from organise.surveys.models import InviteMode, Survey, SurveyState
from organise.web import limits
from organise.web.access import public
from organise.web.forms import read_form
from organise.web.templating import render


def page(
    request: Request, name: str, context: dict[str, Any], refusal: Refused | None = None
) -> Response:
    """A survey page, shown again with what was refused (to the same person; nothing stored)."""
    shown = {
        **context,
        "error": refusal.message if refusal else None,
        "errors": refusal.field_messages() if refusal else {},
    }
    if refusal is None:
        return render(request, f"surveys/{name}", shown)
    return render(request, f"surveys/{name}", shown, refusal.status, refusal.headers)


async def survey_or_404(slug: str) -> Survey:
    found = await Survey.get_or_none(slug=slug) if SLUG_PATTERN.fullmatch(slug) else None
    if found is None:
        raise team.not_found()
    return found


def right_code(request: Request, survey: Survey, code: object) -> limits.Probe:
    pepper = runtime(request).code_pepper
    return lambda: invites.is_unused(survey, code, pepper)


def right_receipt(request: Request, receipt: object) -> limits.Probe:
    pepper = runtime(request).code_pepper
    return lambda: answering.is_known(receipt, pepper=pepper)


def public_results(survey: Survey) -> Any:
    """The released tables, when the team made them public."""
    if survey.state == SurveyState.RELEASED and survey.results_public:
        return release.results_of(survey)
    return None


def wording(survey: Survey) -> Wording:
    """The survey's words in the request's language (`current_locale`), else the default's."""
    return definition.wording(
        survey.title,
        survey.intro,
        answering.questions(survey),
        survey.translations,
        current_locale.get(),
    )


def words(survey: Survey) -> dict[str, Any]:
    """What the templates show of `wording`: title, question texts, option labels by id."""
    shown = wording(survey)
    return {
        "title": shown.title,
        "labels": shown.texts,
        "option_labels": shown.labels,
        # Some words are in the default language, not the reader's: the page says so.
        "words": written.Shown({}, DEFAULT_LOCALE, fallback=shown.fallback),
    }


def survey_context(request: Request, survey: Survey) -> dict[str, Any]:
    questions = answering.questions(survey)
    return {
        "survey": survey,
        **words(survey),
        "intro": paragraphs(wording(survey).intro),
        "questions": questions,
        "open": answering.is_open(survey, runtime(request).clock()),
        "invite_only": survey.invite_mode == InviteMode.INVITE,
        "results": public_results(survey),
    }


def _values(survey: Survey, form: FormData | None) -> dict[str, Any]:
    table = answers_table(answering.questions(survey))
    if form is None:
        return {name: [] if table[name].kind == "list" else "" for name in table.names} | {
            "invite_code": ""
        }
    return {**table.typed_back(form), "invite_code": str(form.get("invite_code", ""))[:100]}


@public
async def survey_page(request: Request) -> Response:
    found = await survey_or_404(request.path_params["slug"])
    moved = tokens.token_address(request)
    if moved is not None:
        return moved
    context = survey_context(request, found)
    context["values"] = _values(found, None)
    context["action"] = tokens.form_action(request)
    closed = None if context["open"] else answering.closed_error()
    return page(request, "survey.html", context, closed)


async def _answer(request: Request, found: Survey, form: FormData) -> answering.Answered:
    token = tokens.form_token(request)
    now = runtime(request).clock()
    if not answering.is_open(found, now):
        raise answering.closed_error()
    answers = answering.read_answers(found, form, from_form=True)
    code = INVITE_CODE.read_form(form)["invite_code"]
    work = functools.partial(
        answering.answer, found, answers, invite_code=code, pepper=runtime(request).code_pepper
    )
    content = answering.answer_content(found, answers, code)
    return await tokens.once_per_token(
        request, token, content, work, answering.ANSWERED, other_content="replace"
    )


@public
@limits.counts_failures
async def answer(request: Request) -> Response:
    found = await survey_or_404(request.path_params["slug"])
    form = await read_form(request, max_fields=form_fields(answering.questions(found)))
    try:
        answered = await _answer(request, found, form)
    except Refused as refusal:
        probe = right_code(request, found, form.get("invite_code"))
        shown = await limits.failure(request, refusal, still_valid=probe)
        context = survey_context(request, found)
        context["values"] = _values(found, form)
        context["action"] = tokens.form_action(request)
        return page(request, "survey.html", context, shown)
    return receipt_page(request, found, answered.receipt, answered.invite_codes)


def receipt_page(
    request: Request,
    found: Survey,
    receipt: str,
    invite_codes: list[str],
    refusal: Refused | None = None,
) -> Response:
    context = {
        "survey": found,
        "receipt": receipt,
        "invite_codes": invite_codes,
        "confirm_action": tokens.carry(
            request, request.url_for("surveys:confirm", slug=found.slug).path
        ),
    }
    return page(request, "answered.html", context, refusal)


@public
async def confirmed(request: Request) -> Response:
    found = await survey_or_404(request.path_params["slug"])
    return page(request, "confirmed.html", {"survey": found})


@public
@limits.counts_failures
async def confirm(request: Request) -> Response:
    found = await survey_or_404(request.path_params["slug"])
    form = await read_form(request)
    receipt = shown_receipt(form)
    if not last_two_words_match(str(form.get("check", "")), receipt):
        onward = [str(code)[:100] for code in form.getlist("invite_code")][:10]
        return receipt_page(
            request,
            found,
            receipt,
            onward,
            Refused(wrong_last_words(), status=400, code="wrong_last_words"),
        )
    await tokens.forget_form_token(request)
    return page(request, "confirmed.html", {"survey": found})


@public
async def status_form(request: Request) -> Response:
    return page(request, "status.html", {"result": None})


def _status_context(request: Request, result: answering.Status) -> dict[str, Any]:
    found = result.survey
    questions = answering.questions(found)
    return {
        "result": result,
        "survey": found,
        "questions": questions,
        **words(found),
        "open": answering.is_open(found, runtime(request).clock()),
        "released": release.results_of(found) if result.results is not None else None,
        "values": _values(found, None),
        # A fresh submission token: the change is done once, however often it is sent.
        "change_action": (
            f"{request.url_for('survey_responses:change').path}"
            f"?{tokens.QUERY_PARAMETER}={codes.new_token()}"
        ),
    }


@public
@limits.counts_failures
async def status(request: Request) -> Response:
    form = await read_form(request)
    try:
        receipt = RECEIPT.read_form(form)["receipt"]
        result = await answering.status(receipt, pepper=runtime(request).code_pepper)
    except Refused as refusal:
        shown = await limits.failure(request, refusal)
        return page(request, "status.html", {"result": None}, shown)
    # The receipt travels back in the change form's body only (never in an address).
    return page(request, "status.html", {**_status_context(request, result), "receipt": receipt})


@public
@limits.counts_failures
async def change(request: Request) -> Response:
    # The survey is known only from the receipt inside the form: the bound of any survey.
    form = await read_form(request, max_fields=MAX_FORM_FIELDS)
    served = runtime(request)
    try:
        token = tokens.form_token(request)
        receipt = RECEIPT.read_form(form)["receipt"]
        found = (await answering.find(receipt, pepper=served.code_pepper)).survey
        answers = answering.read_answers(found, form, from_form=True)
        work = functools.partial(
            answering.change, receipt, form, pepper=served.code_pepper, from_form=True
        )
        content = answering.receipt_content("survey-change", receipt, answers)
        done = await tokens.once_per_token(
            request, token, content, work, answering.DONE, other_content="replace"
        )
    except Refused as refusal:
        probe = right_receipt(request, form.get("receipt"))
        shown = await limits.failure(request, refusal, still_valid=probe)
        return page(request, "changed.html", {"done": None}, shown)
    return page(request, "changed.html", {"done": done})


@public
async def withdraw_form(request: Request) -> Response:
    moved = tokens.token_address(request)
    if moved is not None:
        return moved
    return page(request, "withdraw.html", {"done": None, "action": tokens.form_action(request)})


@public
@limits.counts_failures
async def withdraw(request: Request) -> Response:
    form = await read_form(request)
    served = runtime(request)
    try:
        token = tokens.form_token(request)
        if form.get("confirm") != "yes":
            raise Refused(
                {"confirm": _("Tick the box to confirm that you want to withdraw your answer.")}
            )
        receipt = RECEIPT.read_form(form)["receipt"]
        work = functools.partial(answering.withdraw, receipt, pepper=served.code_pepper)
        content = answering.receipt_content("survey-withdraw", receipt)
        done = await tokens.once_per_token(
            request, token, content, work, answering.DONE, other_content="replace"
        )
    except Refused as refusal:
        probe = right_receipt(request, form.get("receipt"))
        shown = await limits.failure(request, refusal, still_valid=probe)
        context = {"done": None, "action": tokens.form_action(request)}
        return page(request, "withdraw.html", context, shown)
    return page(request, "withdraw.html", {"done": done})


@public
async def no_list(request: Request) -> Response:
    """No public list of surveys, on purpose (docs/surveys.md): the answer is a 404 that says so."""
    raise Refused(
        _(
            "Surveys are not listed here: a list would tell anyone, an employer included, which "
            "workplaces are being surveyed. Open your survey from the address you were given "
            "with your invitation."
        ),
        status=404,
        code="no_survey_list",
    )


routes = [
    Route("/", no_list, methods=["GET"], name="no_list"),
    Route("/{slug}", survey_page, methods=["GET"], name="survey"),
    Route("/{slug}", answer, methods=["POST"], name="answer"),
    Route("/{slug}/confirmed", confirmed, methods=["GET"], name="confirmed"),
    Route("/{slug}/confirmed", confirm, methods=["POST"], name="confirm"),
]

response_routes = [
    Route("/status", status_form, methods=["GET"], name="status_form"),
    Route("/status", status, methods=["POST"], name="status"),
    Route("/change", change, methods=["POST"], name="change"),
    Route("/withdraw", withdraw_form, methods=["GET"], name="withdraw_form"),
    Route("/withdraw", withdraw, methods=["POST"], name="withdraw"),
]
