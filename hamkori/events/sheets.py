"""The printable sign-in sheet of an event (issue 15, part 2): an A4 PDF, made with WeasyPrint, in the
**event's** language, with the programme, the event, its date, time and place, and a table of the people
expected (today's members of the linked working groups and the facilitators: code, and the name only for
a user allowed to see it, read from the vault in one audited read) followed by blank rows for others.
Columns: sex, age band, organisation, signature.

The font is shipped in the repository (``hamkori/events/fonts/``, DejaVu Sans: Tajik letters ғ ӣ қ ӯ ҳ ҷ),
referenced with ``@font-face`` from a ``file:`` URL. The sheet never fetches anything: the URL fetcher
answers only for the files of that folder and refuses every other address (http, https, data, files
elsewhere).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from hamkori.access.policy import enforce
from hamkori.core import audit
from hamkori.events.models import Event
from hamkori.events.services import programme_zone
from hamkori.groups.models import Membership
from hamkori.people.models import AgeBand, Person, Sex
from hamkori.people.selectors import names_for

FONT_DIR = Path(__file__).resolve().parent / "fonts" / "dejavu-2.37.3"
#: Blank rows after the expected people, for those nobody expected.
BLANK_ROWS = 15


@dataclass(frozen=True)
class Expected:
    person: Person
    name: str
    facilitator: bool


def expected_people(event: Event) -> list[Person]:
    """Today's members of the event's working groups and its facilitators (merged people left out),
    by code: two queries."""
    members = Membership.objects.current().filter(group__in=event.groups.all()).values("person_id")
    facilitators = event.facilitators.values("pk")
    return list(
        Person.objects.filter(programme_id=event.programme_id, merged_into__isnull=True)
        .filter(Q(pk__in=members) | Q(pk__in=facilitators))
        .order_by("code")
    )


def _checked_font(url: str) -> Path:
    """The shipped font a ``file:`` URL names, or ValueError for any other address."""
    if not url.startswith("file:"):
        raise ValueError(f"The sign-in sheet fetches nothing from outside: {url[:80]}")
    path = Path(unquote(urlsplit(url).path)).resolve()
    if path.parent != FONT_DIR or not path.is_file():
        raise ValueError(f"Not a file of the sign-in sheet: {url[:80]}")
    return path


@functools.cache
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher

    class LocalFontsOnly(URLFetcher):
        """WeasyPrint's fetcher for the sheet: the shipped fonts only, never the network."""

        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            return super().fetch(_checked_font(url).as_uri(), headers)

    return LocalFontsOnly


def local_fonts_only() -> Any:
    return _fetcher_class()()


def sheet_html(*, actor: Any, event: Event) -> str:
    """The sheet as HTML, in the event's language (names read from the vault, audited once)."""
    event = Event.objects.select_related("programme", "place", "kind", "organiser").get(pk=event.pk)
    people = expected_people(event)
    facilitators = set(event.facilitators.values_list("pk", flat=True))
    names = names_for(actor, people, "sign-in sheet") if people else {}
    rows = [Expected(person=p, name=names.get(p.pk, ""), facilitator=p.pk in facilitators) for p in people]
    zone = programme_zone(event.programme)
    with translation.override(event.language):
        return render_to_string(
            "events/sign_in_sheet.html",
            {
                "event": event,
                "programme": event.programme,
                "starts": timezone.localtime(event.starts_at, zone),
                "ends": timezone.localtime(event.ends_at, zone),
                "rows": rows,
                "blank": range(len(rows) + 1, len(rows) + 1 + BLANK_ROWS),
                "font_regular": (FONT_DIR / "DejaVuSans.ttf").as_uri(),
                "font_bold": (FONT_DIR / "DejaVuSans-Bold.ttf").as_uri(),
                "groups": list(event.groups.all()),
                "sexes": Sex.choices,
                "age_bands": AgeBand.choices,
            },
        )


def render_document(html: str) -> Any:
    """The laid-out document (pages, boxes): what :func:`sign_in_sheet` writes as PDF."""
    from weasyprint import HTML

    return HTML(string=html, base_url=FONT_DIR.as_uri() + "/", url_fetcher=local_fonts_only()).render()


def sign_in_sheet(*, actor: Any, event: Event) -> bytes:
    """The PDF of the event's sign-in sheet; audited (``event.sheet``)."""
    enforce(actor, "event.file.view", event)
    html = sheet_html(actor=actor, event=event)
    pdf = render_document(html).write_pdf()
    audit.record(
        actor=actor,
        action="event.sheet",
        obj=event,
        programme=event.programme,
        summary={"language": event.language},
    )
    return bytes(pdf)
