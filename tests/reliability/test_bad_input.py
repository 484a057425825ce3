"""Bad input corpus, then logs and dumps: hundreds of malformed requests against a real server.

Every POST route (found by walking the app's routing table, so new routes are covered without
editing this file) gets the same battery: oversized bodies and fields, invalid UTF-8, NUL bytes,
wrong types, malformed multipart, broken JSON, missing or foreign origin, wrong content types;
routes that take codes, receipts or sessions also get replayed codes, spent receipts and ended
sessions. Expected: no 5xx, a readable message for each, and not one row written anywhere
(main database and keystore). Afterwards, the canary strings and client identifiers sent are
searched for in the server's output, every file of its instance directory and a pg_dump.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conftest import ON_POSTGRES, POSTGRES_URL, connect_postgres, truncate_postgres
from tests.reliability import drill
from tests.servers import LiveServer
from tests.support import valid_report

pytestmark = pytest.mark.timeout(300)

SLUG = "drill"
# Field names the routes read; every generic body carries all of them.
FIELDS = (
    *("name", "contact", "team", "message", "invite_code", "receipt", "details", "employer"),
    *("agency", "agency_type", "username", "passphrase", "new_passphrase", "totp", "share"),
    *("text", "reply", "state", "count", "label", "title", "demand", "threshold", "deadline"),
)
USER_AGENT = drill.unique("OrganiseDrillAgent-")
CLIENT_IP = f"198.51.100.{uuid.uuid4().int % 200 + 20}"
CANARY = drill.unique("Canarybad")


@dataclass
class Stage:
    server: LiveServer
    session: str  # a live organiser session
    ended_session: str  # a session that was signed out
    used_code: str
    fresh_code: str
    live_receipt: str
    spent_receipt: str
    report_receipt: str
    report_id: str
    secrets: list[str] = field(default_factory=list)


def _identifying_headers() -> dict[str, str]:
    return {
        "User-Agent": USER_AGENT,
        "X-Forwarded-For": CLIENT_IP,
        "X-Real-IP": CLIENT_IP,
        "Forwarded": f"for={CLIENT_IP}",
    }


@pytest.fixture(scope="module")
def stage(tmp_path_factory, database_url):
    server = LiveServer(tmp_path_factory.mktemp("bad-input"), extra_env=drill.server_env())
    server.start()
    try:
        server.create_organiser("drilladmin", "admin")
        server.create_campaign(SLUG, threshold=50, onward_invites="0")
        used, spent, fresh = server.invite_codes(SLUG, 3)
        pledge_canary = drill.unique("Canarypledge")
        report_canary = drill.unique("Canaryreport")
        with httpx.Client(base_url=server.url, timeout=60, headers=_identifying_headers()) as web:
            signed = web.post(
                f"/api/v1/campaigns/{SLUG}/pledges",
                json={"invite_code": used, "name": pledge_canary, "message": pledge_canary},
            )
            assert signed.status_code == 201, signed.text
            other = web.post(
                f"/api/v1/campaigns/{SLUG}/pledges", json={"invite_code": spent, "name": "B"}
            )
            assert other.status_code == 201, other.text
            withdrawn = web.post(
                "/api/v1/pledges/withdraw", json={"receipt": other.json()["receipt"]}
            )
            assert withdrawn.status_code == 200, withdrawn.text
            report = web.post("/api/v1/reports", json=valid_report(report_canary))
            assert report.status_code == 201, report.text
        session = drill.sign_in(server.url, "drilladmin")
        ended = drill.sign_in(server.url, "drilladmin")
        with httpx.Client(base_url=server.url, timeout=60) as web:
            web.cookies.set("organise_session", ended)
            out = web.post("/organisers/logout", headers={"Sec-Fetch-Site": "same-origin"})
            assert out.status_code == 303, out.text
        report_id = _one_report_id(server)
        yield Stage(
            server=server,
            session=session,
            ended_session=ended,
            used_code=used,
            fresh_code=fresh,
            live_receipt=signed.json()["receipt"],
            spent_receipt=other.json()["receipt"],
            report_receipt=report.json()["receipt"],
            report_id=report_id,
            secrets=[pledge_canary, report_canary, CANARY, USER_AGENT, CLIENT_IP],
        )
    finally:
        server.stop()
        if ON_POSTGRES:
            import asyncio

            asyncio.run(truncate_postgres(POSTGRES_URL))


def _one_report_id(server: LiveServer) -> str:
    if ON_POSTGRES:
        import asyncio

        async def read() -> str:
            connection = await connect_postgres()
            try:
                return str(await connection.fetchval("SELECT id FROM report LIMIT 1"))
            finally:
                await connection.close()

        return asyncio.run(read())
    import sqlite3

    path = server.instance_dir / "organise.sqlite3"
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(uuid.UUID(str(connection.execute("SELECT id FROM report").fetchone()[0])))
    finally:
        connection.close()


# -- the corpus ----------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Case:
    label: str
    path: str
    content: bytes
    content_type: str | None
    headers: dict[str, str]
    cookie: str | None

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def _concrete(template: str, stage: Stage) -> str:
    path = template.replace("{slug}", SLUG)
    path = re.sub(r"\{report_id(:uuid)?\}", stage.report_id, path)
    return re.sub(r"\{[a-z_]+(:[a-z]+)?\}", str(uuid.uuid4()), path)


def _form(values: dict[str, str]) -> bytes:
    return httpx.QueryParams(values).__str__().encode("ascii")


def _body(api: bool, values: dict[str, Any]) -> tuple[bytes, str]:
    if api:
        return drill.json_dumps(values), JSON
    return _form({key: str(value) for key, value in values.items()}), FORM


# Routes whose every field is optional: an empty form is a valid request there, not bad input.
ALL_FIELDS_OPTIONAL = frozenset({"/organisers/tokens"})


def _battery(
    api: bool, stage: Stage, template: str
) -> list[tuple[str, bytes, str | None, dict[str, str]]]:
    """(label, body, content type, extra headers) sent to every POST route."""
    same = {"Sec-Fetch-Site": "same-origin"}
    plausible = {
        "name": CANARY,
        "message": CANARY,
        "details": CANARY,
        "invite_code": stage.fresh_code,
        "receipt": stage.live_receipt,
        "username": "drilladmin",
        "passphrase": CANARY,
    }
    kind = JSON if api else FORM
    cases: list[tuple[str, bytes, str | None, dict[str, str]]] = [
        ("oversized body", b"name=" + b"x" * (300 * 1024), kind, same),
        ("oversized fields", _body(api, {n: CANARY + "y" * 9_900 for n in FIELDS})[0], kind, same),
        ("invalid UTF-8", b'{"name": "\xff\xfe\xc3\x28", "receipt": "\xed\xa0\x80"}', kind, same),
        ("invalid UTF-8 form", b"name=%ff%fe&message=\xff\xc3\x28", kind, same),
        ("NUL bytes", _body(api, {n: f"a\x00{CANARY}" for n in FIELDS})[0], kind, same),
        (
            "wrong types",
            drill.json_dumps(
                {
                    "name": [CANARY],
                    "receipt": {"r": 1},
                    "invite_code": 12345,
                    "details": True,
                    "message": 3.5,
                    "personal_threshold": "many",
                    "list_publicly": "yes",
                    "technologies": "face-recognition",
                    "username": None,
                }
            ),
            JSON,
            same,
        ),
        (
            "malformed multipart",
            b'--zzz\r\nContent-Disposition: form-data; name="name\r\n\r\n' + CANARY.encode(),
            "multipart/form-data; boundary=zzz",
            same,
        ),
        ("multipart without boundary", b"name=x", "multipart/form-data", same),
        ("foreign site", _body(api, plausible)[0], kind, {"Sec-Fetch-Site": "cross-site"}),
        ("foreign origin", _body(api, plausible)[0], kind, {"Origin": "http://attacker.example"}),
        ("opaque origin", _body(api, plausible)[0], kind, {"Origin": "null"}),
        ("truncated JSON", b'{"name": "' + CANARY.encode(), JSON, same),
        ("JSON not an object", b'["name", "receipt"]', JSON, same),
        ("deeply nested JSON", b"[" * 100_000 + b"]" * 100_000, JSON, same),
        ("broken form encoding", b"%zz&&==&name=%e2%28%a1", FORM, same),
        ("empty body", b"", kind, same),
        ("empty body, other content type", b"", FORM if api else JSON, same),
        ("no content type", _body(api, plausible)[0], None, same),
        ("text/plain", CANARY.encode(), "text/plain", same),
        ("too many fields", "&".join(f"f{n}=1" for n in range(2_000)).encode(), FORM, same),
    ]
    if template in ALL_FIELDS_OPTIONAL:
        cases = [case for case in cases if case[0] != "empty body"]
    return cases


def _specials(template: str, api: bool, stage: Stage) -> list[tuple[str, dict[str, Any]]]:
    """Replays and spent credentials, for the routes that take them."""
    specials: list[tuple[str, dict[str, Any]]] = []
    if template.endswith(("/pledges", "/sign")):
        specials += [
            ("replayed invite code", {"invite_code": stage.used_code, "name": CANARY}),
            ("malformed invite code", {"invite_code": "NOT-A-CODE-" + CANARY, "name": CANARY}),
            (
                "overlong personal threshold",
                {"invite_code": stage.fresh_code, "name": "x", "personal_threshold": 10**30},
            ),
        ]
    if template.startswith(("/pledges/", "/api/v1/pledges/")):
        specials += [
            ("spent receipt", {"receipt": stage.spent_receipt}),
            ("unknown receipt", {"receipt": "alpha bravo charlie delta echo fox golf hotel"}),
            ("receipt of a report", {"receipt": stage.report_receipt}),
        ]
    if "report" in template and not template.startswith("/organisers/"):
        specials += [
            ("pledge receipt for a report", {"receipt": stage.spent_receipt, "message": CANARY}),
            ("unknown report receipt", {"receipt": "x" * 40, "message": CANARY}),
        ]
    if template.endswith("/gate"):
        specials += [("share before the gate", {"share": " ".join(["academic"] * 33)})]
    return specials


def corpus(stage: Stage) -> list[Case]:
    cases: list[Case] = []
    for template, organiser_route in drill.post_routes():
        path = _concrete(template, stage)
        api = path.startswith("/api/")
        # A live session lets organiser routes reach their body checks; signing out would end it.
        cookie = None
        if organiser_route:
            cookie = stage.ended_session if path.endswith("/logout") else stage.session
        for label, body, content_type, headers in _battery(api, stage, template):
            cases.append(Case(label, path, body, content_type, headers, cookie))
        for label, values in _specials(template, api, stage):
            body, content_type = _body(api, values)
            same = {"Sec-Fetch-Site": "same-origin"}
            cases.append(Case(label, path, body, content_type, same, cookie))
        if organiser_route:
            body, content_type = _body(api, {"name": CANARY})
            same = {"Sec-Fetch-Site": "same-origin"}
            cases.append(Case("ended session", path, body, content_type, same, stage.ended_session))
            cases.append(Case("forged session", path, body, content_type, same, "x" * 43))
            cases.append(Case("no session", path, body, content_type, same, None))
    return cases


def _send(http: httpx.Client, case: Case) -> httpx.Response:
    headers = dict(case.headers)
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    http.cookies.clear()
    if case.cookie is not None:
        http.cookies.set("organise_session", case.cookie)
    return http.post(case.path, content=case.content, headers=headers)


def _readable(case: Case, response: httpx.Response) -> str | None:
    """None when the answer is a readable refusal; otherwise what is wrong with it."""
    if not 400 <= response.status_code < 500:
        return f"status {response.status_code}"
    if case.is_api:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return "not a JSON error"
        return None if isinstance(message, str) and len(message) > 10 else "empty message"
    if "text/html" not in response.headers.get("content-type", ""):
        return "not an HTML page"
    text = response.text
    if "Traceback" in text or "<h1>" not in text:
        return "no readable page"
    return None


# Failed passphrases are counted in memory only (organise.ratelimit), so no bad input writes a
# row; past an endpoint's failure limit the corpus meets readable 429s, which count as refusals.
def test_bad_input_corpus_is_refused_cleanly_and_stores_nothing(stage):
    cases = corpus(stage)
    assert len(cases) >= 200
    before = drill.row_counts(stage.server)
    problems = []
    statuses: Counter[int] = Counter()
    with httpx.Client(
        base_url=stage.server.url, timeout=60, headers=_identifying_headers()
    ) as http:
        counts = before
        for case in cases:
            response = _send(http, case)
            statuses[response.status_code] += 1
            problem = _readable(case, response)
            if problem:
                problems.append(f"{case.label} -> {case.path}: {problem} {response.text[:160]!r}")
            # Counted after each case, so a failure names the request that wrote.
            now = drill.row_counts(stage.server)
            if now != counts:
                changed = {k: (counts.get(k), v) for k, v in now.items() if counts.get(k) != v}
                problems.append(f"{case.label} -> {case.path}: wrote rows {changed}")
                counts = now
    assert problems == []
    assert drill.row_counts(stage.server) == before
    # The battery reaches the routes' own checks, not only the middleware.
    assert {400, 401, 403, 404, 413, 415}.issubset(statuses), statuses
    output = stage.server.output()
    assert "unhandled" not in output
    assert "Traceback" not in output


def test_no_canary_or_client_identifier_in_logs_or_dumps(stage):
    # The pledge still opens with its receipt: the drill above changed nothing.
    with httpx.Client(base_url=stage.server.url, timeout=60) as http:
        status = http.post("/api/v1/pledges/status", json={"receipt": stage.live_receipt})
        assert status.status_code == 200, status.text
    stage.server.stop()  # flush and close everything before reading the files
    blobs = {"server output": stage.server.output().encode("utf-8")}
    blobs.update(drill.files_under(stage.server.instance_dir))
    if ON_POSTGRES:
        blobs["pg_dump"] = drill.pg_dump()
    assert sum(len(blob) for blob in blobs.values()) > 10_000
    assert drill.find_secrets(blobs, stage.secrets) == []
    # The search can fail: the report's structured fields are stored in the clear, by design.
    assert drill.find_secrets(blobs, ["Springfield Police Department"]) != []
