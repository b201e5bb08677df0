"""A partner signs in with a second factor, sees only their districts; an administrator locks the
partner out while the partner's browser is open, and the partner's next request lands on sign-in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from hamkori.accounts.totp import current_code
from hamkori.demo.services import build_demo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, email: str, password: str, secret: str | None) -> None:
    page.goto("/accounts/login/")
    # The demo accounts prefer Tajik; choosing a language in the switcher keeps the pages in it.
    page.get_by_role("button", name="English").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if secret:
        expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
        page.get_by_label("Code").fill(current_code(secret))
        page.get_by_role("button", name="Sign in").click()


def test_partner_sees_only_their_district_and_is_locked_out_live(
    page: Page, browser: Browser, live_server: Any
) -> None:
    demo = build_demo()
    accounts = {a.role: a for a in demo.accounts}
    partner, admin = accounts["partner"], accounts["admin"]

    sign_in(page, partner.email, demo.password, partner.totp_secret)
    expect(page).to_have_url(re.compile(r"/p/tj-community-security/$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Working groups").click()
    groups = page.locator("#groups tbody tr")
    expect(groups).to_have_count(1)
    expect(groups.first).to_contain_text("Vanj")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.locator("#people-table")).to_contain_text("Vanj")
    for other in ["Isfara", "Nurobod", "Hamadoni", "Kushoniyon"]:
        expect(page.locator("#people-table")).not_to_contain_text(other)
    # Another district's record by id: not found, as if it did not exist.
    other_id = demo.programme.people.exclude(place__path__contains="/TJ-GB-VANJ/").values_list("pk", flat=True).first()
    response = page.goto(f"/p/{demo.programme.code}/people/{other_id}/")
    assert response is not None and response.status == 404

    admin_context = browser.new_context(base_url=live_server.url)
    admin_page = admin_context.new_page()
    sign_in(admin_page, admin.email, demo.password, admin.totp_secret)
    admin_page.get_by_role("link", name="Users").click()
    admin_page.get_by_role("link", name=partner.email).click()
    admin_page.get_by_label("Reason").fill("Phone seized at a checkpoint")
    admin_page.get_by_role("button", name="Lock account now").click()
    expect(admin_page.locator("#status")).to_contain_text("Locked")
    admin_context.close()

    page.reload()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(page, partner.email, demo.password, None)
    expect(page).to_have_url(re.compile(r"/accounts/(login|inactive)/"))
