"""axe-core (WCAG 2.1 A/AA rules) on the main pages, signed in, in each of the three languages:
no serious or critical finding."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from hamkori.accounts.totp import current_code
from hamkori.demo.services import build_demo
from hamkori.groups.models import WorkingGroup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
AXE = Axe()
OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def serious(page: Page) -> list[str]:
    results = AXE.run(page, options=OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", ["tg", "ru", "en"])
def test_main_pages_have_no_serious_accessibility_findings(page: Page, live_server: Any, language: str) -> None:
    demo = build_demo()
    admin = next(a for a in demo.accounts if a.role == "admin")
    code = demo.programme.code
    group = WorkingGroup.objects.filter(programme=demo.programme).order_by("pk").first()
    person = demo.programme.people.order_by("pk").first()
    assert group is not None and person is not None
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])

    found: dict[str, list[str]] = {}
    for path in ["/", "/accounts/login/", "/places/", "/places/TJ-GB-VANJ/"]:
        page.goto(path)
        found[path] = serious(page)
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(admin.email)
    page.locator("#id_password").fill(demo.password)
    page.locator("main button[type=submit]").click()
    found["/accounts/2fa/authenticate/"] = serious(page)
    page.locator("#id_code").fill(current_code(admin.totp_secret or ""))
    page.locator("main button[type=submit]").first.click()
    for path in [
        f"/p/{code}/",
        f"/p/{code}/groups/",
        f"/p/{code}/groups/{group.pk}/",
        f"/p/{code}/groups/balance/",
        f"/p/{code}/people/",
        f"/p/{code}/people/new/",
        f"/p/{code}/people/{person.pk}/",
        f"/p/{code}/people/import/",
        f"/p/{code}/users/",
        f"/p/{code}/users/invite/",
        f"/p/{code}/audit/",
        f"/p/{code}/settings/",
        "/accounts/settings/",
    ]:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == language
        found[path] = serious(page)
    problems = {path: items for path, items in found.items() if items}
    assert problems == {}, problems
