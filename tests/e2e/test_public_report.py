"""In Russian, on a 360 px phone with JavaScript switched off (a basic phone, a text browser): a
citizen opens /report/ from the site's footer, chooses Russian in the language switcher, reports a
concern, reads the receipt code off the page, and looks it up on /report/status/ by typing it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Browser, BrowserContext, expect

from hamkori.concerns.models import Concern, PublicStatus
from hamkori.programmes.models import Programme

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
DESCRIPTION = "Дорога к школе в кишлаке ночью не освещена, дети возвращаются в темноте."


@pytest.fixture
def phone(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",  # she chooses Russian herself, with the switcher
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        java_script_enabled=False,
    )
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    yield context
    context.close()
    assert outside == [], f"requests left the server: {outside}"


def test_a_citizen_reports_in_russian_without_javascript_and_checks_the_status(
    phone: BrowserContext, programme: Programme, place: Any
) -> None:
    Programme.objects.filter(pk=programme.pk).update(public_reports=True)
    vanj = place("TJ-GB-VANJ")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = phone.new_page()
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)

    page.goto("/")
    page.locator("footer a[href='/report/']").click()
    expect(page).to_have_url(re.compile(r"/report/$"))
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page).to_have_url(re.compile(r"/report/$"))

    page.locator("#id_district").select_option(label=vanj.name_ru)
    page.locator("#id_description").fill(DESCRIPTION)
    page.locator("#id_location_text").fill("Рованд, у моста")
    trap = page.locator("div:has(> div > #id_website)").bounding_box()  # the honeypot, clipped out of sight
    assert trap is not None and trap["width"] <= 1 and trap["height"] <= 1, trap
    page.screenshot(path=str(SHOTS / "intake-form.png"), full_page=True)
    page.locator("main form button[type=submit]").click()

    code = page.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", code), code
    assert code not in page.url and code.replace("-", "") not in page.url
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.screenshot(path=str(SHOTS / "intake-receipt.png"), full_page=True)
    concern = Concern.objects.get()
    assert (concern.language, concern.source, concern.district_id) == ("ru", "public", vanj.pk)
    assert concern.description == DESCRIPTION

    page.locator("main a[href$='/report/status/']").first.click()
    expect(page).to_have_url(re.compile(r"/report/status/$"))
    page.locator("#id_code").fill(" " + code.lower().replace("-", " ") + " ")  # as she might type it
    page.locator("main form button[type=submit]").click()
    with translation.override("ru"):
        received = str(PublicStatus.RECEIVED.label)
    expect(page.locator("#public-status")).to_have_text(received)
    assert code not in page.url
    assert DESCRIPTION not in page.content()
    page.screenshot(path=str(SHOTS / "intake-status.png"), full_page=True)

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"
    assert scripts == [], f"scripts loaded: {scripts}"
