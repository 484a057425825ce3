"""No client identifier reaches a log or a file, with the real server as a user runs it."""

from __future__ import annotations

import uuid

import httpx

from tests.servers import LiveServer
from tests.support import PASSPHRASE


def _all_bytes_under(directory) -> bytes:
    return b"".join(path.read_bytes() for path in directory.rglob("*") if path.is_file())


def test_user_agent_and_forwarded_address_are_never_stored_or_printed(tmp_path):
    marker = uuid.uuid4().hex
    user_agent = f"CanaryBrowser/{marker}"
    forwarded = f"203.0.113.{int(marker[:2], 16) % 250}, 198.51.{marker[2:4]}.7"
    forwarded_marker = forwarded.split(",")[0]
    server = LiveServer(tmp_path).start()
    try:
        server.create_organiser("alex", "admin")
        headers = {"User-Agent": user_agent, "X-Forwarded-For": forwarded}
        # The sign-in runs the real Argon2id (256 MiB): on a busy machine it takes seconds.
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            assert http.get("/").status_code == 200
            assert http.get("/no-such-page").status_code == 404
            assert http.post("/organisers/login", data={"username": "alex"}).status_code == 400
            signed_in = http.post(
                "/organisers/login", data={"username": "alex", "passphrase": PASSPHRASE}
            )
            assert signed_in.status_code == 303
            assert http.get("/organisers/").status_code == 200
            refused = http.post("/organisers/logout", headers={"Origin": "https://evil.example"})
            assert refused.status_code == 403
            assert http.post("/organisers/logout").status_code == 303
    finally:
        server.stop()

    stored = _all_bytes_under(server.instance_dir)
    printed = server.output()
    assert stored, "the instance directory should hold the database and keystore"
    for needle in (marker, forwarded_marker, "CanaryBrowser"):
        assert needle.encode() not in stored
        assert needle not in printed
    # uvicorn's access log would print the request line; nothing of the kind appears.
    assert "GET /" not in printed
    assert "127.0.0.1:" not in printed.replace(server.url, "")
