"""The attendance workbook (issue 15, part 2): a template pre-filled with the people expected, imported
back on the kit: every row checked, all or nothing, row errors; rows by name go through the people
register's duplicate finding and the user's decision; the rows are added to the participants (or
replace them when asked)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.attendance import Entry, attendance_save
from hamkori.events.attendance_sheets import import_attendance
from hamkori.events.models import Attendance, Event
from hamkori.groups.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["code", "full_name", "birth_year", "role", "organisation"]


def workbook(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def members(group: Any) -> list[Any]:
    return [
        m.person
        for m in Membership.objects.current().filter(group=group).select_related("person").order_by("person__code")
    ]


def post(client: Client, event: Event, content: bytes, **extra: Any) -> Any:
    url = reverse("event_attendance_import", args=[event.programme.code, event.pk])
    data = {"file": SimpleUploadedFile("sheet.xlsx", content, content_type=XLSX), **extra}
    return client.post(url, data)


def result_of(response: Any) -> Any:
    assert response.status_code == 422, response.status_code
    return response.context["result"]


@pytest.fixture
def partner(users: dict, client_for: Any) -> Client:
    return client_for(users[Role.PARTNER])


@pytest.fixture
def meeting(training: Event, vanj_cwg: Any, users: dict) -> Event:
    services.event_update(actor=users[Role.PARTNER], event=training, groups=[vanj_cwg])
    return training


# --- Adversaries first --------------------------------------------------------------------------------
def test_others_can_neither_download_the_template_nor_import(
    meeting: Event, vanj_cwg: Any, adversaries: dict, users: dict, client_for: Any
) -> None:
    code = meeting.programme.code
    content = workbook([[p.code, "", "", "", ""] for p in members(vanj_cwg)])
    for who, user in {
        "other admin": adversaries["other_admin"],
        "other partner": adversaries["other_partner"],
        "liaison": users[Role.LIAISON],
        "donor": users[Role.DONOR],
        "group member": users[Role.GROUP_MEMBER],
    }.items():
        client = client_for(user)
        template = client.get(reverse("event_attendance_template", args=[code, meeting.pk]))
        assert template.status_code in (403, 404), who
        assert "attachment" not in template.get("Content-Disposition", "")
        assert client.get(reverse("event_attendance_import", args=[code, meeting.pk])).status_code in (403, 404), who
        assert post(client, meeting, content).status_code in (403, 404), who
    anonymous = Client()
    assert post(anonymous, meeting, content).status_code == 302
    assert not Attendance.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["event.attendance_import", "event.attendance"]).exists()


# --- The template -------------------------------------------------------------------------------------
def test_the_template_lists_the_expected_people_in_the_events_language(
    meeting: Event, vanj_cwg: Any, partner: Client
) -> None:
    response = partner.get(reverse("event_attendance_template", args=[meeting.programme.code, meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows[0]) == 5
    codes = [r[0] for r in rows[1:] if r[0]]
    assert codes == [p.code for p in members(vanj_cwg)]
    assert all(r[3] == "Аъзои гурӯҳи корӣ" for r in rows[1:] if r[0])  # the CWG member role, in Tajik
    assert AuditEvent.objects.filter(action="event.sheet", summary__format="xlsx").count() == 1


def test_the_template_imports_back_as_it_is(meeting: Event, vanj_cwg: Any, partner: Client) -> None:
    template = partner.get(reverse("event_attendance_template", args=[meeting.programme.code, meeting.pk])).content
    response = post(partner, meeting, template)
    assert response.status_code == 302, response.context["result"].errors if response.context else ""
    assert Attendance.objects.filter(event=meeting).count() == 8
    assert {a.role.code for a in Attendance.objects.filter(event=meeting).select_related("role")} == {"cwg"}
    assert AuditEvent.objects.filter(action="event.attendance_import").count() == 1
    page = partner.get(response["Location"]).content.decode()
    assert "8" in page


# --- Bad rows: nothing saved --------------------------------------------------------------------------
def test_an_unknown_person_is_a_row_error_and_nothing_is_saved(meeting: Event, vanj_cwg: Any, partner: Client) -> None:
    people = members(vanj_cwg)
    content = workbook(
        [[people[0].code, "", "", "", ""], ["P-NOSUCH", "", "", "", ""], ["", "Никто Неизвестный", 1990, "", ""]]
    )
    result = result_of(post(partner, meeting, content))
    assert [e.row for e in result.errors] == [3, 4]
    assert "P-NOSUCH" in result.errors[0].message
    assert not Attendance.objects.exists()
    assert not AuditEvent.objects.filter(action="event.attendance_import").exists()


def test_the_same_person_twice_is_a_row_error(meeting: Event, vanj_cwg: Any, partner: Client) -> None:
    people = members(vanj_cwg)
    content = workbook(
        [[people[0].code, "", "", "", ""], [people[1].code, "", "", "", ""], [people[0].code.lower(), "", "", "", ""]]
    )
    result = result_of(post(partner, meeting, content))
    assert len(result.errors) == 1 and result.errors[0].row == 4
    assert "row 2" in result.errors[0].message
    assert not Attendance.objects.exists()


def test_unknown_roles_organisations_and_formulas_are_row_errors(
    meeting: Event, vanj_cwg: Any, partner: Client
) -> None:
    people = members(vanj_cwg)
    content = workbook(
        [
            [people[0].code, "", "", "no-such-role", ""],
            [people[1].code, "", "", "", "No Such Org"],
            [people[2].code, "", "", '=HYPERLINK("http://x")', ""],
        ]
    )
    result = result_of(post(partner, meeting, content))
    assert [e.row for e in result.errors] == [2, 3, 4]
    assert not Attendance.objects.exists()


def test_another_partners_people_are_unknown(
    meeting: Event, partner: Client, programme: Any, place: Any, orgs: dict
) -> None:
    """A person of Isfara (outside LAP's partner's districts) is not found by her: a row error."""
    far = factories.person(programme, place("TJ-SU-ISFARA"), owner=orgs["asti"])
    result = result_of(post(partner, meeting, workbook([[far.code, "", "", "", ""]])))
    assert len(result.errors) == 1
    assert not Attendance.objects.exists()


def test_a_cancelled_event_takes_no_sheet(meeting: Event, vanj_cwg: Any, partner: Client, users: dict) -> None:
    services.event_cancel(actor=users[Role.PARTNER], event=meeting, reason="Борон")
    result = result_of(post(partner, meeting, workbook([[members(vanj_cwg)[0].code, "", "", "", ""]])))
    assert "cancelled" in result.problem
    assert not Attendance.objects.exists()


# --- Adding, replacing --------------------------------------------------------------------------------
def test_the_import_adds_to_the_list_unless_replace_is_ticked(
    meeting: Event, vanj_cwg: Any, partner: Client, users: dict, vocab: dict, orgs: dict
) -> None:
    people = members(vanj_cwg)
    attendance_save(
        actor=users[Role.PARTNER],
        event=meeting,
        entries=[Entry(person=people[0].pk, role=vocab["roles"]["community"].pk), Entry(person=people[1].pk)],
    )
    content = workbook(
        [
            [people[1].code, "", "", "Милиса", ""],  # already there: the role given is taken
            [people[2].code, "", "", "", orgs["lap"].name_en],
            [people[3].code, "", "", "", ""],
        ]
    )
    assert post(partner, meeting, content).status_code == 302
    rows = {a.person_id: a for a in Attendance.objects.filter(event=meeting)}
    assert set(rows) == {p.pk for p in people[:4]}
    assert rows[people[0].pk].role_id == vocab["roles"]["community"].pk  # kept as it was
    assert rows[people[1].pk].role_id == vocab["roles"]["police"].pk
    assert rows[people[2].pk].organisation_id == orgs["lap"].pk
    assert post(partner, meeting, workbook([[people[5].code, "", "", "", ""]]), replace="on").status_code == 302
    assert list(Attendance.objects.filter(event=meeting).values_list("person_id", flat=True)) == [people[5].pk]


# --- Rows by name: the duplicate decision -------------------------------------------------------------
def test_a_row_by_name_asks_who_it_is_then_imports_with_the_choice(
    meeting: Event, partner: Client, programme: Any, place: Any, orgs: dict
) -> None:
    zarina = factories.person(
        programme, place("TJ-GB-VANJ"), owner=orgs["lap"], name="Зарина Қодирова", birth_year=1991
    )
    content = workbook([["", "Zarina Qodirova", 1991, "", ""]])
    response = post(partner, meeting, content)
    result = result_of(response)
    assert result.errors == [] and len(result.review) == 1
    assert result.review[0].matches[0].person == zarina
    page = response.content.decode()
    assert f'value="p{zarina.pk}"' in page and 'name="decide-2"' in page
    assert not Attendance.objects.exists()
    # A choice sent for another file counts for nothing: asked again.
    result = result_of(post(partner, meeting, content, **{"decide-2": f"p{zarina.pk}", "upload_sha256": "0" * 64}))
    assert result.review and not Attendance.objects.exists()
    # "Not in the register": a row error, nothing saved.
    result = result_of(post(partner, meeting, content, **{"decide-2": "none", "upload_sha256": result.sha256}))
    assert len(result.errors) == 1 and not Attendance.objects.exists()
    # The person chosen: imported.
    response = post(partner, meeting, content, **{"decide-2": f"p{zarina.pk}", "upload_sha256": result.sha256})
    assert response.status_code == 302
    assert list(Attendance.objects.values_list("person_id", flat=True)) == [zarina.pk]


def test_a_name_row_and_a_code_row_for_the_same_person_are_refused(
    meeting: Event, users: dict, programme: Any, place: Any, orgs: dict
) -> None:
    zarina = factories.person(
        programme, place("TJ-GB-VANJ"), owner=orgs["lap"], name="Зарина Қодирова", birth_year=1991
    )
    content = workbook([[zarina.code, "", "", "", ""], ["", "Зарина Қодирова", 1991, "", ""]])
    first = import_attendance(actor=users[Role.PARTNER], event=meeting, filename="s.xlsx", data=content)
    assert first.review
    second = import_attendance(
        actor=users[Role.PARTNER],
        event=meeting,
        filename="s.xlsx",
        data=content,
        decisions={3: f"p{zarina.pk}"},
        decisions_for=first.sha256,
    )
    assert not second.ok and second.errors and second.created == 0
    assert not Attendance.objects.exists()


def test_an_oversized_sheet_is_refused_while_it_streams(meeting: Event, partner: Client) -> None:
    from hamkori.kit.spreadsheets import reading

    size = reading.MAX_BYTES + 100 * 1024
    content = b"code\n" + b"a" * (size - 5)
    url = reverse("event_attendance_import", args=[meeting.programme.code, meeting.pk])
    response = partner.post(url, {"file": SimpleUploadedFile("big.csv", content, content_type="text/csv")})
    assert response.status_code == 413
    handler = response.wsgi_request.upload_handlers[0]
    assert isinstance(handler, reading.LimitedUploadHandler) and handler.stopped
    assert handler.received < size
    assert not Attendance.objects.exists()
