"""Likely duplicates: the import asks before creating them, staff see a list of them, exports sort.

(hamkori.people.importers review step, hamkori.people.duplicates, hamkori.kit.spreadsheets.writing)
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.groups.services import group_create
from hamkori.kit.spreadsheets import Sheet, render
from hamkori.people.models import Person
from hamkori.people.services import person_create
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData

pytestmark = pytest.mark.django_db

HEADER = ["full_name", "sex", "birth_year", "place", "phone", "joined_on"]


def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for values in rows:
        writer.writerow([values.get(key, "") for key in HEADER])
    return out.getvalue().encode("utf-8-sig")


def zarina_row(**values: Any) -> dict[str, Any]:
    return {"full_name": "Zarina Mirzoeva", "sex": "female", "birth_year": "1990", "place": "TJ-GB-VANJ"} | values


def post(client: Client, programme: Programme, content: bytes, group: WorkingGroup | None = None, **extra: str) -> Any:
    data: dict[str, Any] = {
        "file": SimpleUploadedFile("people.csv", content, content_type="text/csv"),
        "group": group.pk if group else "",
        **extra,
    }
    return client.post(reverse("people_import", args=[programme.code]), data)


@pytest.fixture
def admin(users: dict[str, Any], client_for: Callable[[Any], Client]) -> Client:
    return client_for(users[Role.ADMIN])


@pytest.fixture
def zarina(programme: Programme, users: dict[str, Any], place: Callable[[str], Any]) -> Person:
    return person_create(
        actor=users[Role.ADMIN],
        programme=programme,
        sex="female",
        place=place("TJ-GB-VANJ"),
        birth_year=1990,
        personal=PersonalData(full_name="Зарина Мирзоева"),
    )


@pytest.fixture
def vanj_group(programme: Programme, users: dict[str, Any], place: Callable[[str], Any]) -> WorkingGroup:
    return group_create(actor=users[Role.ADMIN], programme=programme, name="CWG Vanj", district=place("TJ-GB-VANJ"))


# --- 1. The import asks first ----------------------------------------------------------------------
def test_a_likely_duplicate_stops_the_import_and_shows_the_candidate(
    admin: Client, programme: Programme, zarina: Person
) -> None:
    content = csv_bytes([zarina_row(), zarina_row(full_name="Bibi Sultonova")])
    response = post(admin, programme, content)
    assert response.status_code == 200
    assert Person.objects.count() == 1, "nothing is written before the choice"
    result = response.context["result"]
    assert not result.ok and not result.errors
    [review] = result.review
    assert review.row == 2 and [m.person for m in review.matches] == [zarina]
    page = response.content.decode()
    assert zarina.code in page and "Зарина Мирзоева" in page and "1990" in page and "100" in page
    assert hashlib.sha256(content).hexdigest() in page
    assert 'name="decide-2"' in page and 'name="decide-3"' not in page


def test_same_person_adds_the_existing_one_to_the_group(
    admin: Client, programme: Programme, zarina: Person, vanj_group: WorkingGroup
) -> None:
    content = csv_bytes(
        [zarina_row(joined_on="2019-01-15"), zarina_row(full_name="Bibi Sultonova", joined_on="2019-01-15")]
    )
    sha = hashlib.sha256(content).hexdigest()
    response = post(admin, programme, content, vanj_group, upload_sha256=sha, **{"decide-2": f"p{zarina.pk}"})
    assert response.status_code == 302, response.context["result"]
    assert Person.objects.count() == 2, "only Bibi is new"
    assert set(Membership.objects.filter(group=vanj_group).values_list("person__code", flat=True)) == {
        zarina.code,
        Person.objects.exclude(pk=zarina.pk).get().code,
    }
    event = AuditEvent.objects.get(action="person.import")
    assert event.summary["rows"] == 1 and event.summary["matched"] == 1


def test_new_person_creates_a_second_record(admin: Client, programme: Programme, zarina: Person) -> None:
    content = csv_bytes([zarina_row()])
    sha = hashlib.sha256(content).hexdigest()
    response = post(admin, programme, content, upload_sha256=sha, **{"decide-2": "new"})
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_decisions_for_another_file_or_an_unknown_person_are_not_honoured(
    admin: Client, programme: Programme, zarina: Person, users: dict[str, Any], place: Callable[[str], Any]
) -> None:
    content = csv_bytes([zarina_row()])
    response = post(admin, programme, content, upload_sha256="0" * 64, **{"decide-2": "new"})
    assert response.status_code == 200 and Person.objects.count() == 1
    other = person_create(actor=users[Role.ADMIN], programme=programme, sex="male", place=place("TJ-GB-VANJ"),
                          birth_year=1970, personal=PersonalData(full_name="Someone Else"))  # fmt: skip
    sha = hashlib.sha256(content).hexdigest()
    response = post(admin, programme, content, upload_sha256=sha, **{"decide-2": f"p{other.pk}"})
    assert response.status_code == 200 and Person.objects.count() == 2


def test_two_alike_rows_in_one_file_are_flagged_against_each_other(admin: Client, programme: Programme) -> None:
    content = csv_bytes([zarina_row(), zarina_row(full_name="Bibi Sultonova"), zarina_row(full_name="Зарина Мирзаева")])
    response = post(admin, programme, content)
    assert response.status_code == 200 and not Person.objects.exists()
    [review] = response.context["result"].review
    assert review.row == 4 and [m.row.row for m in review.matches if m.row] == [2]
    sha = hashlib.sha256(content).hexdigest()
    response = post(admin, programme, content, upload_sha256=sha, **{"decide-4": "r2"})
    assert response.status_code == 302
    assert Person.objects.count() == 2, "row 4 is the person of row 2"


def test_two_alike_rows_may_be_two_people(admin: Client, programme: Programme) -> None:
    content = csv_bytes([zarina_row(), zarina_row(full_name="Зарина Мирзаева")])
    sha = hashlib.sha256(content).hexdigest()
    response = post(admin, programme, content, upload_sha256=sha, **{"decide-3": "new"})
    assert response.status_code == 302
    assert Person.objects.count() == 2


# --- 2. The list of likely duplicates ----------------------------------------------------------------
def test_likely_duplicates_list(
    admin: Client, programme: Programme, zarina: Person, users: dict[str, Any], place: Callable[[str], Any],
    client_for: Callable[[Any], Client],
) -> None:  # fmt: skip
    def make(name: str, year: int, sex: str = "female", where: str = "TJ-GB-VANJ") -> Person:
        return person_create(actor=users[Role.ADMIN], programme=programme, sex=sex, place=place(where),
                             birth_year=year, personal=PersonalData(full_name=name))  # fmt: skip

    twin = make("Zarina Mirzoeva", 1991)
    make("Zarina Mirzoeva", 1980)  # too old
    make("Zarina Mirzoeva", 1990, sex="male")  # another sex
    make("Zarina Mirzoeva", 1990, where="TJ-SU-ISFARA")  # elsewhere
    make("Bibi Sultonova", 1990)
    url = reverse("person_likely_duplicates", args=[programme.code])
    with CaptureQueriesContext(connection) as queries:
        response = admin.get(url)
    assert response.status_code == 200
    assert [(p.keep, p.drop) for p in response.context["pairs"]] == [(zarina, twin)]
    assert len(queries) < 40
    page = response.content.decode()
    merge = reverse("person_merge", args=[programme.code, zarina.pk]) + f"?other={twin.code}"
    assert merge.replace("?", "?") in page.replace("&amp;", "&")
    assert "Зарина Мирзоева" in page
    assert AuditEvent.objects.filter(action="vault.read", summary__purpose="likely duplicates").exists() or (
        AuditEvent.objects.filter(summary__purpose="likely duplicates").exists()
    )
    form = admin.get(merge).context["form"]
    assert form["other"].value() == twin.code
    assert url in admin.get(reverse("person_list", args=[programme.code])).content.decode()
    assert client_for(users[Role.PARTNER]).get(url).status_code in (403, 404)
    assert (
        url not in client_for(users[Role.PARTNER]).get(reverse("person_list", args=[programme.code])).content.decode()
    )


# --- 3. Exports that sort ------------------------------------------------------------------------
def test_xlsx_first_sheet_is_sortable_and_phones_carry_no_apostrophe() -> None:
    sheet = Sheet(
        title="People",
        header=["name", "phone"],
        hxl=["#contact+name", "#contact+phone"],
        rows=[["=cmd|' /C calc'!A0", "+992 93 123 45 67"], ["Bibi", "-5"]],
    )
    book = openpyxl.load_workbook(io.BytesIO(render([sheet], "xlsx")))
    first = book.worksheets[0]
    assert [list(r) for r in first.iter_rows(values_only=True)] == [
        ["name", "phone"],
        ["=cmd|' /C calc'!A0", "+992 93 123 45 67"],
        ["Bibi", "-5"],
    ]
    assert all(c.data_type == "s" for r in first.iter_rows(min_row=2) for c in r), "text cells, never formulas"
    assert "HXL" in book.sheetnames
    assert [list(r) for r in book["HXL"].iter_rows(values_only=True)][:2] == [
        ["name", "phone"],
        ["#contact+name", "#contact+phone"],
    ]


def test_csv_keeps_the_apostrophe_and_gives_hxl_on_request() -> None:
    sheet = Sheet(title="People", header=["name"], hxl=["#contact+name"], rows=[["=cmd"]])
    plain = list(csv.reader(io.StringIO(render([sheet], "csv").decode("utf-8-sig"))))
    assert plain == [["name"], ["'=cmd"]]
    tagged = list(csv.reader(io.StringIO(render([sheet], "csv", hxl=True).decode("utf-8-sig"))))
    assert tagged == [["name"], ["#contact+name"], ["'=cmd"]]


def test_people_export_csv_hxl_option(admin: Client, programme: Programme, zarina: Person) -> None:
    url = reverse("people_export", args=[programme.code, "csv"])
    plain = admin.get(url).content.decode("utf-8-sig").splitlines()
    assert plain[1].startswith(zarina.code)
    tagged = admin.get(url, {"hxl": "1"}).content.decode("utf-8-sig").splitlines()
    assert tagged[1].startswith("#")


def test_likely_duplicates_queries_do_not_grow_with_people(
    admin: Client, programme: Programme, users: dict[str, Any], place: Callable[[str], Any]
) -> None:
    def make(n: int) -> None:
        for i in range(n):
            person_create(actor=users[Role.ADMIN], programme=programme, sex="female", place=place("TJ-GB-VANJ"),
                          birth_year=1990, personal=PersonalData(full_name=f"Person{i} Twin"))  # fmt: skip

    url = reverse("person_likely_duplicates", args=[programme.code])
    make(3)
    with CaptureQueriesContext(connection) as few:
        admin.get(url)
    make(20)
    with CaptureQueriesContext(connection) as many:
        response = admin.get(url)
    assert len(response.context["pairs"]) > 3
    assert len(many) == len(few)
