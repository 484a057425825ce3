"""Every worker page, in every language with a catalogue, has no English left.

The routing table is walked (every worker route that answers GET), and the worker's journeys
(sign, check and withdraw a pledge; report and follow up; answer, change and withdraw survey
answers; refusals and errors) are made under each prefix. Every English message looked up in
that language without a translation is recorded by organise.i18n (`untranslated`) and fails
the test, by name.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import BaseRoute, Mount, Route

from organise import i18n
from organise.app import worker_pages
from organise.contracts.models import Employer
from organise.surveys import release
from tests.campaigns.conftest import make_campaign, make_codes
from tests.contracts.helpers import make_contract
from tests.i18n.conftest import OTHER_LANGUAGES
from tests.support import post_form
from tests.surveys.conftest import answered, codes_for, make_survey

RECEIPT = re.compile(r'<code class="secret"[^>]*>([a-z-]+)</code>')
REPORT = {
    "employer": "Examplecorp",
    "agency": "Springfield Police Department",
    "agency_type": "police",
    "country": "US",
    "jurisdiction": "Springfield",
    "technologies": ["face-recognition"],
    "status": "rumoured",
    "period_start": "2024-03",
    "sources": "https://example.org/a",
    "relation": "former-employee",
    "details": "The drone feed goes to the department.",
}


def get_paths(routes: list[BaseRoute], prefix: str = "") -> list[str]:
    """The path of every route that answers GET, parameters left as written."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += get_paths(route.routes, prefix + route.path)
        elif isinstance(route, Route) and "GET" in (route.methods or ()):
            found.append(prefix + route.path)
    return found


async def _world(app: Any) -> dict[str, str]:
    campaign = (await make_campaign(app)).campaign
    await make_survey(app)
    employer = await Employer.create(name="Axon", slug="axon", key="axon")
    contract = await make_contract(employer)
    return {
        "{slug}": campaign.slug,
        "{contract_id:uuid}": str(contract.id),
        "{secret}": "not-a-share-link",
    }


def _fill(path: str, values: dict[str, str]) -> str:
    if path.startswith("/surveys/{slug}"):
        path = path.replace("{slug}", "cloud-2027")
    elif path.startswith("/contracts/employers/"):
        path = path.replace("{slug}", "axon")
    for name, value in values.items():
        path = path.replace(name, value)
    return path


def _misses(code: str) -> list[str]:
    return sorted(message for locale, message in i18n.untranslated if locale == code)


async def _journeys(app: Any, client: Any, code: str) -> None:
    p = f"/{code}"
    # A pledge: signed, written down, checked, printed, withdrawn.
    [invite] = await make_codes(app, (await make_campaign(app, slug=f"w-{code}")).campaign, 1)
    form = await client.get(f"{p}/campaigns/w-{code}/sign", follow_redirects=True)
    address = form.url.raw_path.decode()
    refused = await post_form(client, address, {"name": "", "invite_code": "nope"})
    assert refused.status_code in {400, 403, 422}
    signed = await post_form(client, address, {"name": "Rosa", "invite_code": invite})
    [receipt] = RECEIPT.findall(signed.text)
    check = " ".join(receipt.split("-")[-2:])
    confirm = address.replace("/sign?", "/confirmed?")
    assert (await post_form(client, confirm, {"receipt": receipt, "check": check})).is_success
    for path in ("/pledges/status", "/pledges/receipt", "/pledges/withdraw"):
        assert (await post_form(client, p + path, {"receipt": receipt})).status_code < 500
    gone = await post_form(client, f"{p}/pledges/withdraw", {"receipt": receipt, "confirm": "yes"})
    assert gone.is_success
    # A report: sent, written down, followed up.
    form = await client.get(f"{p}/reports/new", follow_redirects=True)
    address = form.url.raw_path.decode()
    assert (
        await post_form(client, address, {**REPORT, "employer": "", "relation": "x"})
    ).status_code == 422
    sent = await post_form(client, address, REPORT)
    [report_receipt] = RECEIPT.findall(sent.text)
    check = " ".join(report_receipt.split("-")[-2:])
    await post_form(client, f"{p}/reports/receipt", {"receipt": report_receipt, "check": check})
    followed = await post_form(client, f"{p}/reports/follow-up", {"receipt": report_receipt})
    assert followed.status_code == 200
    # Survey answers: sent, checked, changed, withdrawn; then the results.
    survey = await make_survey(app, slug=f"s-{code}")
    [survey_code] = await codes_for(app, survey)
    form = await client.get(f"{p}/surveys/s-{code}", follow_redirects=True)
    address = form.url.raw_path.decode()
    answered_page = await post_form(client, address, {"unit": "Infra", "invite_code": survey_code})
    [survey_receipt] = RECEIPT.findall(answered_page.text)
    status = await post_form(client, f"{p}/surveys/responses/status", {"receipt": survey_receipt})
    change = re.search(r'action="([^"]*/surveys/responses/change\?t=[^"]+)"', status.text)
    await post_form(client, change.group(1), {"receipt": survey_receipt, "unit": "Ads"})
    withdraw = await client.get(f"{p}/surveys/responses/withdraw", follow_redirects=True)
    await post_form(client, withdraw.url.raw_path.decode(), {"receipt": survey_receipt})
    kept = [await answered(app, client, survey, {"unit": "Infra"}) for _ in range(3)]
    await survey.__class__.filter(id=survey.id).update(results_public=True)
    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    await client.get(f"{p}/surveys/s-{code}", follow_redirects=True)
    await post_form(client, f"{p}/surveys/responses/status", {"receipt": kept[0]})
    # Refusals: another site's form, an unknown address.
    cross = await client.post(f"{p}/reports/new", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert (await client.get(f"{p}/campaigns/nowhere")).status_code == 404


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
async def test_no_english_is_left_on_any_worker_page(app, client, code):
    values = await _world(app)
    i18n.untranslated.clear()
    for path in get_paths(worker_pages()):
        if path == "/leave":
            continue  # a redirect to another site
        answer = await client.get(f"/{code}" + _fill(path, values), follow_redirects=True)
        assert answer.status_code < 500, path
        assert "set-cookie" not in answer.headers, path
    await _journeys(app, client, code)
    assert not client.cookies  # no answer, to any of it, set a cookie
    assert _misses(code) == [], f"{len(_misses(code))} messages untranslated in {code}"
