""" "Leave now" in a real browser with JavaScript off: in the top corner, and it leaves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import save_screenshot
from tests.servers import LiveServer

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def leaving_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # The neutral site is this server's contract database: the test machine has no internet.
    live = LiveServer.answering_at(
        tmp_path_factory.mktemp("leave"), lambda url: {"ORGANISE_LEAVE_URL": f"{url}/contracts/"}
    ).start()
    yield live
    live.stop()


@pytest.mark.parametrize("size", [{"width": 1200, "height": 900}, PHONE])
def test_leave_now_sits_in_the_top_corner_and_leaves(page, leaving_server, size):
    page.set_viewport_size(size)
    page.goto(leaving_server.url + "/reports/new")
    link = page.get_by_role("link", name="Leave now")
    box = link.bounding_box()
    assert box is not None
    assert box["y"] < 60  # the very top of the page
    assert box["x"] + box["width"] > size["width"] * 0.6  # on the right
    save_screenshot(page, f"leave-now-{size['width']}")
    with page.expect_response(lambda r: r.url.endswith("/leave")) as left:
        link.click()
    assert left.value.all_headers().get("clear-site-data") == '"cache", "storage"'
    page.wait_for_url(leaving_server.url + "/contracts/")
