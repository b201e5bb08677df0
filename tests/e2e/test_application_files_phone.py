"""On a 360 × 740 phone, in Russian: LAP's partner opens her draft application, attaches a photo of the site
taken by the phone's camera (its location in it), sees it listed, downloads it, removes it. The stored photo
carries no location; no page is wider than the phone. Screenshots in /tmp/shots/attach/."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from hamkori.core.roles import Role
from hamkori.grants import calls, uploads
from hamkori.grants.models import CampaignFormat, GrantFile
from tests.conftest import PASSWORD, TOTP_SECRET
from tests.e2e.test_grant_application_phone import phone
from tests.grants.campaign_helpers import jpeg, with_gps
from tests.grants.conftest import make_application, make_call

from .conftest import sign_in_ru

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/attach")


def test_a_partner_attaches_a_photo_to_her_draft_on_a_phone(
    browser: Browser, live_server: Any, programme: Any, place: Any, users: dict, settings: Any, tmp_path: Path
) -> None:
    settings.HAMKORI_GRANT_FILES_DIR = str(tmp_path / "files")
    calls.vocabulary_ensure(actor=None, programme=programme)
    vocab = {"formats": {f.code: f for f in CampaignFormat.objects.filter(programme=programme)}}
    call = make_call(programme, place)
    draft = make_application(call, place, vocab, actor=users[Role.PARTNER], submit=False)
    photo = tmp_path / "IMG_0412.jpg"
    photo.write_bytes(with_gps(tmp_path, jpeg((1200, 900)), name="IMG_0412.jpg"))
    context, outside = phone(browser, live_server, "ru-RU")
    page = context.new_page()
    sign_in_ru(page, users[Role.PARTNER].email, PASSWORD, TOTP_SECRET)
    page.goto(f"/p/{programme.code}/grants/applications/{draft.pk}/")
    section = page.locator("#attachments")
    section.scroll_into_view_if_needed()
    expect(section.locator("#id_attachment")).to_be_visible()
    section.locator("#id_attachment").set_input_files(str(photo))
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.locator("#attach-submit").click()
    expect(page.locator("#attachment-list")).to_contain_text("IMG_0412.jpg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "1-attached.png"), full_page=True)

    stored = GrantFile.objects.get(application=draft)
    tags = subprocess.run(
        ["/usr/bin/exiftool", "-s", "-GPS:all", "-Make", str(uploads.stored_path(stored.key))],
        capture_output=True,
        text=True,
    )
    assert tags.stdout.strip() == "", tags.stdout

    with page.expect_download() as caught:
        page.locator("#attachment-list a", has_text="IMG_0412.jpg").click()
    assert caught.value.suggested_filename == "IMG_0412.jpg"

    page.locator("#attachment-list button[type=submit]").click()
    expect(page.locator("#no-attachments")).to_be_visible()
    page.screenshot(path=str(SHOTS / "2-removed.png"), full_page=True)
    assert not GrantFile.objects.exists()
    context.close()
    assert outside == []
