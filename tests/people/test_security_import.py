"""Security review, finding 7: a spreadsheet upload must not pin a worker. Empty rows count toward
the row cap, a workbook's zip is inspected before openpyxl parses anything, and an oversized upload
is refused while it streams in. Every refusal is an error on the page that changes nothing."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.kit.spreadsheets import reading as people_io
from hamkori.people.models import Person
from hamkori.programmes.models import Programme
from hamkori.vault.models import VaultRecord

pytestmark = pytest.mark.django_db

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["full_name", "sex", "birth_year", "place"]


@pytest.fixture
def admin(users: dict[str, Any]) -> Client:
    client = Client()
    client.force_login(users[Role.ADMIN])
    return client


def _upload(client: Client, programme: Programme, name: str, content: bytes, content_type: str = XLSX_TYPE) -> Any:
    data = {"file": SimpleUploadedFile(name, content, content_type=content_type), "group": ""}
    return client.post(reverse("people_import", args=[programme.code]), data)


def _nothing_written() -> None:
    assert not Person.objects.exists()
    assert not VaultRecord.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["person.create", "vault.put"]).exists()


def _problem(response: Any) -> str:
    assert response.status_code == 200
    result = response.context["result"]
    assert result is not None and result.problem, "expected the file to be refused"
    assert escape(result.problem) in response.content.decode()
    return str(result.problem)


def _workbook(header: list[str], far_cell_row: int | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    if far_cell_row is not None:
        sheet.cell(row=far_cell_row, column=1, value=" ")  # every row in between is empty
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _replace_member(workbook: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != name:
                archive.writestr(info.filename, source.read(info.filename))
        archive.writestr(name, content)
    return out.getvalue()


def test_empty_rows_count_toward_the_row_cap(admin: Client, programme: Programme) -> None:
    content = _workbook(HEADER, far_cell_row=200_001)
    assert len(content) < 10_000
    response = _upload(admin, programme, "empty.xlsx", content)
    assert "more than 5000 rows" in _problem(response)
    _nothing_written()


def test_the_reader_stops_at_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    read = 0

    def rows(_data: bytes) -> Any:
        nonlocal read
        yield ["full_name", "sex"]
        while True:
            read += 1
            yield [None, None]

    monkeypatch.setattr(people_io, "_xlsx_rows", rows)
    with pytest.raises(people_io.FileRejected, match="more than 5000 rows"):
        people_io.read_table("xlsx", b"PK")
    assert read <= people_io.MAX_ROWS_READ + 1  # one row past the cap tells it is over


def _shared_strings(count: int, length: int) -> bytes:
    body = b"".join(b"<si><t>" + (b"%07d" % i) + b"x" * length + b"</t></si>" for i in range(count))
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
        % (count, count)
        + body
        + b"</sst>"
    )


@pytest.mark.parametrize(
    ("count", "length"),
    [
        (3_000, 8_000),  # 24 MB of text in a few thousand strings
        (200_000, 1),  # a small file with too many strings
    ],
)
def test_a_shared_strings_bomb_is_refused_before_parsing(
    admin: Client, programme: Programme, monkeypatch: pytest.MonkeyPatch, count: int, length: int
) -> None:
    content = _replace_member(_workbook(HEADER), "xl/sharedStrings.xml", _shared_strings(count, length))
    assert len(content) < people_io.MAX_BYTES
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
    assert unpacked < 100 * 1024 * 1024, "below the old check: only the new ones refuse it"

    def no_parse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("openpyxl was asked to parse a file that should have been refused")

    monkeypatch.setattr(openpyxl, "load_workbook", no_parse)
    monkeypatch.setattr("openpyxl.reader.excel.load_workbook", no_parse)
    problem = _problem(_upload(admin, programme, "strings.xlsx", content))
    assert "shared strings" in problem
    _nothing_written()


def test_a_member_that_lies_about_its_size_is_caught_by_reading(admin: Client, programme: Programme) -> None:
    big = b"<x>" + b" " * (people_io.MAX_MEMBER_BYTES + 10) + b"</x>"
    content = _replace_member(_workbook(HEADER), "xl/worksheets/sheet1.xml", big)
    # Make the central directory and local header claim a tiny size.
    archive = zipfile.ZipFile(io.BytesIO(content))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(content)
    true_size = info.file_size.to_bytes(4, "little")
    fake = (1000).to_bytes(4, "little")
    start = data.find(true_size)
    while start != -1:
        data[start : start + 4] = fake
        start = data.find(true_size, start + 4)
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    problem = _problem(_upload(admin, programme, "liar.xlsx", bytes(data)))
    assert "too large" in problem or "could not be read" in problem
    _nothing_written()


def test_too_many_members_are_refused(admin: Client, programme: Programme) -> None:
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(_workbook(HEADER)))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))
        for i in range(people_io.MAX_MEMBERS + 1):
            archive.writestr(f"xl/media/extra{i}.bin", b"")
    problem = _problem(_upload(admin, programme, "many.xlsx", out.getvalue()))
    assert "too many parts" in problem
    _nothing_written()


@pytest.mark.parametrize("extra", [2 * 1024 * 1024, 100 * 1024])
def test_an_oversized_upload_is_refused_while_it_streams(admin: Client, programme: Programme, extra: int) -> None:
    """2 MB over: the declared length alone refuses it before the file is read. 100 KB over (within
    the allowance for the form around the file): the counting handler stops it mid-stream."""
    size = people_io.MAX_BYTES + extra
    content = b"full_name,sex,birth_year,place\n" + b"a" * (size - 31)
    assert len(content) == size
    response = _upload(admin, programme, "big.csv", content, content_type="text/csv")
    assert "too large" in _problem(response)
    handler = response.wsgi_request.upload_handlers[0]
    assert isinstance(handler, people_io.LimitedUploadHandler)
    assert handler.stopped
    assert handler.received < size, "the handler read the whole upload"
    assert handler.received <= people_io.MAX_BYTES + 64 * 1024
    _nothing_written()


def test_csv_lines_and_rows_are_capped(admin: Client, programme: Programme) -> None:
    long_line = "full_name,sex,birth_year,place\n" + "x" * (people_io.MAX_LINE_CHARS + 1) + ",female,1990,TJ-GB-VANJ\n"
    assert "too long" in _problem(_upload(admin, programme, "long.csv", long_line.encode(), "text/csv"))
    empty_rows = "full_name,sex,birth_year,place\n" + ",,,\n" * 200_000
    assert "more than 5000 rows" in _problem(_upload(admin, programme, "empty.csv", empty_rows.encode(), "text/csv"))
    _nothing_written()


def test_parsing_has_a_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(0, 10_000, 7))
    monkeypatch.setattr(people_io, "_now", lambda: float(next(clock)))
    data = ("full_name,sex,birth_year,place\n" + "Ali,male,1990,TJ-GB-VANJ\n" * 100).encode()
    with pytest.raises(people_io.FileRejected, match="took too long"):
        people_io.read_table("csv", data)


def test_a_normal_workbook_still_imports(admin: Client, programme: Programme) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["Зарина Қодирова", "female", 1990, "TJ-GB-VANJ"])
    sheet.append([None, None, None, None])
    sheet.append(["Umed Saidov", "male", 1985, "TJ-GB-VANJ"])
    out = io.BytesIO()
    book.save(out)
    response = _upload(admin, programme, "ok.xlsx", out.getvalue())
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_the_import_still_checks_the_csrf_token(users: dict[str, Any], programme: Programme) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[Role.ADMIN])
    content = b"full_name,sex,birth_year,place\nAli,male,1990,TJ-GB-VANJ\n"
    response = _upload(client, programme, "ok.csv", content, content_type="text/csv")
    assert response.status_code == 403
    _nothing_written()
