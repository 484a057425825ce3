"""Organiser dashboard pages under /organisers/dashboard: charts, tables and exports.

Every chart is server-rendered SVG beside a table of the same numbers; nothing needs
JavaScript or comes from another origin. Exports carry the page's filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from organise.contracts import taxonomy
from organise.dashboard import exports
from organise.dashboard.aggregates import DIMENSIONS, REPORTS, Aggregator, Answer, Filters, Row
from organise.dashboard.campaigns import campaign_rows
from organise.dashboard.fields import read_filters
from organise.i18n import _
from organise.refusal import Refused
from organise.runtime import runtime
from organise.suppression import hidden
from organise.web.access import organisers
from organise.web.templating import render

# Tables with more rows show the largest shown rows only (the exports have them all).
CHART_LIMIT = 25
BAR_CHART_WIDTH = 640
LABEL_WIDTH = 220
VALUE_WIDTH = 110
ROW_HEIGHT = 24
TREND_HEIGHT = 220
TREND_BAR_GAP = 4


def view_titles() -> dict[str, str]:
    return {
        "employer": _("Reports by employer"),
        "agency_type": _("Reports by kind of agency"),
        "technology": _("Reports by technology"),
        "technology_group": _("Reports by group of technologies"),
        "country": _("Reports by country"),
        "status": _("Reports by how public the contract is"),
        "month": _("Reports by month"),
    }


@dataclass(frozen=True)
class Bar:
    row: Row
    y: int
    width: int


@dataclass(frozen=True)
class Column:
    row: Row
    x: int
    height: int
    width: int


@dataclass(frozen=True)
class View:
    by: str
    title: str
    answer: Answer
    rows: list[Row]  # the rows in the chart and its table
    total_rows: int
    hidden_left_out: int  # hidden rows not in a truncated chart
    csv_url: str
    json_url: str

    @property
    def truncated(self) -> bool:
        return len(self.rows) < self.total_rows

    @property
    def bars(self) -> list[Bar]:
        biggest = max((row.count or 0 for row in self.rows), default=0) or 1
        span = BAR_CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
        return [
            Bar(row=row, y=index * ROW_HEIGHT, width=round((row.count or 0) * span / biggest))
            for index, row in enumerate(self.rows)
        ]

    @property
    def columns(self) -> list[Column]:
        if not self.rows:
            return []
        biggest = max((row.count or 0 for row in self.rows), default=0) or 1
        step = max(8, (BAR_CHART_WIDTH - 40) // len(self.rows))
        usable = TREND_HEIGHT - 40
        return [
            Column(
                row=row,
                x=40 + index * step,
                height=round((row.count or 0) * usable / biggest),
                width=max(2, min(48, step - TREND_BAR_GAP)),
            )
            for index, row in enumerate(self.rows)
        ]

    @property
    def chart_height(self) -> int:
        return TREND_HEIGHT if self.by == "month" else max(1, len(self.rows)) * ROW_HEIGHT

    @property
    def label_every(self) -> int:
        """On the monthly trend, label one month in this many (the table has them all)."""
        return max(1, len(self.rows) // 12 + (1 if len(self.rows) % 12 else 0))


def _export_url(request: Request, by: str, fmt: str, filters: Filters) -> str:
    url = str(request.url_for("dashboard:export", view=by, fmt=fmt).path)
    query = urlencode(filters.params())
    return f"{url}?{query}" if query else url


def _chart_rows(answer: Answer) -> tuple[list[Row], int]:
    if len(answer.rows) <= CHART_LIMIT or answer.by == "month":
        return answer.rows, 0
    shown = [row for row in answer.rows if not row.suppressed]
    largest = sorted(shown, key=lambda row: (-(row.count or 0), row.label.casefold()))
    hidden = len(answer.rows) - len(shown)
    return largest[:CHART_LIMIT], hidden


def _view(request: Request, answer: Answer, filters: Filters) -> View:
    rows, hidden_left_out = _chart_rows(answer)
    return View(
        by=answer.by,
        title=view_titles()[answer.by],
        answer=answer,
        rows=rows,
        total_rows=len(answer.rows),
        hidden_left_out=hidden_left_out,
        csv_url=_export_url(request, answer.by, "csv", filters),
        json_url=_export_url(request, answer.by, "json", filters),
    )


@organisers()
async def dashboard(request: Request) -> Response:
    filters = read_filters(request.query_params)
    k = runtime(request).settings.small_cell_k
    aggregator = Aggregator(REPORTS, k)
    views = [_view(request, await aggregator.answer(by, filters), filters) for by in DIMENSIONS]
    context: dict[str, Any] = {
        "filters": filters,
        "k": k,
        "hidden_word": hidden(),
        "views": views,
        "campaigns": await campaign_rows(),
        "technology_groups": taxonomy.technology_groups(),
        "countries": taxonomy.countries(),
        "campaigns_csv": str(request.url_for("dashboard:export", view="campaigns", fmt="csv").path),
        "campaigns_json": str(
            request.url_for("dashboard:export", view="campaigns", fmt="json").path
        ),
        "bar_width": BAR_CHART_WIDTH,
        "label_width": LABEL_WIDTH,
        "value_width": VALUE_WIDTH,
        "row_height": ROW_HEIGHT,
        "trend_height": TREND_HEIGHT,
    }
    return render(request, "dashboard/index.html", context)


@organisers()
async def export(request: Request) -> Response:
    view, fmt = request.path_params["view"], request.path_params["fmt"]
    if fmt not in {"csv", "json"} or view not in (*DIMENSIONS, "campaigns"):
        raise Refused(_("There is no export at this address."), status=404, code="not_found")
    if view == "campaigns":
        rows = await campaign_rows()
        return exports.campaigns_csv(rows) if fmt == "csv" else exports.campaigns_json(rows)
    filters = read_filters(request.query_params)
    answer = await Aggregator(REPORTS, runtime(request).settings.small_cell_k).answer(view, filters)
    if fmt == "csv":
        return exports.answer_csv(answer, f"reports-by-{view}.csv")
    return exports.answer_json(answer)


routes = [
    Route("/", dashboard, methods=["GET"], name="index"),
    Route("/{view}.{fmt}", export, methods=["GET"], name="export"),
]
