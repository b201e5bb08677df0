"""A partner invited in Tajik does the whole first sign-in on one cheap phone (360 x 740): the
invitation link, her password, the second factor set up on the same phone (a link that opens the
authenticator app, the key in full), the recovery codes, and on to her programme; every page in Tajik."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Browser, expect

from hamkori.accounts import services
from hamkori.accounts.models import User
from hamkori.core.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/onboard-shots")
PASSWORD = "a-long-tajik-pass-phrase-2026"


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 as an authenticator app computes it: SHA-1, 30 seconds, 6 digits."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int(time.time() if at is None else at) // 30
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_tajik_invitation_to_programme_page_on_one_phone(
    browser: Browser, live_server: Any, programme: Any, orgs: dict, place: Callable, make_user: Callable
) -> None:
    admin = make_user("admin@test.example", programme=programme, role=Role.ADMIN, organisation=orgs["lead"])
    issued = services.invitation_create(
        actor=admin,
        programme=programme,
        email="zarina@test.example",
        role=Role.PARTNER,
        organisation=orgs["lap"],
        places=[place("TJ-GB-VANJ")],
        display_name="Zarina",
        preferred_language="tg",
        base_url=live_server.url,
    )
    assert issued.url.endswith("?lang=tg")
    (message,) = [m for m in mail.outbox if m.to == ["zarina@test.example"]]
    assert issued.url in message.body and "Hamkori" in message.subject
    assert message.subject != "Your invitation to Hamkori"  # written in Tajik

    # A Russian phone: without the link's language everything would be Russian.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, locale="ru-RU", is_mobile=True
    )
    page = context.new_page()
    html = page.locator("html")
    page.goto(issued.url)
    expect(html).to_have_attribute("lang", "tg")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("main button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(html).to_have_attribute("lang", "tg")
    page.get_by_label("Суроғаи почтаи электронӣ").fill("zarina@test.example")
    page.get_by_label("Парол").fill(PASSWORD)
    page.locator("main button[type=submit]").click()

    # The second factor, set up on this phone.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate"))
    expect(html).to_have_attribute("lang", "tg")
    link = page.locator("#totp-link")
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    assert href.startswith("otpauth://totp/")
    key = page.locator("#totp-secret")
    expect(key).to_be_visible()
    secret = key.get_attribute("data-secret") or ""
    assert secret and f"secret={secret}" in href
    assert key.inner_text().replace(" ", "").replace("\n", "") == secret
    # Nothing is cut off or wider than the phone.
    box = key.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.locator("button[data-copy]")).to_be_visible()  # the script shows the Copy button
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "totp-setup-360.png"), full_page=True)

    code = totp(secret)
    page.locator("#id_code").fill(code)
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    expect(html).to_have_attribute("lang", "tg")
    expect(page.locator("#recovery-codes li")).not_to_have_count(0)
    page.screenshot(path=str(SHOTS / "recovery-codes-360.png"), full_page=True)
    page.locator("#continue").click()

    expect(page).to_have_url(re.compile(rf"/p/{programme.code}/$"))
    expect(html).to_have_attribute("lang", "tg")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Барномаи санҷишӣ")
    page.screenshot(path=str(SHOTS / "landing-360.png"), full_page=True)
    assert User.objects.get(email="zarina@test.example").preferred_language == "tg"
    context.close()
