"""ORGANISE_PUBLISH_APPROVALS: read like every other setting, and explained where it matters."""

from __future__ import annotations

import logging

import pytest

from organise.reports.models import Report
from organise.roles import Role
from organise.settings import Settings
from tests.reports.helpers import reviewer, submit
from tests.support import make_organiser

HINT = "ORGANISE_PUBLISH_APPROVALS=1"


def test_a_dot_env_file_in_the_working_directory_is_honoured(tmp_path, monkeypatch):
    monkeypatch.delenv("ORGANISE_PUBLISH_APPROVALS", raising=False)
    (tmp_path / ".env").write_text("ORGANISE_PUBLISH_APPROVALS=1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert Settings.from_environ().publish_approvals == 1


def test_the_process_environment_wins_over_dot_env(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("ORGANISE_PUBLISH_APPROVALS=1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORGANISE_PUBLISH_APPROVALS", "3")
    assert Settings.from_environ().publish_approvals == 3


def test_an_invalid_value_is_logged_and_two_is_used(caplog):
    with caplog.at_level(logging.ERROR, logger="organise.settings"):
        settings = Settings.from_environ({"ORGANISE_PUBLISH_APPROVALS": "none"})
    assert settings.publish_approvals == 2
    assert "ORGANISE_PUBLISH_APPROVALS" in caplog.text
    assert "none" not in caplog.text  # what was typed is not echoed into the log


async def _review_pages(client) -> tuple[str, str]:
    await submit(client)
    report = await Report.get()
    page = await client.get(f"/organisers/reports/{report.id}")
    listing = await client.get("/organisers/reports/proposals")
    assert page.status_code == listing.status_code == 200
    return page.text, listing.text


async def test_a_lone_admin_learns_that_one_approval_can_be_set_and_what_it_costs(client):
    await reviewer(client, "ada", Role.ADMIN)
    page, listing = await _review_pages(client)
    for text in (page, listing):
        assert HINT in text
        assert "second pair of eyes" in text
        assert "Only 1 account (reviewer or admin) can approve records" in text


async def test_no_hint_while_enough_accounts_can_approve(client):
    await make_organiser("sam", Role.REVIEWER)
    await make_organiser("org", Role.ORGANISER)  # cannot approve: not counted
    await reviewer(client, "robin")
    page, listing = await _review_pages(client)
    assert "ORGANISE_PUBLISH_APPROVALS" not in page
    assert "ORGANISE_PUBLISH_APPROVALS" not in listing


@pytest.mark.publish_approvals(1)
async def test_no_hint_once_one_approval_is_enough(client):
    await reviewer(client, "ada", Role.ADMIN)
    page, listing = await _review_pages(client)
    assert "ORGANISE_PUBLISH_APPROVALS" not in page + listing


@pytest.mark.publish_approvals(3)
async def test_two_reviewers_where_three_approvals_are_needed_are_told_too(client):
    await make_organiser("sam", Role.REVIEWER)
    await reviewer(client, "robin")
    page, _listing = await _review_pages(client)
    assert "Only 2 accounts (reviewers or admins) can approve records" in page
    assert "ORGANISE_PUBLISH_APPROVALS=2" in page
