"""The accounts page in headless Chromium with JavaScript off: an admin sees every account and
disables one with a plain form; that account's session ends at its next request."""

from __future__ import annotations

from tests.browser.conftest import save_screenshot
from tests.support import PASSPHRASE


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/organisers/login")
    page.fill("#username", username)
    page.fill("#passphrase", PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_lists_accounts_and_disables_one_without_javascript(live_server, browser, page):
    live_server.create_organiser("people-admin", "admin")
    live_server.create_organiser("people-kim", "organiser")
    kim = browser.new_context(java_script_enabled=False)
    kims_tab = kim.new_page()
    try:
        _sign_in(kims_tab, live_server.url, "people-kim")
        assert kims_tab.url.endswith("/organisers/")

        _sign_in(page, live_server.url, "people-admin")
        page.get_by_role("link", name="Accounts").click()
        assert page.locator("h1").inner_text() == "Accounts"
        names = page.locator("table.campaign-table tbody th[scope=row]").all_inner_texts()
        assert {"people-admin", "people-kim"} <= set(names)
        row = page.locator("tr", has=page.locator("th", has_text="people-kim"))
        assert "enabled" in row.inner_text()

        row.locator("summary").click()  # <details>: opens without JavaScript
        row.get_by_role("button", name="Disable people-kim").click()
        assert "people-kim is disabled" in page.locator("p.notice").inner_text()
        row = page.locator("tr", has=page.locator("th", has_text="people-kim"))
        assert "disabled" in row.inner_text()
        assert row.locator("button", has_text="Enable").count() == 1  # in its closed <details>
        assert "disabled" in page.locator("section[aria-labelledby=audit]").inner_text()
        save_screenshot(page, "accounts")

        kims_tab.reload()  # the next request of the disabled account: signed out
        assert kims_tab.url.endswith("/organisers/login")
    finally:
        kim.close()
