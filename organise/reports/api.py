"""JSON API for reporters: submit a report, follow it up with the receipt.

Errors are `{"error": {"code", "message"}}` with a 4xx status, and nothing is stored.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.reports import followup, submission, validation
from organise.reports.followup import ReporterAccess
from organise.reports.models import Author
from organise.web.access import public
from organise.web.jsonbody import read_json_object


@public
async def create_report(request: Request) -> Response:
    data = await read_json_object(request)
    report = validation.report_input(data)
    state = request.app.state
    receipt = await submission.submit(report, keystore=state.keystore, pepper=state.code_pepper)
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
async def report_status(request: Request) -> Response:
    data = await read_json_object(request)
    access = await followup.open_with_receipt(data.get("receipt"), request.app.state.code_pepper)
    return JSONResponse(await _status(access))


@public
async def add_message(request: Request) -> Response:
    data = await read_json_object(request)
    access = await followup.open_with_receipt(data.get("receipt"), request.app.state.code_pepper)
    text = validation.message_text(data.get("message"))
    await followup.add_message(
        access.report, text, author=Author.REPORTER, keystore=request.app.state.keystore
    )
    return JSONResponse(await _status(access), status_code=201)


routes = [
    Route("/api/v1/reports", create_report, methods=["POST"], name="api_reports"),
    Route("/api/v1/reports/status", report_status, methods=["POST"], name="api_report_status"),
    Route("/api/v1/reports/messages", add_message, methods=["POST"], name="api_report_messages"),
]
