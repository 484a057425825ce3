"""JSON API for reporters: submit a report, follow it up with the receipt.

Errors are `{"error": {"code", "message"}}` with a 4xx status, and nothing is stored.
"""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.reports import followup, submission
from organise.reports.fields import REPORT, read_message, read_report
from organise.reports.followup import ReporterAccess
from organise.reports.models import Author
from organise.runtime import runtime
from organise.submissions import tokens
from organise.web import limits
from organise.web.access import public
from organise.web.jsonbody import read_json_object
from organise.web.openapi import Operation, documented


@public
@documented(
    Operation(
        summary="Report a contract; the details are encrypted before any write.",
        answers={
            201: (
                "Receipt",
                "Received: the receipt (the same again for the same Idempotency-Key and body).",
            )
        },
        body=REPORT,
        parameters=(tokens.IDEMPOTENCY_KEY_PARAMETER,),
        refusals=(400, 409, 413, 415, 422, 429),
    )
)
@limits.counts_failures
async def create_report(request: Request) -> Response:
    token = tokens.api_token(request)
    report = read_report(await read_json_object(request))
    found = runtime(request)
    work = functools.partial(
        submission.submit, report, keystore=found.keystore, pepper=found.code_pepper
    )
    content = submission.report_content(report)
    receipt = await tokens.once_per_token(
        request, token, content, work, submission.RECEIPT, other_content="refuse"
    )
    return JSONResponse({"receipt": receipt}, status_code=201)


async def _status(access: ReporterAccess) -> dict[str, object]:
    state = followup.shown_state(access.report)
    messages = await followup.read_messages(access.report, access.key)
    return {
        "state": state.value,
        "week": access.report.week.isoformat(),
        "messages": [
            {"author": m.author.value, "week": m.week.isoformat(), "text": m.text} for m in messages
        ],
    }


@public
@documented(
    Operation(
        summary="A report's review state and conversation, with its receipt.",
        answers={200: ("ReportStatus", "The report's state.")},
        body="Receipt",
        refusals=(400, 404, 413, 415, 429),
    )
)
@limits.counts_failures
async def report_status(request: Request) -> Response:
    data = await read_json_object(request)
    access = await followup.open_with_receipt(data.get("receipt"), runtime(request).code_pepper)
    return JSONResponse(await _status(access))


@public
@documented(
    Operation(
        summary="Write to the reviewers about a report, with its receipt.",
        answers={
            201: (
                "ReportStatus",
                "Sent (once, for the same Idempotency-Key and body); the conversation so far.",
            )
        },
        body="ReportMessageInput",
        parameters=(tokens.IDEMPOTENCY_KEY_PARAMETER,),
        refusals=(400, 404, 409, 413, 415, 422, 429),
    )
)
@limits.counts_failures
async def add_message(request: Request) -> Response:
    token = tokens.api_token(request)
    data = await read_json_object(request)
    found = runtime(request)
    access = await followup.open_with_receipt(data.get("receipt"), found.code_pepper)
    limits.secret_proven(request)
    text = read_message(data)
    work = functools.partial(
        followup.add_message, access.report, text, author=Author.REPORTER, keystore=found.keystore
    )
    content = followup.message_content(access, text)
    await tokens.once_per_token(
        request, token, content, work, followup.SENT, other_content="refuse"
    )
    return JSONResponse(await _status(access), status_code=201)


routes = [
    Route("/api/v1/reports", create_report, methods=["POST"], name="api_reports"),
    Route("/api/v1/reports/status", report_status, methods=["POST"], name="api_report_status"),
    Route("/api/v1/reports/messages", add_message, methods=["POST"], name="api_report_messages"),
]
