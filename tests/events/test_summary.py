"""The participation summary: who may open it (adversaries first, through HTTP), distinct people versus
participations, tallies reported apart, disclosure control for donors, the export, constant queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.attendance import Entry, attendance_save, scores_save, tally_save
from hamkori.events.models import Event
from hamkori.events.summary import Period, build_summary, young_bands
from tests import factories
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db

SECRET_NAME = "Гулнора Шарифова"
YEAR = {"year": "2026"}


def _url(programme: Any, **params: str) -> str:
    from urllib.parse import urlencode

    return reverse("event_summary", args=[programme.code]) + (f"?{urlencode(params)}" if params else "")


@pytest.fixture
def regular(programme: Any, place: Any, orgs: dict, vocab: dict, users: dict) -> dict[str, Any]:
    """One woman (18–24, named) at five CWG meetings in Vanj, two others at one of them, and a theatre
    performance with a tally of 30 (20 women, 10 men, all 25–35)."""
    vanj = place("TJ-GB-VANJ")
    regular = factories.person(
        programme, vanj, owner=orgs["lap"], sex="female", birth_year=None, age_band="18-24", name=SECRET_NAME
    )
    others = [
        factories.person(programme, vanj, owner=orgs["lap"], sex="male", birth_year=None, age_band="36-50")
        for _ in range(2)
    ]
    meetings = []
    for i in range(5):
        event = make_event(
            programme,
            vanj,
            vocab["kinds"]["cwg-meeting"],
            actor=users[Role.PARTNER],
            day=dt.date(2026, 3, 2 + i),
            title=f"M{i}",
        )
        people = [regular, *others] if i == 0 else [regular]
        attendance_save(actor=None, event=event, entries=[Entry(person=p.pk) for p in people])
        meetings.append(event)
    theatre = make_event(
        programme, vanj, vocab["kinds"]["theatre"], actor=users[Role.PARTNER], day=dt.date(2026, 4, 1), title="T"
    )
    role = vocab["roles"]["community"].pk
    tally_save(actor=None, event=theatre, cells={("female", "25-35", role): 20, ("male", "25-35", role): 10})
    return {"regular": regular, "others": others, "meetings": meetings, "theatre": theatre}


# --- adversaries first -----------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["other_admin", "liaison", "member", "anonymous", "outsider"])
def test_those_without_the_summary_get_nothing(
    who: str, programme: Any, regular: dict, users: dict, adversaries: dict, client_for: Any
) -> None:
    user = {"liaison": users[Role.LIAISON], "member": users[Role.GROUP_MEMBER], "outsider": users["outsider"]}.get(
        who
    ) or adversaries.get(who)
    client = client_for(user)
    for url in (_url(programme, **YEAR), reverse("event_summary_export", args=[programme.code, "csv"])):
        got = client.get(url)
        assert got.status_code in (302, 403, 404), (who, url)
        assert SECRET_NAME not in got.content.decode()
        assert b"people-h" not in got.content
    if who == "anonymous":
        assert "/accounts/login/" in client.get(_url(programme))["Location"]


def test_a_partner_of_another_organisation_sees_counts_in_her_districts_and_no_names(
    programme: Any, regular: dict, adversaries: dict, client_for: Any
) -> None:
    """Decision (hamkori/events/summary.py): a partner sees the counts of every event she can see in her
    districts, whoever organised it; the summary never names anyone."""
    got = client_for(adversaries["other_partner"]).get(_url(programme, **YEAR))
    html = got.content.decode()
    assert got.status_code == 200
    assert SECRET_NAME not in html and regular["regular"].code not in html
    assert 'id="reached-named">3<' in html


def test_a_partner_sees_only_her_districts(
    programme: Any, regular: dict, place: Any, orgs: dict, vocab: dict, users: dict, client_for: Any, make_user: Any
) -> None:
    isfara = make_event(programme, place("TJ-SU-ISFARA"), vocab["kinds"]["cwg-meeting"], day=dt.date(2026, 5, 5))
    person = factories.person(programme, place("TJ-SU-ISFARA"), owner=orgs["asti"], sex="male")
    attendance_save(actor=None, event=isfara, entries=[Entry(person=person.pk)])
    partner = client_for(users[Role.PARTNER])
    html = partner.get(_url(programme, **YEAR)).content.decode()
    assert 'id="reached-named">3<' in html  # Vanj only
    assert "Isfara" not in html.split('id="summary-filters"')[1].split("</form>")[0]
    # Asking for Isfara by its code is not offered: the form falls back to her own districts.
    html = partner.get(_url(programme, district="TJ-SU-ISFARA", **YEAR)).content.decode()
    assert 'id="reached-named">3<' in html
    staff = client_for(users[Role.STAFF]).get(_url(programme, **YEAR)).content.decode()
    assert 'id="reached-named">4<' in staff


def test_restricted_events_of_another_organisation_are_not_counted_for_a_partner(
    programme: Any, regular: dict, adversaries: dict, client_for: Any, users: dict
) -> None:
    event = Event.objects.get(pk=regular["meetings"][0].pk)  # fresh: attendance marked it held
    services.event_update(actor=None, event=event, sensitivity="restricted")
    mine = client_for(users[Role.PARTNER]).get(_url(programme, **YEAR)).content.decode()
    theirs = client_for(adversaries["other_partner"]).get(_url(programme, **YEAR)).content.decode()
    assert 'id="reached-named">3<' in mine
    assert 'id="reached-named">1<' in theirs


# --- counting people, not rows ----------------------------------------------------------------------------
def test_one_person_at_five_events_counts_once(programme: Any, regular: dict, users: dict, place: Any) -> None:
    summary = build_summary(
        users[Role.STAFF], programme, place("TJ-GB-VANJ"), Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    )
    assert summary.named_participations is not None
    assert summary.named_participations.value == 7  # 5 + 2
    assert summary.reached_named.value == 3  # the regular once, and the two others
    assert summary.reached_tallies.value == 30
    assert summary.reached_total.value == 33
    assert summary.participations.value == 37
    assert summary.women.value == 21  # the regular and 20 in the tally
    assert summary.young.value == 1  # 18–24; the tally is 25–35
    assert dict(summary.events) == {"CWG meeting": 5, "Mobile theatre": 1}
    table = dict(summary.table.lines(total_label="Total"))
    assert [c.value for c in table["18–24"]] == [1, 0, 1]
    assert [c.value for c in table["25–35"]] == [20, 10, 30]
    assert [c.value for c in table["Total"]] == [21, 12, 33]


def test_the_period_and_district_bound_the_counts(programme: Any, regular: dict, users: dict, place: Any) -> None:
    march = build_summary(users[Role.STAFF], programme, None, Period(dt.date(2026, 3, 3), dt.date(2026, 3, 31)))
    assert march.named_participations is not None and march.named_participations.value == 4
    assert march.reached_named.value == 1 and march.reached_tallies.value == 0
    isfara = build_summary(
        users[Role.STAFF], programme, place("TJ-SU-ISFARA"), Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    )
    assert isfara.reached_total.value == 0 and isfara.events == []


def test_young_people_are_the_bands_wholly_within_the_youth_age() -> None:
    assert young_bands(30) == ["u18", "18-24"]
    assert young_bands(35) == ["u18", "18-24", "25-35"]
    assert young_bands(17) == ["u18"]


def test_the_page_says_how_people_are_counted(programme: Any, regular: dict, users: dict, client_for: Any) -> None:
    html = client_for(users[Role.STAFF]).get(_url(programme, **YEAR)).content.decode()
    assert "cannot be told apart" in html
    assert "up to 30" in html
    assert 'id="reached-tallies">30<' in html and 'id="reached-total">33<' in html


# --- donors: disclosure control ----------------------------------------------------------------------------
def test_a_donor_sees_the_summary_with_small_cells_suppressed_and_no_names(
    programme: Any, regular: dict, users: dict, client_for: Any
) -> None:
    got = client_for(users[Role.DONOR]).get(_url(programme, **YEAR))
    html = got.content.decode()
    assert got.status_code == 200
    assert SECRET_NAME not in html and regular["regular"].code not in html
    assert "&lt;5" in html and "disclosure-legend" in html
    # 3 registered people are hidden; so is the tally (else 33 - 30 would give them away).
    assert 'id="reached-named"><span class="suppressed small"' in html
    assert 'id="reached-tallies"><span class="suppressed' in html
    assert 'id="reached-total">33<' in html
    assert 'id="young"><span class="suppressed small"' in html
    # Events are not people: counted exactly.
    assert "CWG meeting" in html


def test_a_donors_summary_never_pins_a_small_cell(programme: Any, regular: dict, users: dict) -> None:
    summary = build_summary(users[Role.DONOR], programme, None, Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    assert summary.protected
    for _label, cells in summary.table.lines():
        for cell in cells:
            assert cell.suppressed or cell.value == 0 or cell.value >= 5
    lines = [cells for _label, cells in summary.table.lines()]
    for line in [*lines, *zip(*lines, strict=True)]:
        assert sum(1 for c in line if c.suppressed) != 1  # else it is the total minus the others


def test_a_donor_cannot_choose_free_dates(programme: Any, regular: dict, users: dict, client_for: Any) -> None:
    html = client_for(users[Role.DONOR]).get(_url(programme, start="2026-03-02", end="2026-03-02")).content.decode()
    assert 'name="start"' not in html
    assert "01.01.2026" in html or "2026" in html  # the whole year, not one day


def test_knowledge_gain_is_hidden_for_donors_under_five_people(
    programme: Any, place: Any, orgs: dict, vocab: dict, users: dict, client_for: Any
) -> None:
    event = make_event(
        programme, place("TJ-GB-VANJ"), vocab["kinds"]["training"], topics=[vocab["topics"]["cycle"]], test_max_score=10
    )
    people = [
        factories.person(
            programme, place("TJ-GB-VANJ"), sex="female" if i < 6 else "male", birth_year=None, age_band="25-35"
        )
        for i in range(8)
    ]
    attendance_save(actor=None, event=event, entries=[Entry(person=p.pk) for p in people])
    scores_save(actor=None, event=event, scores={p.pk: (4, 8) for p in people})
    donor = build_summary(users[Role.DONOR], programme, None, Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    assert donor.gain_overall.gain is not None and donor.gain_overall.gain.gain_percent == 40.0
    by_sex = {row.label: row for row in donor.gain_by_sex}
    # 2 men would be hidden; the 6 women are hidden too, else 8 minus 6 gives the men away.
    assert by_sex["Male"].hidden and by_sex["Female"].hidden
    staff = build_summary(users[Role.STAFF], programme, None, Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    assert {row.label: row.people.value for row in staff.gain_by_sex} == {"Female": 6, "Male": 2}
    html = client_for(users[Role.DONOR]).get(_url(programme, **YEAR)).content.decode()
    assert "40.0" in html


# --- the export ----------------------------------------------------------------------------------------------
def test_the_export_is_audited_and_protected_for_donors(
    programme: Any, regular: dict, users: dict, client_for: Any
) -> None:
    url = reverse("event_summary_export", args=[programme.code, "csv"]) + "?year=2026"
    got = client_for(users[Role.DONOR]).get(url)
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    text = got.content.decode("utf-8-sig")
    assert SECRET_NAME not in text and regular["regular"].code not in text
    rows = list(csv.reader(io.StringIO(text)))
    values = {(r[1], r[2]): r[3] for r in rows[1:] if len(r) >= 4}
    assert values[("Distinct registered people reached", "Number")] == "<5"
    assert values[("People reached, all told", "Number")] == "33"
    audit = AuditEvent.objects.filter(action="event.summary.export").get()
    assert audit.summary["aggregate"] is True
    staff = client_for(users[Role.STAFF]).get(
        reverse("event_summary_export", args=[programme.code, "xlsx"]) + "?year=2026"
    )
    assert staff.status_code == 200 and staff.content[:2] == b"PK"
    assert (
        client_for(users[Role.STAFF]).get(reverse("event_summary_export", args=[programme.code, "pdf"])).status_code
        == 404
    )


# --- queries -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.STAFF, Role.PARTNER, Role.DONOR])
def test_the_summary_costs_the_same_queries_whatever_the_numbers(
    role: str, programme: Any, place: Any, orgs: dict, vocab: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[role])
    vanj = place("TJ-GB-VANJ")
    roles = vocab["roles"]["community"].pk

    def add(n_events: int, n_people: int) -> int:
        people = [factories.person(programme, vanj, owner=orgs["lap"], sex="female") for _ in range(n_people)]
        for i in range(n_events):
            kind = vocab["kinds"]["training" if i % 2 else "cwg-meeting"]
            event = make_event(
                programme,
                vanj,
                kind,
                day=dt.date(2026, 2, 1 + i),
                topics=[vocab["topics"]["cycle"]] if i % 2 else [],
                test_max_score=10 if i % 2 else None,
            )
            attendance_save(actor=None, event=event, entries=[Entry(person=p.pk) for p in people])
            tally_save(actor=None, event=event, cells={("male", "u18", roles): 3})
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_url(programme, **YEAR)).status_code == 200
        return len(ctx.captured_queries)

    small = add(1, 2)
    large = add(8, 12)
    assert small == large
    assert large <= 25
