"""The private calendar address: only its owner's events (adversaries first), nothing beyond what the owner
may see, revocable, gone when access is lost, and a document calendar applications accept."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from hamkori.accounts import services as accounts
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.calendar_feed import digest_of, feed_create
from hamkori.events.models import CalendarFeed, Event
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db


def soon(days: int = 10) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def feed_url(user: Any) -> str:
    _feed, secret = feed_create(actor=user)
    return reverse("calendar_feed", args=[secret])


def read(client: Any, url: str) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def summaries(cal: Calendar) -> set[str]:
    return {str(c.get("summary")) for c in cal.walk("VEVENT")}


@pytest.fixture
def lap_meeting(programme: Any, place: Any, users: dict, vocab: dict) -> Event:
    """A CWG meeting in Vanj organised by LAP, next week, with an agenda and minutes nobody outside may read."""
    event = make_event(
        programme,
        place("TJ-GB-VANJ"),
        vocab["kinds"]["cwg-meeting"],
        actor=users[Role.PARTNER],
        day=soon(7),
        title="Ҷаласаи ГКБ Ванҷ",
        venue="Мактаби №3",
        agenda="AGENDA-SECRET-1",
        minutes="MINUTES-SECRET-2",
    )
    return event


@pytest.fixture
def asti_meeting(programme: Any, place: Any, make_user: Any, orgs: dict, vocab: dict) -> Event:
    asti_isfara = make_user(
        "asti-isfara@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place("TJ-SU-ISFARA")],
    )
    return make_event(
        programme,
        place("TJ-SU-ISFARA"),
        vocab["kinds"]["cwg-meeting"],
        actor=asti_isfara,
        day=soon(8),
        title="Ҷаласаи ГКБ Исфара",
    )


# --- Adversaries -----------------------------------------------------------------------------------
def test_the_feed_lists_only_the_owners_events_and_nothing_private(
    lap_meeting: Event, asti_meeting: Event, users: dict, adversaries: dict, client: Any
) -> None:
    cal = read(client, feed_url(users[Role.PARTNER]))  # no sign-in: the address is the key
    assert summaries(cal) == {"Ҷаласаи ГКБ Ванҷ"}
    body = client.get(feed_url(users[Role.PARTNER])).content.decode()
    for secret in ("AGENDA-SECRET-1", "MINUTES-SECRET-2", "ATTENDEE", "ORGANIZER", "DESCRIPTION"):
        assert secret not in body
    # ASTI's partner in Vanj sees LAP's meeting in the app, but it is not hers: not in her calendar.
    assert summaries(read(client, feed_url(adversaries["other_partner"]))) == set()
    # Another programme's admin, a donor, a liaison of an organisation with nothing there: nothing.
    for user in (adversaries["other_admin"], users[Role.DONOR], users[Role.LIAISON]):
        assert summaries(read(client, feed_url(user))) == set(), user


def test_unknown_revoked_and_replaced_addresses_answer_404(lap_meeting: Event, users: dict, client: Any) -> None:
    staff = users[Role.STAFF]
    for bad in ("x", "A" * 43, "../../etc/passwd", "A" * 500):
        assert client.get(f"/calendar/{bad}.ics").status_code == 404, bad
    first, secret = feed_create(actor=staff)
    assert first.digest == digest_of(secret) and secret not in first.digest
    _second, new_secret = feed_create(actor=staff)  # a new address replaces the old
    assert client.get(reverse("calendar_feed", args=[secret])).status_code == 404
    assert client.get(reverse("calendar_feed", args=[new_secret])).status_code == 200
    signed = client.__class__()
    signed.force_login(staff)
    assert signed.post(reverse("calendar_settings"), {"revoke": "1"}).status_code == 302
    assert not CalendarFeed.objects.filter(user=staff).exists()
    assert client.get(reverse("calendar_feed", args=[new_secret])).status_code == 404
    assert AuditEvent.objects.filter(action="calendar.feed.revoke", actor=staff).exists()
    assert AuditEvent.objects.filter(action="calendar.feed.create", actor=staff).count() == 2


def test_losing_access_empties_the_address(lap_meeting: Event, users: dict, programme: Any, client: Any) -> None:
    partner = users[Role.PARTNER]
    url = feed_url(partner)
    assert summaries(read(client, url)) == {"Ҷаласаи ГКБ Ванҷ"}
    partner.locked_at = timezone.now()
    partner.save(update_fields=["locked_at"])
    assert client.get(url).status_code == 404
    partner.locked_at = None
    partner.is_active = False
    partner.save(update_fields=["locked_at", "is_active"])
    assert client.get(url).status_code == 404
    partner.is_active = True
    partner.save(update_fields=["is_active"])
    assert client.get(url).status_code == 200
    accounts.role_revoke(actor=None, user=partner, programme=programme)
    assert client.get(url).status_code == 404


def test_restricted_events_stay_out(programme: Any, place: Any, users: dict, vocab: dict, client: Any) -> None:
    make_event(
        programme,
        place("TJ-GB-VANJ"),
        vocab["kinds"]["cwg-meeting"],
        actor=users[Role.PARTNER],
        day=soon(3),
        title="Restricted meeting",
        sensitivity="restricted",
    )
    assert summaries(read(client, feed_url(users[Role.PARTNER]))) == set()


# --- What it carries -------------------------------------------------------------------------------
def test_each_event_is_a_vevent_calendar_applications_accept(
    lap_meeting: Event, programme: Any, place: Any, users: dict, vocab: dict, client: Any
) -> None:
    staff = users[Role.STAFF]
    cancelled = make_event(
        programme, place("TJ-GB-VANJ"), vocab["kinds"]["dialogue"], actor=staff, day=soon(20), title="Бекор"
    )
    services.event_cancel(actor=staff, event=cancelled, reason="Борон")
    make_event(  # far in the past: outside the window
        programme, place("TJ-GB-VANJ"), vocab["kinds"]["dialogue"], actor=staff, day=soon(-400), title="Кӯҳна"
    )
    url = feed_url(staff)
    cal = read(client, url)
    assert cal.get("version") == "2.0" and cal.get("prodid")
    by_title = {str(c.get("summary")): c for c in cal.walk("VEVENT")}
    assert set(by_title) == {"Ҷаласаи ГКБ Ванҷ", "Бекор"}
    meeting = by_title["Ҷаласаи ГКБ Ванҷ"]
    assert meeting.decoded("dtstart") == lap_meeting.starts_at
    assert meeting.decoded("dtstart").utcoffset() == dt.timedelta(0)  # in UTC
    assert meeting.decoded("dtend") == lap_meeting.ends_at
    assert str(meeting.get("location")) == "Мактаби №3, Vanj"
    assert str(meeting.get("status")) == "CONFIRMED" and str(by_title["Бекор"].get("status")) == "CANCELLED"
    assert re.search(rf"/{lap_meeting.pk}/", str(meeting.get("url")))
    uid = str(meeting.get("uid"))
    assert uid == str(read(client, url).walk("VEVENT")[0].get("uid"))  # stable between reads
    assert CalendarFeed.objects.get(user=staff).last_used_at is not None


def test_a_member_gets_the_meetings_of_their_group(
    programme: Any, place: Any, users: dict, vocab: dict, vanj_cwg: Any, client: Any
) -> None:
    from hamkori.people.services import person_link_account

    member = users[Role.GROUP_MEMBER]
    person = vanj_cwg.memberships.first().person
    person_link_account(actor=None, person=person, account=member)
    make_event(
        programme,
        place("TJ-GB-VANJ"),
        vocab["kinds"]["cwg-meeting"],
        actor=users[Role.PARTNER],
        day=soon(5),
        title="Ҷаласаи гурӯҳ",
        groups=[vanj_cwg],
    )
    make_event(
        programme,
        place("TJ-GB-VANJ"),
        vocab["kinds"]["cwg-meeting"],
        actor=users[Role.PARTNER],
        day=soon(6),
        title="Дигар",
    )
    assert summaries(read(client, feed_url(member))) == {"Ҷаласаи гурӯҳ"}


def test_the_settings_page_shows_the_address_once(users: dict, client_for: Any) -> None:
    client = client_for(users[Role.STAFF])
    assert client_for(None).get(reverse("calendar_settings")).status_code == 302
    page = client.get(reverse("calendar_settings")).content.decode()
    assert "Create my calendar address" in page
    made = client.post(reverse("calendar_settings"), {"create": "1"}).content.decode()
    address = re.search(r'<code id="calendar-address">([^<]+)</code>', made)
    assert address and address.group(1).endswith(".ics") and "data-copy" in made
    assert address.group(1).split("/")[-1] not in client.get(reverse("calendar_settings")).content.decode()
    assert Event.objects.count() == 0
