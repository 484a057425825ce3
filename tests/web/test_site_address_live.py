"""The public address on a real `organise serve`: what uvicorn and the commands do with it.

The foreign `Host` must not reach the server's own output either (uvicorn's, ours), and the
commands that print links print them on the public address.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.servers import LiveServer

EVIL = "evil-host-canary.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer.answering_at(
        tmp_path_factory.mktemp("public-address"), lambda url: {"ORGANISE_PUBLIC_URL": url}
    ).start()
    yield live
    live.stop()


def _raw_get(server: LiveServer, host: str, *extra: str) -> bytes:
    request = "\r\n".join(["GET /campaigns HTTP/1.1", f"Host: {host}", *extra, "Connection: close"])
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(request.encode("ascii") + b"\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_a_foreign_host_is_refused_and_leaves_no_trace(server):
    answer = _raw_get(server, EVIL)
    assert answer.startswith(b"HTTP/1.1 400")
    assert EVIL.encode() not in answer
    tor2web = _raw_get(server, f"127.0.0.1:{server.port}", "X-Tor2web: encrypted")
    assert tor2web.startswith(b"HTTP/1.1 403")
    own = _raw_get(server, f"127.0.0.1:{server.port}")
    assert own.startswith(b"HTTP/1.1 307")
    assert f"location: http://127.0.0.1:{server.port}/campaigns/".encode() in own.lower()
    server.stop()  # everything it would write is written
    output = server.output()
    assert f"Its public address: http://127.0.0.1:{server.port}/" in output
    assert "ORGANISE_PUBLIC_URL is not set" not in output
    assert EVIL not in output
    server.start()


def test_the_campaign_command_prints_share_links_on_the_public_address(server):
    created = server.create_campaign(
        "linked", threshold=5, title="L", demand="x", gatekeepers="2/3", share_links=True
    )
    links = created["share_links"]
    assert len(links) == 3
    assert all(link.startswith(f"{server.url}/shares/") for link in links)
    assert "Show my share" in httpx.get(links[0], timeout=60).text
