"""The phone walk: as the partner and as the administrator, in Tajik, Russian and English, every page of the
demo at 360 × 740 keeps the values its fields were given, is no wider than the screen, and every table either
fits or turns into cards whose cells carry their column's name."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser

from hamkori.accounts.models import User
from hamkori.demo.services import build_demo
from hamkori.groups.models import WorkingGroup
from hamkori.people.models import Person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 360, 740
ROLES = ("partner", "admin")
LANGUAGES = ("tg", "ru", "en")

# Every field whose HTML value (or selected option) the browser did not keep.
DROPPED_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'checkbox', 'radio', 'file', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    const name = el.name || el.id || el.tagName.toLowerCase();
    if (el.tagName === 'SELECT') {
      for (const opt of el.querySelectorAll('option[selected]')) {
        if (!opt.selected) out.push(`${name}: option ${opt.value} not selected`);
      }
      continue;
    }
    const given = el.tagName === 'TEXTAREA' ? el.defaultValue : el.getAttribute('value');
    if (given && el.value !== given) out.push(`${name} (${type || el.tagName.toLowerCase()}): "${given}" shown as "${el.value}"`);
  }
  return out;
}"""

# The page's width and, when it is too wide, the deepest element reaching furthest right.
OVERFLOW_JS = """(width) => {
  const doc = document.documentElement;
  if (doc.scrollWidth <= width) return null;
  let worst = null, worstRight = width, worstDepth = -1;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    let depth = 0; for (let p = el; p; p = p.parentElement) depth++;
    if (r.right > worstRight + 0.5 || (Math.abs(r.right - worstRight) <= 0.5 && depth > worstDepth && worst)) {
      worst = el; worstRight = r.right; worstDepth = depth;
    }
  }
  const describe = (el) => {
    if (!el) return 'no element reaches past the edge (a scrolled box or a pseudo-element)';
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.className && typeof el.className === 'string') s += '.' + el.className.trim().split(/\\s+/).join('.');
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `${s} "${text}" right=${Math.round(worstRight)}`;
  };
  return `scrollWidth ${doc.scrollWidth}px; widest: ${describe(worst)}`;
}"""

# Tables shown as stacked cells whose cells do not say which column they are, or tables wider than the screen.
TABLES_JS = """(width) => {
  const out = [];
  document.querySelectorAll('table').forEach((table, i) => {
    if (!table.offsetParent && getComputedStyle(table).position !== 'fixed') return;
    const name = table.getAttribute('aria-label') || (table.caption && table.caption.textContent.trim())
      || table.className || `table ${i + 1}`;
    const cells = [...table.querySelectorAll('td')];
    const stacked = cells.some((td) => getComputedStyle(td).display !== 'table-cell');
    if (stacked) {
      // A row of one cell spanning every column ("Nobody matches.") has no column to name.
      const alone = (td) => td.colSpan > 1 && td.parentElement.cells.length === 1;
      const bare = cells.filter((td) => !alone(td) && !(td.dataset.label || '').trim());
      if (bare.length) {
        const sample = (bare[0].textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 30);
        out.push(`${name}: ${bare.length} of ${cells.length} cells without data-label (e.g. "${sample}")`);
      }
    } else if (table.getBoundingClientRect().right > width + 0.5) {
      out.push(`${name}: a table ${Math.round(table.getBoundingClientRect().width)}px wide`);
    }
  });
  return out;
}"""


def demo_pages(role: str, code: str, user: User) -> list[str]:
    """Every page a GET reaches, with real ids from the demo (the partner's own district for the partner)."""
    people = Person.objects.filter(programme__code=code, merged_into__isnull=True).order_by("pk")
    groups = WorkingGroup.objects.filter(programme__code=code).order_by("pk")
    if role == "partner":
        people = people.filter(place__code__startswith="TJ-GB-VANJ")
        groups = groups.filter(district__code__startswith="TJ-GB-VANJ")
    person, group = people.first(), groups.first()
    assert person is not None and group is not None
    other = User.objects.filter(email__startswith="staff@").first() or user
    p = f"/p/{code}"
    return [
        "/",
        f"{p}/",
        f"{p}/people/",
        f"{p}/people/?q=a",
        f"{p}/people/new/",
        f"{p}/people/{person.pk}/",
        f"{p}/people/{person.pk}/edit/",
        f"{p}/people/{person.pk}/merge/",
        f"{p}/people/import/",
        f"{p}/groups/",
        f"{p}/groups/?on=2019-06-30",
        f"{p}/groups/new/",
        f"{p}/groups/{group.pk}/",
        f"{p}/groups/{group.pk}/edit/",
        f"{p}/groups/balance/",
        f"{p}/groups/balance/?on=2019-06-30",
        f"{p}/groups/policy/",
        f"{p}/settings/",
        f"{p}/settings/partner/",
        f"{p}/settings/sectors/",
        f"{p}/users/",
        f"{p}/users/{user.pk}/",
        f"{p}/users/{other.pk}/",
        f"{p}/users/invite/",
        f"{p}/audit/",
        f"{p}/concerns/overview/",
        f"{p}/concerns/publish/",
        f"{p}/concerns/publish/?district=TJ-GB-VANJ",
        "/p/new/",
        "/organisations/",
        "/places/",
        "/places/?q=Ванҷ",
        "/places/TJ/",
        "/places/TJ-GB/",
        "/places/TJ-GB-VANJ/",
        "/places/TJ-SU-ISFARA-ISFARA/",
        "/accounts/settings/",
        "/accounts/tokens/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/recovery-codes/",
        "/accounts/2fa/totp/deactivate/",
    ]


def session_cookie(user: User, url: str) -> dict[str, Any]:
    """Signed in without the password and second factor: the session Django's test client makes."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }


def test_every_page_works_on_a_phone_in_every_language(browser: Browser, live_server: Any) -> None:
    demo = build_demo()
    code = demo.programme.code
    counts: dict[tuple[str, str], list[int]] = {}
    problems: list[str] = []
    visited: dict[tuple[str, str], int] = {}
    started = time.monotonic()
    for role in ROLES:
        account = next(a for a in demo.accounts if a.role == role)
        user = User.objects.get(email=account.email)
        pages = demo_pages(role, code, user)
        for language in LANGUAGES:
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB"
            )
            outside: list[str] = []

            def guard(route: Any, outside: list[str] = outside) -> None:
                if route.request.url.startswith(live_server.url):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            context.route("**/*", guard)
            context.add_cookies(
                [
                    session_cookie(user, live_server.url),
                    {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
                ]
            )
            page = context.new_page()
            tally = counts.setdefault((role, language), [0, 0, 0])
            seen: set[str] = set()
            for path in pages:
                response = page.goto(path)
                assert response is not None
                if response.status >= 400:
                    continue  # not this role's page
                landed = page.url.removeprefix(live_server.url)
                if landed in seen:
                    continue  # redirected to a page already walked
                seen.add(landed)
                assert page.locator("html").get_attribute("lang") == language, landed
                where = f"{role}/{language} {landed}"
                for item in page.evaluate(DROPPED_JS):
                    tally[0] += 1
                    problems.append(f"{where}: dropped value {item}")
                overflow = page.evaluate(OVERFLOW_JS, WIDTH)
                if overflow:
                    tally[1] += 1
                    problems.append(f"{where}: wider than the screen, {overflow}")
                for item in page.evaluate(TABLES_JS, WIDTH):
                    tally[2] += 1
                    problems.append(f"{where}: {item}")
            visited[(role, language)] = len(seen)
            context.close()
            assert outside == [], f"requests left the server: {outside}"

    lines = [
        f"phone walk at {WIDTH}px in {time.monotonic() - started:.0f}s",
        f"{'role':8} {'lang':4} {'pages':>5} {'dropped':>7} {'overflow':>8} {'unlabelled':>10}",
    ]
    for (role, language), (dropped, overflow, unlabelled) in counts.items():
        pages_seen = visited[(role, language)]
        lines.append(f"{role:8} {language:4} {pages_seen:5} {dropped:7} {overflow:8} {unlabelled:10}")
    print("\n".join(lines))
    assert problems == [], "\n".join(lines + problems)
