"""The printable sign-in sheet (issue 15, part 2): a PDF in the event's language with the people expected,
Tajik letters drawn with the shipped font, names only for those allowed, nothing fetched from outside."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.urls import reverse

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import sheets
from hamkori.events.models import Event
from hamkori.groups.models import Membership
from tests import factories

from .conftest import make_event

pytestmark = pytest.mark.django_db

TAJIK = "ғӣқӯҳҷ"


def page_text(document: Any) -> str:
    """The text WeasyPrint laid out on the pages (what the PDF draws)."""
    found: list[str] = []

    def walk(box: Any) -> None:
        text = getattr(box, "text", None)
        if isinstance(text, str):
            found.append(text)
        for child in getattr(box, "children", []) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return " ".join(found)


@pytest.fixture
def meeting(programme: Any, place: Any, users: dict, vocab: dict, vanj_cwg: Any, orgs: dict) -> Event:
    facilitator = factories.person(programme, place("TJ-GB-VANJ"), owner=orgs["lap"], name="Шарофат Раҳмонова")
    return make_event(
        programme,
        place("TJ-GB-VANJ"),
        vocab["kinds"]["cwg-meeting"],
        actor=users[Role.PARTNER],
        title="Ҷаласаи гурӯҳи корӣ: қарорҳо, ғамхорӣ ва ҳисобот",
        venue="Маркази ҷамоатӣ",
        groups=[vanj_cwg],
        facilitators=[facilitator],
        language="tg",
    )


def expected_codes(event: Event) -> list[str]:
    return [p.code for p in sheets.expected_people(event)]


def test_the_sheet_lists_the_expected_people_in_tajik(meeting: Event, users: dict, vanj_cwg: Any) -> None:
    members = Membership.objects.current().filter(group=vanj_cwg)
    assert members.count() == 8
    codes = expected_codes(meeting)
    assert len(codes) == 9  # eight members and the facilitator
    html = sheets.sheet_html(actor=users[Role.PARTNER], event=meeting)
    text = page_text(sheets.render_document(html))
    for letter in TAJIK:
        assert letter in text, letter
    for code in codes:
        assert code in text
    assert "Шарофат Раҳмонова" in text  # LAP's partner may see the names of LAP's people
    assert 'lang="tg"' in html


def test_the_pdf_is_a4_with_the_font_embedded_and_is_audited(meeting: Event, users: dict, client_for: Any) -> None:
    client = client_for(users[Role.PARTNER])
    response = client.get(reverse("event_sign_in_sheet", args=[meeting.programme.code, meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="event.sheet", object_id=str(meeting.pk)).count() == 1
    # Names came from the vault in one audited read.
    reads = AuditEvent.objects.filter(action="vault.read")
    assert reads.count() == 1 and "sign-in sheet" in str(reads.get().summary)
    document = sheets.render_document(sheets.sheet_html(actor=users[Role.PARTNER], event=meeting))
    page = document.pages[0]
    assert round(page.width * 25.4 / 96) == 210 and round(page.height * 25.4 / 96) == 297  # A4 portrait
    document.write_pdf()
    fonts = [font.name for font in document.fonts.values()]
    # Only the @font-face fonts (the shipped DejaVu files) drew text: no system font filled a gap.
    assert fonts and all(name.split(b"+")[-1] in (b"Sheet", b"Sheet-Bold") for name in fonts), fonts


def test_names_only_for_those_allowed(meeting: Event, users: dict, orgs: dict, place: Any, programme: Any) -> None:
    """The lead's staff prints the sheet too: codes always, names as the register allows them."""
    html = sheets.sheet_html(actor=users[Role.STAFF], event=meeting)
    for code in expected_codes(meeting):
        assert code in html
    # A system call (no user): codes only, no vault read on nobody's behalf.
    html = sheets.sheet_html(actor=None, event=meeting)
    assert "Шарофат" not in html


def test_the_sheet_follows_the_events_language(
    programme: Any, place: Any, users: dict, vocab: dict, vanj_cwg: Any
) -> None:
    for language, heading in (("ru", "Лист регистрации"), ("en", "Sign-in sheet")):
        event = make_event(
            programme,
            place("TJ-GB-VANJ"),
            vocab["kinds"]["cwg-meeting"],
            actor=users[Role.PARTNER],
            title=f"Meeting {language}",
            groups=[vanj_cwg],
            language=language,
        )
        html = sheets.sheet_html(actor=users[Role.PARTNER], event=event)
        assert f'lang="{language}"' in html
        if language == "en":
            assert heading in html


def test_nothing_is_fetched_from_outside(meeting: Event, users: dict) -> None:
    fetcher = sheets.local_fonts_only()
    for url in ("http://example.com/x.css", "https://example.com/font.ttf", "file:///etc/passwd", "data:,x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    font = sheets.FONT_DIR / "DejaVuSans.ttf"
    assert fetcher.fetch(font.as_uri()) is not None
    html = sheets.sheet_html(actor=users[Role.PARTNER], event=meeting)
    hostile = html.replace(
        "</style>",
        '</style><link rel="stylesheet" href="http://127.0.0.1:9/x.css"><img src="https://127.0.0.1:9/p.png">',
    )
    sheets.render_document(hostile)  # refused by the fetcher, rendered without them


def test_the_vendored_font_is_the_recorded_one() -> None:
    source = (sheets.FONT_DIR / "SOURCE").read_text()
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        digest = hashlib.sha256((sheets.FONT_DIR / name).read_bytes()).hexdigest()
        assert digest in source, name
    assert (sheets.FONT_DIR / "LICENSE").is_file()


def test_blank_rows_follow_and_ended_memberships_are_left_out(meeting: Event, users: dict, vanj_cwg: Any) -> None:
    from hamkori.groups import services as groups

    leaving = Membership.objects.current().filter(group=vanj_cwg).select_related("person").first()
    assert leaving is not None
    groups.membership_end(actor=None, membership=leaving, left_on=dt.date(2025, 1, 1))
    assert leaving.person.code not in expected_codes(meeting)
    html = sheets.sheet_html(actor=users[Role.PARTNER], event=meeting)
    assert html.count("<tr>") >= len(expected_codes(meeting)) + sheets.BLANK_ROWS


def test_a_planned_event_prints_too(programme: Any, place: Any, users: dict, vocab: dict, vanj_cwg: Any) -> None:
    event = make_event(
        programme,
        place("TJ-GB-VANJ"),
        vocab["kinds"]["training"],
        actor=users[Role.PARTNER],
        day=dt.date(2030, 5, 4),
        groups=[vanj_cwg],
    )
    pdf = sheets.sign_in_sheet(actor=users[Role.PARTNER], event=event)
    assert pdf.startswith(b"%PDF-")
