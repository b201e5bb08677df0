"""In Russian, on a 360 × 740 phone: a partner opens her organisation's event, uploads a photo of the
signed sign-in sheet (taken by the phone's camera, with its location in it) and sees it listed; the
stored photo carries no location. Screenshots: /tmp/ev-paper-*.png."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from hamkori.access.policy import grant_in
from hamkori.accounts.models import User
from hamkori.demo.services import build_demo
from hamkori.events import services as events
from hamkori.events import uploads
from hamkori.events.models import EventFile, EventKind
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place

from .conftest import sign_in_ru

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp")


def signed_sheet_photo(tmp_path: Path) -> Path:
    """A "photo" of a sheet, with the camera's GPS position in it."""
    image = Image.new("RGB", (900, 1200), "white")
    for y in range(100, 1100, 60):
        for x in range(60, 840):
            image.putpixel((x, y), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    path = tmp_path / "IMG_2041.jpg"
    path.write_bytes(out.getvalue())
    subprocess.run(
        [
            "/usr/bin/exiftool",
            "-q",
            "-overwrite_original",
            "-GPSLatitude=38.37",
            "-GPSLatitudeRef=N",
            "-Make=Phone",
            str(path),
        ],
        check=True,
    )
    return path


def test_a_partner_uploads_a_photo_of_the_signed_sheet_on_a_phone(
    page: Page, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.HAMKORI_EVENT_FILES_DIR = str(tmp_path / "files")
    demo = build_demo()
    account = next(a for a in demo.accounts if a.role == "partner")
    grant = grant_in(User.objects.get(email=account.email), demo.programme)
    assert grant is not None
    organisation = Organisation.objects.get(pk=grant.organisation_id)
    events.vocabulary_ensure(actor=None, programme=demo.programme)
    start = timezone.now() - dt.timedelta(days=1)
    event = events.event_create(
        actor=None,
        programme=demo.programme,
        kind=EventKind.objects.get(programme=demo.programme, code="cwg-meeting"),
        title="Заседание рабочей группы Ванҷ",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place=Place.objects.get(code="TJ-GB-VANJ"),
        organiser=organisation,
        language="ru",
    )
    try:
        url = reverse("event_detail", args=[demo.programme.code, event.pk])
    except NoReverseMatch:  # the event pages are another branch's: the files page shows the same panel
        url = reverse("event_files", args=[demo.programme.code, event.pk])

    page.set_viewport_size({"width": 360, "height": 740})
    sign_in_ru(page, account.email, demo.password, account.totp_secret)
    page.goto(url)
    panel = page.locator("#files")
    expect(panel).to_be_visible()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "ev-paper-1-panel.png"), full_page=True)

    # Labels by name, not text: the new strings are translated in the lead's translation pass.
    panel.locator("select[name=kind]").select_option("sign_in")
    file_input = panel.locator("input[type=file]")
    expect(file_input).to_be_visible()
    file_input.set_input_files(str(signed_sheet_photo(tmp_path)))
    panel.locator("form.event-file-upload button[type=submit]").click()

    expect(page.locator("#event-files")).to_contain_text("IMG_2041.jpg")
    row = page.locator("#event-files tbody tr").first
    box = row.bounding_box()
    assert box is not None and box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "ev-paper-2-uploaded.png"), full_page=True)

    stored = EventFile.objects.get(event=event)
    assert stored.kind == "sign_in" and stored.uploaded_by is not None
    path = uploads.stored_path(stored.key)
    tags = subprocess.run(["/usr/bin/exiftool", "-s", "-GPS:all", "-Make", str(path)], capture_output=True, text=True)
    assert tags.stdout.strip() == "", tags.stdout

    # The link downloads it as an attachment.
    with page.expect_download() as caught:
        page.locator("#event-files a", has_text="IMG_2041.jpg").click()
    assert caught.value.suggested_filename == "IMG_2041.jpg"
