"""The home page and organiser sign-in in a real browser with JavaScript off."""

from __future__ import annotations

from tests.browser.conftest import save_screenshot
from tests.support import PASSPHRASE


def _assert_strict_headers(headers: dict[str, str]) -> None:
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert "server" not in headers


def test_home_page_renders_without_javascript_and_sets_no_cookie(page, live_server):
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    _assert_strict_headers(response.headers)
    assert "set-cookie" not in response.headers
    assert page.locator("h1").inner_text().startswith("Organise against")
    assert page.get_by_role("heading", name="What we cannot protect").is_visible()
    # The stylesheet loaded from our own origin (a styled page has a dark header rule).
    border = page.locator("header.site").evaluate("e => getComputedStyle(e).borderBottomStyle")
    assert border == "solid"
    save_screenshot(page, "home")
    assert page.context.cookies() == []


def test_organiser_signs_in_and_out(page, live_server, tmp_path):
    live_server.create_organiser("browser-admin", "admin")

    response = page.goto(live_server.url + "/organisers/login")
    _assert_strict_headers(response.headers)
    assert page.context.cookies() == []
    page.get_by_label("Account name").fill("browser-admin")
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organisers/")
    assert page.get_by_role("heading", name="Your account").is_visible()
    save_screenshot(page, "organiser-account")

    [cookie] = page.context.cookies()
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + "/")
    assert page.context.cookies() == []
