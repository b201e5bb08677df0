"""In Russian, on a 360 px phone, the programme administrator opens the programme settings and saves
them without changing anything: nothing is lost (the dates, the budget, the names in three languages,
the locations), as the browser shows the values and as the database keeps them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.forms.models import model_to_dict
from playwright.sync_api import Browser, expect

from hamkori.accounts.totp import current_code
from hamkori.demo.services import build_demo
from hamkori.programmes.models import Programme

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def snapshot(code: str) -> dict[str, Any]:
    programme = Programme.objects.get(code=code)
    data = model_to_dict(programme)
    data["locations"] = sorted(programme.locations.values_list("place__code", flat=True))
    data.pop("updated_at", None)
    return data


def test_admin_saves_programme_settings_unchanged_in_russian(browser: Browser, live_server: Any) -> None:
    demo = build_demo()
    admin = next(a for a in demo.accounts if a.role == "admin")
    code = demo.programme.code
    before = snapshot(code)
    assert before["start_date"] and before["end_date"] and before["locations"]

    context = browser.new_context(
        base_url=live_server.url, locale="ru-RU", viewport={"width": 360, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Русский").click()  # the language switcher: her choice wins over the account's
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.get_by_label(re.compile("Адрес электронной почты|Эл. почта", re.I)).fill(admin.email)
    page.get_by_label("Пароль").fill(demo.password)
    page.get_by_role("button", name="Войти").click()
    page.get_by_label("Код").fill(current_code(admin.totp_secret))
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(rf"/p/{code}/$"))

    page.goto(f"/p/{code}/settings/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    # What the browser shows is what the programme holds (a date the browser drops would be empty here).
    expect(page.locator("input[name=start_date]")).to_have_value(before["start_date"].isoformat())
    expect(page.locator("input[name=end_date]")).to_have_value(before["end_date"].isoformat())
    for field in ("title_tg", "title_ru", "title_en"):
        expect(page.locator(f"[name={field}]")).to_have_value(before[field])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("button", name=re.compile("Сохранить")).click()
    expect(page.locator(".messages, [role=status], .message").first).to_be_visible()
    expect(page.locator(".errors, .errorlist, [role=alert]")).to_have_count(0)

    after = snapshot(code)
    assert after == before
    page.goto(f"/p/{code}/settings/")
    expect(page.locator("input[name=start_date]")).to_have_value(before["start_date"].isoformat())
    page.screenshot(path="/tmp/admin-settings-ru.png", full_page=True)
    context.close()
