"""A newcomer opens the site, switches to Tajik, signs in with a demo account (with its second
factor) and sees the programme overview with the six locations."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hamkori.accounts.totp import current_code
from hamkori.demo.services import build_demo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_newcomer_switches_to_tajik_signs_in_and_sees_six_locations(page: Page, live_server: Any) -> None:
    demo = build_demo()
    admin = next(a for a in demo.accounts if a.role == "admin")
    assert admin.totp_secret

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Тоҷикӣ").click()
    expect(page.locator("html")).to_have_attribute("lang", "tg")
    expect(page.get_by_role("link", name="Ворид шудан").first).to_be_visible()

    page.get_by_role("link", name="Ворид шудан").first.click()
    page.get_by_label("Суроғаи почтаи электронӣ").fill(admin.email)
    page.get_by_label("Парол").fill(demo.password)
    page.get_by_role("button", name="Ворид шудан").click()

    expect(page.get_by_role("heading", name="Воридшавии дуомила")).to_be_visible()
    page.get_by_label("Рамз").fill(current_code(admin.totp_secret))
    page.get_by_role("button", name="Ворид шудан").click()

    expect(page).to_have_url(re.compile(r"/p/tj-community-security/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Маъракаи иттилоотии шаҳрвандӣ")
    rows = page.locator("#locations tbody tr")
    expect(rows).to_have_count(6)
    for name in ["Ҳамадонӣ", "Исфара", "Кӯшониён", "Нуробод", "Ванҷ"]:
        expect(page.locator("#locations")).to_contain_text(name)
    expect(page.locator("#locations")).to_contain_text("шаҳрак")
    expect(page.locator(".facts")).to_contain_text(re.compile(r"309\D?304 USD"))
