"""The event pages over real HTTP: the adversaries first (another programme's admin, a partner of another
organisation given the same district, a liaison, a donor, an anonymous visitor), then recording and editing
in Tajik, bad input, holding and cancelling, the vocabulary, the home item and constant query counts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.models import Event, EventKind, Status
from hamkori.programmes.home import home_items
from tests.events.conftest import HELD_DAY, make_event

pytestmark = pytest.mark.django_db

VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"


def url(name: str, programme: Any, *args: Any) -> str:
    return reverse(name, args=[programme.code, *args])


def state(event: Event) -> tuple[Any, ...]:
    """Everything a write could change."""
    return (
        Event.objects.filter(pk=event.pk).values().get(),
        sorted(event.facilitators.values_list("pk", flat=True)),
        sorted(event.groups.values_list("pk", flat=True)),
        sorted(event.topics.values_list("pk", flat=True)),
        AuditEvent.objects.filter(
            object_id=str(event.pk), action__in=["event.create", "event.update", "event.hold", "event.cancel"]
        ).count(),
    )


def object_pages(programme: Any, event: Event) -> list[str]:
    return [url("event_detail", programme, event.pk), url("event_edit", programme, event.pk)]


def writes(programme: Any, event: Event, kind: EventKind) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            url("event_edit", programme, event.pk),
            {
                "kind": kind.pk,
                "title": "Changed",
                "level": "district",
                "starts_on": "2026-10-14",
                "starts_time": "09:00",
                "ends_time": "10:00",
                "where": event.district_id,
                "language": "tg",
                "sensitivity": "internal",
            },
        ),
        (url("event_hold", programme, event.pk), {}),
        (url("event_cancel", programme, event.pk), {"reason": "no", "confirm": "on"}),
    ]


def form_data(kind: EventKind, where: Any, **more: Any) -> dict[str, Any]:
    data = {
        "kind": kind.pk,
        "title": "Омӯзиш дар Ванҷ",
        "level": "district",
        "starts_on": "2026-11-20",
        "starts_time": "10:00",
        "ends_time": "13:30",
        "where": where.pk,
        "venue": "Бинои ҷамоат",
        "language": "tg",
        "sensitivity": "internal",
    }
    data.update(more)
    return data


# --- Adversaries ---------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(programme: Any, training: Event, client_for: Any, vocab: dict) -> None:
    client = client_for(None)
    pages = [
        url("event_list", programme),
        url("event_calendar", programme),
        url("event_create", programme),
        url("event_vocabulary", programme),
        *object_pages(programme, training),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page
    before = state(training)
    for address, data in writes(programme, training, vocab["kinds"]["training"]):
        response = client.post(address, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], address
    assert state(training) == before


def test_another_programmes_admin_gets_404_and_changes_nothing(
    programme: Any, training: Event, adversaries: dict, client_for: Any, vocab: dict
) -> None:
    client = client_for(adversaries["other_admin"])
    other = adversaries["other_programme"]
    before = state(training)
    for code_of in (programme, other):
        for page in object_pages(code_of, training):
            assert client.get(page).status_code == 404, page
        for address, data in writes(code_of, training, vocab["kinds"]["training"]):
            assert client.post(address, data).status_code == 404, address
    for page in (url("event_list", other), f"{url('event_calendar', other)}?month=2026-10"):
        response = client.get(page)
        assert response.status_code == 200
        assert training.title not in response.content.decode()
    assert state(training) == before


def test_a_partner_of_another_organisation_sees_but_every_write_answers_403(
    programme: Any, training: Event, adversaries: dict, client_for: Any, vocab: dict
) -> None:
    client = client_for(adversaries["other_partner"])
    page = client.get(url("event_detail", programme, training.pk))
    assert page.status_code == 200  # ASTI also works in Vanj: it sees LAP's training
    html = page.content.decode()
    assert "Only the lead organisation and the organisation that organised this event can change it." in html
    assert url("event_edit", programme, training.pk) not in html
    assert url("event_cancel", programme, training.pk) not in html
    before = state(training)
    assert client.get(url("event_edit", programme, training.pk)).status_code == 403
    for address, data in writes(programme, training, vocab["kinds"]["training"]):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            assert client.post(address, data, **headers).status_code == 403, address
    assert state(training) == before


def test_a_liaison_a_donor_and_an_outsider_neither_read_nor_change(
    programme: Any, training: Event, users: dict, client_for: Any, vocab: dict
) -> None:
    before = state(training)
    for who in (Role.LIAISON, Role.DONOR, "outsider", Role.GROUP_MEMBER):
        client = client_for(users[who])
        for page in object_pages(programme, training):
            assert client.get(page).status_code in (403, 404), (who, page)
        for address, data in writes(programme, training, vocab["kinds"]["training"]):
            assert client.post(address, data).status_code in (403, 404), (who, address)
        listed = client.get(url("event_list", programme))
        if listed.status_code == 200:
            assert training.title not in listed.content.decode(), who
        calendar = client.get(f"{url('event_calendar', programme)}?month=2026-10")
        if calendar.status_code == 200:
            assert training.title not in calendar.content.decode(), who
    assert state(training) == before


def test_only_an_admin_edits_the_vocabulary(programme: Any, users: dict, client_for: Any, vocab: dict) -> None:
    address = url("event_vocabulary", programme)
    data = {"kind": "event-kind", "event-kind-new-code": "x", "event-kind-new-name_en": "X", "event-kind-new-order": 1}
    for role in (Role.STAFF, Role.PARTNER, Role.LIAISON, Role.DONOR):
        client = client_for(users[role])
        assert client.get(address).status_code == 403, role
        assert client.post(address, {**data, "event-kind-new-category": "meeting"}).status_code == 403, role
    assert not EventKind.objects.filter(code="x").exists()


# --- Recording and editing ------------------------------------------------------------------------------
def test_a_partner_records_a_training_in_tajik(
    programme: Any, place: Any, users: dict, vocab: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    address = url("event_create", programme)
    page = client.get(address, HTTP_ACCEPT_LANGUAGE="tg")
    assert page.status_code == 200
    html = page.content.decode()
    with translation.override("tg"):
        assert gettext("Save") in html
    assert 'type="date"' in html and 'type="time"' in html
    assert 'name="organiser"' not in html  # a partner organises for her own organisation
    vanj = place(VANJ)
    data = form_data(
        vocab["kinds"]["training"],
        vanj,
        topics=[vocab["topics"]["cycle"].pk, vocab["topics"]["research"].pk],
        test_max_score="20",
        agenda="1. Салом",
    )
    response = client.post(address, data, HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get()
    assert response["Location"] == url("event_detail", programme, event.pk)
    assert event.organiser.pk == users[Role.PARTNER].role_assignments.get().organisation_id
    assert event.district == vanj and event.test_max_score == 20
    assert {t.code for t in event.topics.all()} == {"cycle", "research"}
    # 10:00 in Dushanbe is 05:00 UTC; shown again as 10:00.
    assert event.starts_at == dt.datetime(2026, 11, 20, 5, 0, tzinfo=dt.UTC)
    assert event.ends_at == dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)
    detail = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="tg").content.decode()
    assert "Омӯзиш дар Ванҷ" in detail and "10:00" in detail and "13:30" in detail
    calendar = client.get(f"{url('event_calendar', programme)}?month=2026-11", HTTP_ACCEPT_LANGUAGE="tg")
    assert "Омӯзиш дар Ванҷ" in calendar.content.decode() and "10:00–13:30" in calendar.content.decode()


def test_a_partner_edits_her_organisations_event(
    programme: Any, training: Event, users: dict, vocab: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    address = url("event_edit", programme, training.pk)
    page = client.get(address, HTTP_ACCEPT_LANGUAGE="tg").content.decode()
    assert 'value="2026-10-14"' in page and 'value="10:00"' in page and 'value="13:00"' in page
    data = form_data(
        vocab["kinds"]["training"],
        training.district,
        title="Омӯзиш (тағйир)",
        starts_on="2026-10-14",
        starts_time="09:00",
        ends_time="12:00",
        topics=[vocab["topics"]["cycle"].pk],
    )
    response = client.post(address, data, HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 302
    training.refresh_from_db()
    assert training.title == "Омӯзиш (тағйир)" and training.starts_at.astimezone(dt.UTC).hour == 4
    assert AuditEvent.objects.filter(action="event.update", object_id=str(training.pk)).exists()


def test_the_training_fields_follow_the_kind(
    programme: Any, place: Any, users: dict, vocab: dict, client_for: Any
) -> None:
    """Topics and the test's scale are always in the form (no round trip that could wipe what is being typed);
    the page says which kinds show them, and hides them when the chosen kind is not a training."""
    client = client_for(users[Role.PARTNER])
    address = url("event_create", programme)
    page = client.get(address).content.decode()
    part = re.search(r'<div class="training-fields" id="training-fields"[^>]*>', page)
    assert part is not None and " hidden" not in part.group(0)  # no kind yet: shown
    shown = re.search(r'data-shown-values="([^"]*)"', part.group(0))
    assert shown is not None and str(vocab["kinds"]["training"].pk) in shown.group(1).split()
    assert str(vocab["kinds"]["cwg-meeting"].pk) not in shown.group(1).split()
    assert 'data-shown-when="id_kind"' in part.group(0) and 'name="topics"' in page
    meeting = form_data(vocab["kinds"]["cwg-meeting"], place(VANJ), _refresh="1")
    refreshed = client.post(address, meeting).content.decode()
    part = re.search(r'<div class="training-fields" id="training-fields"[^>]*>', refreshed)
    assert part is not None and " hidden" in part.group(0)
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"ends_time": "09:00"}, "ends_time", "The event cannot end before it starts."),
        ({"where": "isfara"}, "where", "Select a valid choice. That choice is not one of the available choices."),
        ({"kind": "999999"}, "kind", "Select a valid choice. That choice is not one of the available choices."),
        ({"starts_on": "20.11.2026x"}, "starts_on", "Enter a valid date."),
        ({"starts_time": ""}, "starts_time", "This field is required."),
        ({"facilitator": "P-NOBODY"}, "facilitator", "Choose the facilitator from the search results."),
    ],
)
def test_bad_input_shows_translated_errors_and_saves_nothing(
    programme: Any, place: Any, users: dict, vocab: dict, client_for: Any, change: dict, field: str, message: str
) -> None:
    client = client_for(users[Role.PARTNER])
    data = form_data(vocab["kinds"]["training"], place(VANJ))
    data.update({k: (place(ISFARA).pk if v == "isfara" else v) for k, v in change.items()})
    response = client.post(url("event_create", programme), data, HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 422
    html = response.content.decode()
    with translation.override("tg"):
        translated = gettext(message)
    assert translated.replace("'", "&#x27;") in html or translated in html, translated
    assert f'id="id_{field}_error"' in html or f'id="id_{field}"' in html
    assert 'class="error-summary"' in html
    assert not Event.objects.exists()
    assert not AuditEvent.objects.filter(action="event.create").exists()


def test_another_partners_district_is_not_offered(
    programme: Any, place: Any, users: dict, vocab: dict, client_for: Any
) -> None:
    html = client_for(users[Role.PARTNER]).get(url("event_create", programme)).content.decode()
    assert f'value="{place(ISFARA).pk}"' not in html
    staff_html = client_for(users[Role.STAFF]).get(url("event_create", programme)).content.decode()
    assert f'value="{place(ISFARA).pk}"' in staff_html and 'name="organiser"' in staff_html


# --- Holding and cancelling ----------------------------------------------------------------------------
def test_mark_as_held_and_cancel_with_a_reason(
    programme: Any, place: Any, training: Event, users: dict, vocab: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    detail = client.get(url("event_detail", programme, training.pk)).content.decode()
    assert url("event_hold", programme, training.pk) in detail and url("event_edit", programme, training.pk) in detail
    assert client.post(url("event_hold", programme, training.pk)).status_code == 302
    training.refresh_from_db()
    assert training.status == Status.HELD
    # A held event is neither held again nor cancelled: a translated error, nothing changed.
    again = client.post(url("event_hold", programme, training.pk), HTTP_ACCEPT_LANGUAGE="tg")
    assert again.status_code == 422
    future = make_event(
        programme, place(VANJ), vocab["kinds"]["dialogue"], actor=users[Role.STAFF], day=dt.date(2099, 1, 5)
    )
    staff = client_for(users[Role.STAFF])
    detail = staff.get(url("event_detail", programme, future.pk)).content.decode()
    assert url("event_hold", programme, future.pk) not in detail  # it has not started
    unconfirmed = staff.post(url("event_cancel", programme, future.pk), {"reason": "Барф"})
    assert (
        unconfirmed.status_code == 422 and "Tick the box to confirm the cancellation." in unconfirmed.content.decode()
    )
    future.refresh_from_db()
    assert future.status == Status.PLANNED
    done = staff.post(url("event_cancel", programme, future.pk), {"reason": "Барф", "confirm": "on"})
    assert done.status_code == 302
    future.refresh_from_db()
    assert future.status == Status.CANCELLED and future.cancel_reason == "Барф"


# --- Vocabulary, home, navigation --------------------------------------------------------------------------
def test_an_admin_adds_a_kind_of_event_with_its_category(
    programme: Any, users: dict, vocab: dict, client_for: Any
) -> None:
    admin = client_for(users[Role.ADMIN])
    address = url("event_vocabulary", programme)
    page = admin.get(address)
    assert page.status_code == 200 and "cwg-meeting" in page.content.decode()
    response = admin.post(
        address,
        {
            "kind": "event-kind",
            "event-kind-new-code": "radio",
            "event-kind-new-name_tg": "Барномаи радио",
            "event-kind-new-order": 200,
            "event-kind-new-category": "training",
        },
    )
    assert response.status_code == 302
    kind = EventKind.objects.get(programme=programme, code="radio")
    assert kind.category == "training" and kind.name_tg == "Барномаи радио"
    assert AuditEvent.objects.filter(action="event.vocabulary", object_id=str(kind.pk)).exists()
    prefix = f"event-kind-{kind.pk}"
    bad = admin.post(
        address,
        {"kind": "event-kind", "term": kind.pk, f"{prefix}-order": 1, f"{prefix}-category": "party"},
    )
    assert bad.status_code == 422
    kind.refresh_from_db()
    assert kind.category == "training"
    topic = vocab["topics"]["cycle"]
    response = admin.post(
        address,
        {
            "kind": "training-topic",
            "term": topic.pk,
            f"training-topic-{topic.pk}-name_en": "Cycle",
            f"training-topic-{topic.pk}-order": 3,
        },
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.name_en == "Cycle" and not topic.active
    assert admin.post(address, {"kind": "driver", "driver-new-code": "x"}).status_code == 404


def test_the_field_sees_this_weeks_events_at_home(
    programme: Any, place: Any, users: dict, vocab: dict, client_for: Any
) -> None:
    today = timezone.localtime(timezone.now(), services.programme_zone(programme)).date()
    make_event(programme, place(VANJ), vocab["kinds"]["cwg-meeting"], actor=users[Role.PARTNER], day=today)
    items = [i for i in home_items(users[Role.PARTNER], programme) if "/events/" in i.url]
    assert len(items) == 1 and items[0].count == 1
    assert not [i for i in home_items(users[Role.DONOR], programme) if "/events/" in i.url]
    nav = client_for(users[Role.PARTNER]).get(url("event_list", programme)).content.decode()
    assert 'aria-current="page">Events' in nav


# --- Query counts --------------------------------------------------------------------------------------
def _queries(client: Any, address: str) -> int:
    client.get(address)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured)


def test_the_list_and_the_calendar_keep_a_constant_number_of_queries(
    programme: Any, place: Any, users: dict, vocab: dict, client_for: Any
) -> None:
    kinds = list(vocab["kinds"].values())

    def add(start: int, n: int) -> None:
        for i in range(start, start + n):
            make_event(
                programme,
                place(VANJ),
                kinds[i % len(kinds)],
                actor=users[Role.STAFF],
                day=HELD_DAY + dt.timedelta(days=i % 20),
                title=f"Event {i}",
            )

    client = client_for(users[Role.PARTNER])
    pages = [f"{url('event_list', programme)}?when=all", f"{url('event_calendar', programme)}?month=2026-10"]
    add(0, 3)
    few = [_queries(client, page) for page in pages]
    add(3, 27)
    many = [_queries(client, page) for page in pages]
    assert many == few, (few, many)
    html = client.get(pages[0]).content.decode()
    assert "Event 29" in html and "Event 0" in html
