"""The team's side: define a survey, make codes, close it, read results and texts; nobody else."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

from organise.organisers import tokens
from organise.roles import Role
from organise.surveys import release
from organise.surveys.models import Survey, SurveyInvite
from tests.support import make_organiser, post_form, signed_in_organiser
from tests.surveys.conftest import CANARY, answered, make_survey, survey_file


async def _token(app, username: str, role: Role = Role.ORGANISER) -> dict[str, str]:
    organiser = await make_organiser(username, role)
    _row, token = await tokens.create_token(
        organiser, "tests", secret_key=app.state.runtime.secret_key
    )
    return {"Authorization": f"Bearer {token}"}


async def _released(app, client) -> Survey:
    survey = await make_survey(app)
    for text in ("a", "b", "c"):
        await answered(
            app, client, survey, {"unit": "Infra", "ready": 5, "why": f"{CANARY} {text}"}
        )
    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    return await Survey.get(id=survey.id)


async def test_the_results_api_answers_the_team_only(app, client):
    await _released(app, client)
    url = "/api/v1/organiser/surveys/cloud-2027/results"
    assert (await client.get(url)).status_code == 401
    outsider = await client.get(url, headers=await _token(app, "sam"))
    assert outsider.status_code == 404
    admin = await client.get(url, headers=await _token(app, "root", Role.ADMIN))
    assert admin.status_code == 404  # an administrator off the team sees nothing either
    reviewer = await client.get(url, headers=await _token(app, "rev", Role.REVIEWER))
    assert reviewer.status_code == 403
    owner = await client.get(url, headers=await _token(app, "alex"))
    assert owner.status_code == 200
    body = owner.json()
    assert body["slug"] == "cloud-2027"
    assert body["responses"] == 3
    assert {q["id"] for q in body["questions"]} == {"unit", "issues", "ready", "act_if"}
    csv_answer = await client.get(f"{url}?format=csv", headers=await _token(app, "alex"))
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.text.startswith("table,unit,unit_option,question,option,label,count")
    assert "responses,,,,,,3,no" in csv_answer.text
    assert CANARY not in csv_answer.text


async def test_the_results_api_refuses_before_the_close(app, client):
    await make_survey(app)
    answer = await client.get(
        "/api/v1/organiser/surveys/cloud-2027/results", headers=await _token(app, "alex")
    )
    assert answer.status_code == 409


async def test_an_organiser_defines_a_survey_through_the_form_and_sees_every_problem(app, client):
    await signed_in_organiser(client, "alex")
    bad = survey_file(k=2, slug="Bad Slug", questions=[{"id": "x", "type": "nope"}])
    refused = await post_form(client, "/organisers/surveys/new", {"definition": json.dumps(bad)})
    assert refused.status_code == 422
    for place in ("slug", "k", "questions[0].type"):
        assert f"<code>{place}</code>" in refused.text
    assert not await Survey.exists()
    made = await post_form(
        client, "/organisers/surveys/new", {"definition": json.dumps(survey_file())}
    )
    assert made.status_code == 303
    assert made.headers["location"].endswith("/organisers/surveys/cloud-2027")
    listed = await client.get("/organisers/surveys/")
    assert "The cloud contract" in listed.text


async def test_the_team_makes_codes_closes_and_reads_the_texts(app, client):
    survey = await make_survey(app)
    await signed_in_organiser(client, "alex")
    page = await client.get("/organisers/surveys/cloud-2027")
    assert page.status_code == 200
    assert "Nothing is counted before the close" in page.text
    made = await post_form(client, "/organisers/surveys/cloud-2027/invites", {"count": "3"})
    assert made.status_code == 200
    assert len(re.findall(r'<code class="secret">', made.text)) == 3
    assert await SurveyInvite.filter(survey_id=survey.id).count() == 3
    for text in ("a", "b", "c"):
        await answered(app, client, survey, {"unit": "Infra", "why": f"{CANARY} {text}"})
    unticked = await post_form(client, "/organisers/surveys/cloud-2027/close", {"confirm": ""})
    assert unticked.status_code == 422
    closed = await post_form(client, "/organisers/surveys/cloud-2027/close", {"confirm": "yes"})
    assert "the results are released" in closed.text
    texts = await client.get("/organisers/surveys/cloud-2027/texts")
    assert texts.status_code == 200
    for text in ("a", "b", "c"):
        assert f"{CANARY} {text}" in texts.text
    published = await post_form(client, "/organisers/surveys/cloud-2027/publish", {"public": "yes"})
    assert "The results are now on the survey" in published.text
    assert (await Survey.get(id=survey.id)).results_public


async def test_someone_off_the_team_gets_the_answer_for_no_survey(app, client):
    await make_survey(app)
    await signed_in_organiser(client, "sam")
    assert (await client.get("/organisers/surveys/cloud-2027")).status_code == 404
    closing = await post_form(client, "/organisers/surveys/cloud-2027/close", {"confirm": "yes"})
    assert closing.status_code == 404
    assert (await Survey.get(slug="cloud-2027")).state == "open"


async def test_a_closed_survey_with_a_threshold_question_prefills_a_campaign(app, client):
    survey = await make_survey(app)
    # Six would act if 3 did, six more if 5 did: enough in each cell for the curve's first
    # step to be shown (a step a reader could subtract to a count under k stays hidden).
    receipts = [
        await answered(app, client, survey, {"unit": unit, "act_if": n})
        for unit in ("Infra", "Ads")
        for n in (3, 5)
        for _ in range(3)
    ]
    await signed_in_organiser(client, "alex")
    before = await client.get("/organisers/surveys/cloud-2027")
    assert "Start a pledge campaign" not in before.text
    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    page = await client.get("/organisers/surveys/cloud-2027")
    link = re.search(r'href="(/organisers/campaigns/new\?[^"]+)"', page.text)
    assert link is not None
    address = link.group(1).replace("&amp;", "&")
    assert "threshold=3" in address
    form = await client.get(address)
    assert form.status_code == 200
    assert 'value="The cloud contract"' in form.text
    assert "I would refuse if at least N did" in form.text
    # The survey receipt is nothing to the campaigns: not a pledge's receipt.
    status = await client.post("/api/v1/pledges/status", json={"receipt": receipts[0]})
    assert status.status_code == 404


def _structured(**overrides: str) -> dict[str, str]:
    """The form as a browser sends it: every field of every slot, most of them empty."""
    empty = {
        f"q{slot}_{field}": ""
        for slot in range(12)
        for field in ("text", "type", "id", "options", "min", "max", "max_length")
    }
    values = empty | {
        "title": "Readiness",
        "slug": "readiness",
        "intro": "Two questions.",
        "closes_at": (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
        "k": "4",
        "invite_mode": "invite",
        "onward_invites": "0",
        "invite_depth": "1",
        "keep_texts_days": "30",
        "team": "",
        "q0_text": "Where do you work?",
        "q0_type": "choice",
        "q0_id": "unit",
        "q0_options": "Infra\r\nAds\r\n",
        "q0_crosstab": "yes",
        "q0_required": "yes",
        "q2_text": "Would you refuse if N did?",
        "q2_type": "threshold",
        "q2_options": "5\r\n10",
    }
    return values | overrides


async def test_the_structured_form_defines_a_survey_and_names_problems_by_slot(app, client):
    await signed_in_organiser(client, "alex")
    form = await client.get("/organisers/surveys/new")
    assert form.status_code == 200
    assert 'name="q11_text"' in form.text
    refused = await post_form(
        client,
        "/organisers/surveys/new",
        _structured(k="2", q2_options="10\r\n5", q0_options="Infra"),
    )
    assert refused.status_code == 422
    assert "<code>k</code>" in refused.text
    assert "<code>question 3.options</code>" in refused.text
    assert "<code>question 1.options</code>" in refused.text
    assert 'value="Would you refuse if N did?"' in refused.text  # typed back
    assert not await Survey.exists()
    made = await post_form(client, "/organisers/surveys/new", _structured())
    assert made.status_code == 303
    survey = await Survey.get(slug="readiness")
    assert survey.k == 4
    assert [q["id"] for q in survey.questions] == ["unit", "q3"]
    assert survey.questions[0]["crosstab"] is True
    assert survey.questions[1]["options"] == [5, 10]


async def test_the_team_redefines_a_survey_on_its_page_until_the_first_answer(app, client):
    survey = await make_survey(app)
    await signed_in_organiser(client, "alex")
    detail = await client.get("/organisers/surveys/cloud-2027")
    assert 'href="/organisers/surveys/cloud-2027/edit"' in detail.text
    shown = await client.get("/organisers/surveys/cloud-2027/edit")
    assert shown.status_code == 200
    assert "<script" not in shown.text
    text = re.search(
        r'<textarea id="definition" name="definition"[^>]*>(.*?)</textarea>', shown.text, re.S
    )
    assert text is not None
    prefilled = json.loads(html.unescape(text.group(1)))
    assert prefilled["questions"] == survey.questions
    assert prefilled["k"] == 3
    # Every problem listed, nothing stored.
    bad = {**prefilled, "k": 2, "questions": [{"id": "x", "type": "nope"}]}
    refused = await post_form(
        client, "/organisers/surveys/cloud-2027/edit", {"definition": json.dumps(bad)}
    )
    assert refused.status_code == 422
    for place in ("k", "questions[0].type"):
        assert f"<code>{place}</code>" in refused.text
    assert (await Survey.get(id=survey.id)).k == 3
    # Before the first answer, the counting may change.
    fewer = {**prefilled, "k": 4, "questions": prefilled["questions"][:2]}
    saved = await post_form(
        client, "/organisers/surveys/cloud-2027/edit", {"definition": json.dumps(fewer)}
    )
    assert saved.status_code == 303
    stored = await Survey.get(id=survey.id)
    assert stored.k == 4
    assert [q["id"] for q in stored.questions] == ["unit", "issues"]
    await answered(app, client, stored, {"unit": "Infra"})
    # After it: what shapes the counting is refused, every such field named; the title may change.
    late = {**fewer, "k": 5, "invite_depth": 2, "title": "Renamed"}
    refused = await post_form(
        client, "/organisers/surveys/cloud-2027/edit", {"definition": json.dumps(late)}
    )
    assert refused.status_code == 409
    assert "Answers are already in" in refused.text
    for place in ("k", "invite_depth"):
        assert f"<code>{place}</code>" in refused.text
    assert (await Survey.get(id=survey.id)).title == "The cloud contract"
    renamed = await post_form(
        client,
        "/organisers/surveys/cloud-2027/edit",
        {"definition": json.dumps({**fewer, "title": "Renamed"})},
    )
    assert renamed.status_code == 303
    assert (await Survey.get(id=survey.id)).title == "Renamed"


async def test_only_the_team_redefines_and_only_from_our_own_pages(app, client):
    survey = await make_survey(app)
    sent = {"definition": json.dumps(survey_file(title="Taken over"))}
    await signed_in_organiser(client, "sam")
    assert (await client.get("/organisers/surveys/cloud-2027/edit")).status_code == 404
    outsider = await post_form(client, "/organisers/surveys/cloud-2027/edit", sent)
    assert outsider.status_code == 404
    await signed_in_organiser(client, "alex")
    foreign = await client.post(
        "/organisers/surveys/cloud-2027/edit", data=sent, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert (await Survey.get(id=survey.id)).title == "The cloud contract"


async def test_absurdly_nested_json_is_refused_in_words_on_both_definition_forms(app, client):
    survey = await make_survey(app)
    await signed_in_organiser(client, "alex")
    nested = {"definition": "[" * 20_000}
    for address in ("/organisers/surveys/cloud-2027/edit", "/organisers/surveys/new"):
        refused = await post_form(client, address, nested)
        assert refused.status_code == 422, (address, refused.status_code)
        assert "This is not valid JSON" in refused.text
        assert "Traceback" not in refused.text
    assert await Survey.all().count() == 1
    assert (await Survey.get(id=survey.id)).title == "The cloud contract"
