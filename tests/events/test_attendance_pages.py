"""The attendance screen and the tally form over real HTTP: the adversaries first (another programme's admin,
ASTI's partner who also covers Vanj, a liaison, a donor, a group member, an anonymous visitor), then the
tick list (members and facilitators, what was recorded ticked, a search without JavaScript that keeps the
ticks), one POST for 60 people with a bounded number of queries, the services' errors at the top with
nothing saved, the tally's negative numbers, and the event page's attendance panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.attendance import Entry, attendance_save, tally_save
from hamkori.events.attendance_panel import attendance_panel
from hamkori.events.models import Attendance, Event, Status, Tally
from hamkori.events.panels import event_panels
from hamkori.groups.models import Membership
from tests import factories

from .conftest import make_event

pytestmark = pytest.mark.django_db

VANJ = "TJ-GB-VANJ"
NAME = "Зарина Мирзоева"


def url(name: str, event: Event) -> str:
    return reverse(name, args=[event.programme.code, event.pk])


def members(group: Any) -> list[Any]:
    return [m.person for m in Membership.objects.filter(group=group).select_related("person").order_by("person__code")]


@pytest.fixture
def meeting(programme: Any, place: Any, users: dict, vocab: dict, vanj_cwg: Any, orgs: dict) -> Event:
    """A CWG meeting in Vanj, organised by LAP, linked to the Vanj CWG, with a facilitator."""
    facilitator = factories.person(programme, place(VANJ), owner=orgs["lap"], name="Фасилитатор Раҳимов")
    return make_event(
        programme,
        place(VANJ),
        vocab["kinds"]["cwg-meeting"],
        actor=users[Role.PARTNER],
        title="Ҷаласаи ГКБ",
        groups=[vanj_cwg],
        facilitators=[facilitator],
    )


def state(event: Event) -> tuple[Any, ...]:
    return (
        sorted(Attendance.objects.filter(event=event).values_list("person_id", "role_id", "organisation_id")),
        sorted(Tally.objects.filter(event=event).values_list("sex", "age_band", "role_id", "count")),
        Event.objects.get(pk=event.pk).status,
    )


def recorded(meeting: Event, users: dict, vanj_cwg: Any) -> list[Any]:
    people = members(vanj_cwg)[:3]
    attendance_save(actor=users[Role.PARTNER], event=meeting, entries=[Entry(person=p.pk) for p in people])
    return people


# --- Adversaries -------------------------------------------------------------------------------------
def test_nobody_else_opens_the_screen_or_saves(
    meeting: Event, users: dict, vanj_cwg: Any, vocab: dict, adversaries: dict, client_for: Any
) -> None:
    people = recorded(meeting, users, vanj_cwg)
    role = vocab["roles"]["community"].pk
    before = state(meeting)
    save = {"person": [p.pk for p in members(vanj_cwg)], "do": "save"}
    tally = {f"t-female-18-24-{role}": "40"}
    expected = {
        "anonymous": 302,  # to sign in
        "other_admin": 404,  # another programme: the event does not exist for her
        "other_partner": 403,  # sees the event (she covers Vanj) but LAP organised it
        Role.LIAISON: 404,  # not her organisation's event
        Role.GROUP_MEMBER: 404,  # not a member of the group (no linked account)
        Role.DONOR: 403,  # no events at all
    }
    for who, status in expected.items():
        user = adversaries[who] if who in adversaries else users[who]
        client = client_for(user)
        for address in (url("event_attendance", meeting), url("event_tally", meeting)):
            response = client.get(address)
            assert response.status_code == status, (who, address)
            assert people[0].code not in response.content.decode()
        search = client.get(url("event_attendance_search", meeting), {"q": "P"})
        assert search.status_code == status, who
        assert 'name="person"' not in search.content.decode()
        assert client.post(url("event_attendance", meeting), save).status_code == status, who
        assert client.post(url("event_tally", meeting), tally).status_code == status, who
    # Under her own programme's code the event does not exist either.
    other = adversaries["other_programme"]
    client = client_for(adversaries["other_admin"])
    assert client.get(reverse("event_attendance", args=[other.code, meeting.pk])).status_code == 404
    assert client.post(reverse("event_attendance", args=[other.code, meeting.pk]), save).status_code == 404
    assert state(meeting) == before


def test_the_other_partner_is_told_why(meeting: Event, adversaries: dict, client_for: Any) -> None:
    response = client_for(adversaries["other_partner"]).get(url("event_attendance", meeting))
    assert response.status_code == 403
    assert "Only the lead organisation and the organisation that organised this event can change it." in (
        response.content.decode()
    )


def test_the_panel_shows_names_only_to_those_allowed(
    meeting: Event, users: dict, adversaries: dict, programme: Any, place: Any, orgs: dict, vocab: dict
) -> None:
    named = factories.person(programme, place(VANJ), owner=orgs["lap"], name=NAME)
    attendance_save(actor=users[Role.PARTNER], event=meeting, entries=[Entry(person=named.pk)])
    tally_save(actor=users[Role.PARTNER], event=meeting, cells={("female", "18-24", vocab["roles"]["community"].pk): 7})

    def panel(user: Any) -> str:
        (found,) = [p for p in event_panels(user, meeting) if p.template == "events/_attendance_panel.html"]
        return render_to_string(found.template, {**found.context, "event": meeting})

    lap = panel(users[Role.PARTNER])
    assert NAME in lap and named.code in lap and url("event_attendance", meeting) in lap
    # ASTI's partner sees LAP's event and its counts, not who took part (event.view_people), and cannot record.
    asti = panel(adversaries["other_partner"])
    assert named.code not in asti and NAME not in asti and url("event_attendance", meeting) not in asti
    assert ">1<" in asti
    # A liaison or a group member would see the counts only (the event page decides whether they see the event).
    for user in (users[Role.LIAISON], users[Role.GROUP_MEMBER]):
        html = panel(user)
        assert named.code not in html and NAME not in html and url("event_attendance", meeting) not in html
        assert ">1<" in html and ">7<" in html
    assert attendance_panel(users[Role.STAFF], meeting)[0].context["attendance_counts"]["total"] == 8


# --- The tick list -----------------------------------------------------------------------------------
def test_the_screen_lists_members_and_facilitators_with_what_was_recorded_ticked(
    meeting: Event, users: dict, vanj_cwg: Any, vocab: dict, client_for: Any
) -> None:
    people = recorded(meeting, users, vanj_cwg)
    html = client_for(users[Role.PARTNER]).get(url("event_attendance", meeting)).content.decode()
    assert "Фасилитатор Раҳимов" in html  # the facilitator, by name (LAP recorded him)
    for person in members(vanj_cwg):
        assert f'value="{person.pk}"' in html
    for person in people:
        assert f'name="person" value="{person.pk}" checked' in html
    unticked = members(vanj_cwg)[5]
    assert f'name="person" value="{unticked.pk}">' in html
    # A member who was not recorded takes part as a CWG member by default.
    cwg = vocab["roles"]["cwg"].pk
    row = html[html.index(f'name="role-{unticked.pk}"') :]
    assert f'<option value="{cwg}" selected>' in row[: row.index("</select>")]
    assert 'id="att-count">3<' in html


def test_a_search_without_javascript_keeps_the_ticks_and_adds_the_person(
    meeting: Event, users: dict, vanj_cwg: Any, programme: Any, place: Any, orgs: dict, vocab: dict, client_for: Any
) -> None:
    outsider = factories.person(programme, place(VANJ), owner=orgs["lap"], name=NAME)
    client = client_for(users[Role.PARTNER])
    ticks = [p.pk for p in members(vanj_cwg)[:2]]
    response = client.post(url("event_attendance", meeting), {"person": ticks, "q": "Зарина", "do": "search"})
    assert response.status_code == 200
    html = response.content.decode()
    assert NAME in html and f'value="{outsider.pk}"' in html
    for pk in ticks:
        assert f'name="person" value="{pk}" checked' in html
    assert not Attendance.objects.filter(event=meeting).exists()  # a search saves nothing
    community = vocab["roles"]["community"].pk
    response = client.post(
        url("event_attendance", meeting),
        {"person": [*ticks, outsider.pk], f"role-{outsider.pk}": community, f"org-{outsider.pk}": orgs["lap"].pk},
    )
    assert response.status_code == 302
    saved = dict(Attendance.objects.filter(event=meeting).values_list("person_id", "role_id"))
    assert saved == {ticks[0]: None, ticks[1]: None, outsider.pk: community}
    page = client.get(response["Location"]).content.decode()
    assert "Attendance saved: 3 people took part." in page
    assert f'name="person" value="{outsider.pk}" checked' in page  # now among the others, ticked
    meeting.refresh_from_db()
    assert meeting.status == Status.HELD


def test_the_htmx_search_answers_rows_to_tick_but_not_people_already_listed(
    meeting: Event, users: dict, vanj_cwg: Any, programme: Any, place: Any, orgs: dict, client_for: Any
) -> None:
    outsider = factories.person(programme, place(VANJ), owner=orgs["lap"], name=NAME)
    member = members(vanj_cwg)[0]
    client = client_for(users[Role.PARTNER])
    html = client.get(url("event_attendance_search", meeting), {"q": "Зарина"}, HTTP_HX_REQUEST="true")
    assert f'name="person" value="{outsider.pk}"' in html.content.decode()
    assert "<html" not in html.content.decode()
    listed = client.get(url("event_attendance_search", meeting), {"q": member.code}).content.decode()
    assert f'value="{member.pk}"' not in listed


def test_sixty_people_in_one_post_with_queries_independent_of_the_number(
    meeting: Event,
    users: dict,
    vanj_cwg: Any,
    programme: Any,
    place: Any,
    orgs: dict,
    vocab: dict,
    client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    extra = [factories.person(programme, place(VANJ), owner=orgs["lap"], name=f"Шахс {i}") for i in range(52)]
    people = members(vanj_cwg) + extra
    client = client_for(users[Role.PARTNER])
    community = vocab["roles"]["community"].pk

    def body(chosen: list[Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"person": [p.pk for p in chosen], "do": "save"}
        for p in chosen:
            data[f"role-{p.pk}"] = community
            data[f"org-{p.pk}"] = orgs["lap"].pk
        return data

    client.post(url("event_attendance", meeting), body(people[:1]))  # the first save also marks the event held
    counts = {}
    for n in (10, 60):
        Attendance.objects.filter(event=meeting).delete()
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url("event_attendance", meeting), body(people[:n]))
        assert response.status_code == 302
        counts[n] = len(queries)
    assert counts[60] == counts[10], counts
    with django_assert_max_num_queries(40):
        client.post(url("event_attendance", meeting), body(people))
    assert Attendance.objects.filter(event=meeting, role_id=community).count() == 60
    # The screen with 60 ticked: the same number of queries as with 10.
    shown = {}
    for n in (10, 60):
        Attendance.objects.filter(event=meeting).delete()
        attendance_save(actor=users[Role.PARTNER], event=meeting, entries=[Entry(person=p.pk) for p in people[:n]])
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url("event_attendance", meeting))
        assert page.status_code == 200
        assert f'id="att-count">{n}<' in page.content.decode()
        shown[n] = len(queries)
    assert shown[60] == shown[10], shown
    with django_assert_max_num_queries(40):
        client.get(url("event_attendance", meeting))


@pytest.mark.parametrize("case", ["unknown", "twice", "other_programme", "bad_role", "not_a_number"])
def test_bad_lists_are_refused_at_the_top_and_nothing_is_saved(
    case: str,
    meeting: Event,
    users: dict,
    vanj_cwg: Any,
    adversaries: dict,
    place: Any,
    client_for: Any,
) -> None:
    people = recorded(meeting, users, vanj_cwg)
    before = state(meeting)
    ticks: list[Any] = [p.pk for p in members(vanj_cwg)]
    data: dict[str, Any] = {"do": "save"}
    message = {
        "unknown": "of the people listed are not in the programme&#x27;s register",
        "twice": "The same person is listed twice",
        "other_programme": "of the people listed are not in the programme&#x27;s register",
        "bad_role": "Choose roles from the programme&#x27;s list.",
        "not_a_number": "Choose people from the list.",
    }[case]
    if case == "unknown":
        ticks.append(987654321)
    elif case == "twice":
        ticks.append(people[0].pk)
    elif case == "other_programme":
        ticks.append(factories.person(adversaries["other_programme"], place(VANJ)).pk)
    elif case == "bad_role":
        data[f"role-{people[0].pk}"] = "99999999"
    else:
        ticks.append("1; DROP TABLE")
    response = client_for(users[Role.PARTNER]).post(url("event_attendance", meeting), {**data, "person": ticks})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error-summary"' in html and message in html
    assert html.index('class="error-summary"') < html.index('id="att-facilitators"')
    for person in members(vanj_cwg):  # the ticks are kept
        assert f'name="person" value="{person.pk}" checked' in html
    assert state(meeting) == before


def test_no_attendance_for_a_cancelled_or_future_event(
    programme: Any, place: Any, users: dict, vocab: dict, vanj_cwg: Any, client_for: Any
) -> None:
    future = make_event(
        programme,
        place(VANJ),
        vocab["kinds"]["cwg-meeting"],
        actor=users[Role.PARTNER],
        day=dt.date(2099, 5, 1),
        groups=[vanj_cwg],
    )
    client = client_for(users[Role.PARTNER])
    person = members(vanj_cwg)[0]
    page = client.get(url("event_attendance", future)).content.decode()
    assert "has not taken place yet" in page and "Save attendance" not in page
    response = client.post(url("event_attendance", future), {"person": [person.pk]})
    assert response.status_code == 422 and "has not taken place yet" in response.content.decode()
    services.event_cancel(actor=users[Role.PARTNER], event=future, reason="Роҳ баста")
    response = client.post(url("event_attendance", future), {"person": [person.pk]})
    assert response.status_code == 422 and "This event was cancelled" in response.content.decode()
    role = vocab["roles"]["community"].pk
    response = client.post(url("event_tally", future), {f"t-female-18-24-{role}": "4"})
    assert response.status_code == 422 and "This event was cancelled" in response.content.decode()
    assert not Attendance.objects.filter(event=future).exists() and not Tally.objects.filter(event=future).exists()


def test_the_screen_is_in_tajik_and_russian(meeting: Event, users: dict, client_for: Any) -> None:
    client = client_for(users[Role.PARTNER])
    for lang in ("tg", "ru"):
        client.cookies["django_language"] = lang
        html = client.get(url("event_attendance", meeting), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert f'<html lang="{lang}">' in html


# --- The tally -----------------------------------------------------------------------------------------
def test_a_tally_is_saved_and_shown_with_its_totals(meeting: Event, users: dict, vocab: dict, client_for: Any) -> None:
    client = client_for(users[Role.PARTNER])
    community = vocab["roles"]["community"].pk
    page = client.get(url("event_tally", meeting)).content.decode()
    assert 'inputmode="numeric"' in page and f'name="t-female-18-24-{community}"' in page
    response = client.post(
        url("event_tally", meeting),
        {f"t-female-18-24-{community}": "12", f"t-male-25-35-{community}": " 18 ", f"t-male-u18-{community}": ""},
    )
    assert response.status_code == 302
    assert sorted(Tally.objects.filter(event=meeting).values_list("sex", "age_band", "count")) == [
        ("female", "18-24", 12),
        ("male", "25-35", 18),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "Tally saved: 30 people counted." in page
    assert 'id="tally-total">30<' in page
    assert f'name="t-male-25-35-{community}" value="18"' in page


@pytest.mark.parametrize(("value", "message"), [("-3", "cannot be negative"), ("2.5", "is not a whole number")])
def test_a_bad_tally_is_refused_with_nothing_saved(
    value: str, message: str, meeting: Event, users: dict, vocab: dict, client_for: Any
) -> None:
    community = vocab["roles"]["community"].pk
    tally_save(actor=users[Role.PARTNER], event=meeting, cells={("female", "18-24", community): 5})
    before = state(meeting)
    response = client_for(users[Role.PARTNER]).post(
        url("event_tally", meeting), {f"t-female-18-24-{community}": "9", f"t-male-36-50-{community}": value}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and 'class="error-summary"' in html
    assert f'name="t-male-36-50-{community}" value="{value}"' in html and 'aria-invalid="true"' in html
    assert state(meeting) == before
