"""Spreadsheet import and export of people and working groups.

Import format
-------------
One sheet (the first of an ``.xlsx`` workbook, or a ``.csv`` file in UTF-8, with or without a
byte-order mark, separated by ``,`` or ``;``). Row 1 holds the column headers: the machine keys of
:data:`COLUMNS` (``full_name``, ``sex`` ...) or their labels in Tajik, Russian or English, in any
order and any mix; unknown headers are refused. A row of HXL hashtags directly under the headers is
skipped. Every other non-empty row is one new person. Multi-valued cells (sectors, languages) are
separated by ``;``. Dates are ``YYYY-MM-DD`` text, ``DD.MM.YYYY`` text, or real spreadsheet dates.

Every row is checked before anything is written; one bad row and nothing is imported, and every
problem is reported as (spreadsheet row number, column label, message). When all rows pass, one
transaction creates each person through :func:`person_create` and, with a target working group,
their membership through :func:`membership_add`: services only, never ORM writes here.

Formulas (a decision)
---------------------
A text cell whose first character is ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or
whose first non-blank character is one of ``= + - @``, is refused with "formulas are not accepted";
so is any real formula cell of a workbook. We read workbooks with ``data_only=False`` on purpose:
with ``data_only=True`` openpyxl hands over a formula's cached result (or nothing at all when the
file was never opened in Excel), so ``=HYPERLINK(...)`` would slip through unseen.

The one exception is the phone column: a value that is *only* a phone number starting with ``+``
(``+``, then digits, spaces and ``( ) -``, at least one digit, nothing else) is a legitimate
international number, not a formula; it cannot call a function or reference a cell. Our own
exports neutralise such a cell as ``'+992 ...``; the phone column accepts that form too and drops
the apostrophe. Anything else starting with ``+`` (``+cmd|...``, ``+992 93 =1``) is refused.

Exports
-------
CSV in UTF-8 with a byte-order mark (Excel), XLSX through openpyxl. Row 1: headers in the user's
language; row 2: HXL hashtags; then the data. Every text cell that starts with ``= + - @``, a tab
or a carriage return (also after leading blanks) is prefixed with ``'`` so no spreadsheet runs it.
Row-level exports start from ``visible_to`` and run a fixed number of queries whatever the number
of rows; names and phones are read from the vault in one audited call, only for the people whose
personal data the user may see. Donors get only counts by district x sex, through disclosure control.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hamkori.access.policy import decide
from hamkori.core import audit
from hamkori.core.disclosure import DisclosureError, SafeTable, protect
from hamkori.core.text import name_key
from hamkori.groups.balance import active_on, balance_by_group
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.groups.services import membership_add
from hamkori.people.models import AgeBand, Language, Person, Sector, Sex
from hamkori.people.selectors import PEOPLE_FILTERS, filter_people
from hamkori.people.services import person_create, place_in_scope, programme_places, validate_profile
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData, vault_get_many

MAX_BYTES = 5 * 1024 * 1024
#: The rest of a multipart request around the file (the form's fields, boundaries, headers).
UPLOAD_OVERHEAD = 1024 * 1024
#: What an .xlsx may hold once unzipped, all parts together and any one part; checked from the
#: zip's declared sizes and again by reading (a zip may lie), before openpyxl parses anything.
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_MEMBER_BYTES = 40 * 1024 * 1024
MAX_MEMBERS = 200
#: xl/sharedStrings.xml: 5,000 rows of 14 columns need at most 70,000 strings.
MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024
MAX_SHARED_STRINGS = 100_000
MAX_ROWS = 5000
#: Rows read at most, empty and hashtag rows included (a little slack for trailing blank rows).
MAX_ROWS_READ = MAX_ROWS + 100
MAX_COLUMNS = 60
#: A CSV line longer than this is refused (no cell of the template needs a tenth of it).
MAX_LINE_CHARS = 20_000
#: Reading a file stops with an error after this many seconds.
PARSE_SECONDS = 20.0
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
#: What browsers and operating systems report for the two formats (Windows says a CSV is an Excel file).
ACCEPTED_MIME = {
    "xlsx": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/zip",
        "application/x-zip-compressed",
        "application/octet-stream",
        "",
    },
    "csv": {
        "text/csv",
        "text/plain",
        "text/comma-separated-values",
        "text/x-csv",
        "application/csv",
        "application/x-csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
        "",
    },
}
LANGUAGES = ("tg", "ru", "en")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PHONE_NUMBER = re.compile(r"\+[0-9 ()\-]*[0-9][0-9 ()\-]*")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-"})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
# Excel serial numbers accepted as dates: 1990-01-01 .. 2100-12-31.
_SERIAL_RANGE = (32874, 73415)


# --- Columns -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    help: Promise
    required: bool = False
    membership: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "full_name",
        gettext_lazy("full name"),
        gettext_lazy("First and last name as the person writes them. Stored encrypted."),
    ),
    Column("sex", gettext_lazy("sex"), gettext_lazy("Required. See the list of sexes below."), required=True),
    Column(
        "birth_year",
        gettext_lazy("year of birth"),
        gettext_lazy("Four digits, for example 1988. Give the year of birth or the age band."),
    ),
    Column(
        "age_band",
        gettext_lazy("age band"),
        gettext_lazy("When the year of birth is not known. See the list of age bands below."),
    ),
    Column(
        "place",
        gettext_lazy("place"),
        gettext_lazy("Required. Code or name (in any language) of a place of the programme: see the list below."),
        required=True,
    ),
    Column("sectors", gettext_lazy("sectors"), gettext_lazy("Codes or names of sectors, separated by ; (semicolon).")),
    Column(
        "languages", gettext_lazy("languages"), gettext_lazy("Codes or names of languages, separated by ; (semicolon).")
    ),
    Column(
        "phone", gettext_lazy("phone"), gettext_lazy("Digits, spaces and + ( ) - only, for example +992 93 555 12 34.")
    ),
    Column("email", gettext_lazy("email address"), gettext_lazy("Optional.")),
    Column("address", gettext_lazy("address"), gettext_lazy("Optional. Stored encrypted.")),
    Column(
        "member_role",
        gettext_lazy("role"),
        gettext_lazy("Only with a target working group: chair, secretary or member (the default)."),
        membership=True,
    ),
    Column(
        "sector_represented",
        gettext_lazy("sector represented"),
        gettext_lazy("Only with a target working group: the one sector the person represents in it."),
        membership=True,
    ),
    Column(
        "joined",
        gettext_lazy("joined"),
        gettext_lazy("Required with a target working group: the date the person joined (YYYY-MM-DD)."),
        membership=True,
    ),
    Column(
        "left",
        gettext_lazy("left"),
        gettext_lazy("Only with a target working group, if the person has left: the date (YYYY-MM-DD)."),
        membership=True,
    ),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
#: Machine keys that also name the date columns (the brief's and the model's spellings).
KEY_ALIASES = {"joined_on": "joined", "left_on": "left", "role": "member_role", "name": "full_name"}
PERSONAL_KEYS = ("full_name", "phone", "email", "address")
#: Field names in the services' ValidationErrors -> our column keys.
SERVICE_FIELDS = {"role": "member_role", "sector": "sector_represented", "joined_on": "joined", "left_on": "left"}


def norm(value: Any) -> str:
    """Compare headers and vocabulary case- and space-insensitively, with any dash as ``-``."""
    text = unicodedata.normalize("NFC", str(value)).translate(_DASHES)
    return " ".join(text.casefold().split())


def header_labels() -> dict[str, str]:
    """{normalised header: column key}: every column's label in Tajik, Russian and English, and its
    machine key. A label that means two columns in some language is left out (the key still works)."""
    found: dict[str, set[str]] = defaultdict(set)
    for lang in LANGUAGES:
        with translation.override(lang):
            for column in COLUMNS:
                found[norm(column.label)].add(column.key)
    mapping = {label: next(iter(keys)) for label, keys in found.items() if len(keys) == 1}
    for column in COLUMNS:
        mapping[norm(column.key)] = column.key
        mapping[norm(column.key.replace("_", " "))] = column.key
    for alias, key in KEY_ALIASES.items():
        mapping.setdefault(norm(alias), key)
    return mapping


# --- Vocabulary ----------------------------------------------------------------------------------
def _choice_map(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    choices = list(choices)
    out: dict[str, str] = {}
    for lang in LANGUAGES:
        with translation.override(lang):
            for value, label in choices:
                out[norm(label)] = value
    for value, _label in choices:
        out[norm(value)] = value
    return out


SEX_WORDS = {
    # English, Russian (женский/мужской, ж/м) and Tajik (зан/мард, з/м) short forms.
    "f": Sex.FEMALE, "m": Sex.MALE, "w": Sex.FEMALE,
    "ж": Sex.FEMALE, "жен": Sex.FEMALE, "женщина": Sex.FEMALE, "женский": Sex.FEMALE,
    "з": Sex.FEMALE, "зан": Sex.FEMALE, "занона": Sex.FEMALE,
    "м": Sex.MALE, "муж": Sex.MALE, "мужчина": Sex.MALE, "мужской": Sex.MALE,
    "мард": Sex.MALE, "мардона": Sex.MALE, "woman": Sex.FEMALE, "man": Sex.MALE,
}  # fmt: skip


@dataclass
class Vocabulary:
    """Everything a row is checked against, read once per import."""

    programme: Programme
    sexes: dict[str, str]
    age_bands: dict[str, str]
    languages: dict[str, str]
    member_roles: dict[str, str]
    sectors: dict[str, Sector]
    places: dict[str, list[Place]]

    @classmethod
    def load(cls, programme: Programme) -> Vocabulary:
        sectors: dict[str, Sector] = {}
        for sector in Sector.objects.all():
            for name in (sector.code, sector.name_tg, sector.name_ru, sector.name_en):
                if name:
                    sectors.setdefault(norm(name), sector)
        places: dict[str, list[Place]] = defaultdict(list)
        for place in programme_place_tree(programme):
            for name in dict.fromkeys([place.code, place.name_tg, place.name_ru, place.name_en, *place.aliases]):
                if name and place not in places[norm(name)]:
                    places[norm(name)].append(place)
        return cls(
            programme=programme,
            sexes={**_choice_map(Sex.choices), **SEX_WORDS},
            age_bands=_choice_map(AgeBand.choices),
            languages=_choice_map(Language.choices),
            member_roles=_choice_map(Membership.Role.choices),
            sectors=sectors,
            places=dict(places),
        )

    def place(self, value: str) -> Place:
        """The place named ``value`` (code, name in any language, or alias). Several places of one
        name along one branch (district Vanj and its jamoat Vanj) give the broader one; names
        shared by places on different branches must be written as a code."""
        found = self.places.get(norm(value), [])
        if not found:
            raise ValueError(_("Unknown place, or not one of the programme's places: %(value)s.") % {"value": value})
        found = sorted(found, key=lambda p: p.depth)
        top = found[0]
        if all(p.path.startswith(top.path) for p in found):
            return top
        raise ValueError(
            _("Several places are called %(value)s: write the code instead (%(codes)s).")
            % {"value": value, "codes": ", ".join(p.code for p in found)}
        )


def programme_place_tree(programme: Programme) -> list[Place]:
    """The programme's locations and every current place under them, in one query (plus the
    locations' own)."""
    roots = programme_places(programme)
    if not roots:
        return []
    under = Q(pk__in=[])
    for root in roots:
        under |= Q(path__startswith=root.path)
    return list(Place.objects.filter(under).filter(Q(valid_to__isnull=True) | Q(pk__in=[r.pk for r in roots])))


# --- Reading files -------------------------------------------------------------------------------
class FileRejected(Exception):
    """The file as a whole cannot be read (format, size, encoding, headers)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    memberships: int = 0
    group: WorkingGroup | None = None
    errors: list[RowError] = field(default_factory=list)
    problem: str = ""  # the whole file was refused

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problem

    def summary(self) -> str:
        text = ngettext("%(n)s person imported", "%(n)s people imported", self.created) % {"n": self.created}
        if self.group is not None:
            text += " " + ngettext(
                "(%(m)s added to the group %(group)s)", "(%(m)s added to the group %(group)s)", self.memberships
            ) % {"m": self.memberships, "group": self.group.name}
        return text


def format_of(filename: str) -> str:
    name = (filename or "").lower()
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    raise FileRejected(
        _("Upload an Excel workbook (.xlsx) or a CSV file (.csv); other kinds of file are not accepted.")
    )


def check_upload(filename: str, size: int, content_type: str) -> str:
    """The format of an upload, or :class:`FileRejected` for a wrong extension, type or size."""
    fmt = format_of(filename)
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime not in ACCEPTED_MIME[fmt]:
        raise FileRejected(_("The file says it is %(type)s, not an Excel workbook or a CSV file.") % {"type": mime})
    if size > MAX_BYTES:
        raise FileRejected(_("The file is too large: at most 5 MB is accepted. Split it into several files."))
    if size == 0:
        raise FileRejected(_("The file is empty."))
    return fmt


def too_large_message() -> str:
    return _("The file is too large: at most 5 MB is accepted. Split it into several files.")


class LimitedUploadHandler(FileUploadHandler):
    """First of a request's upload handlers on the import page: stops reading the request as soon
    as it is known to be too large, from its declared length or from the bytes actually streamed
    (a request may not declare its length honestly), and says so in :attr:`stopped`.
    It passes every chunk on to Django's own handlers untouched."""

    def __init__(self, request: Any = None, limit: int = MAX_BYTES) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.stopped = False

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        if content_length > self.limit + UPLOAD_OVERHEAD:
            self.stopped = True

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.stopped:
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.stopped = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


T = TypeVar("T")
Cell = Any  # str, int, float, date, datetime or None

_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")


def _now() -> float:
    return time.monotonic()


def check_workbook_zip(data: bytes) -> None:
    """Refuse a workbook whose zip would be expensive to open, before openpyxl parses anything:
    too many parts, too much once unpacked (all parts, or any one part), or a shared-strings table
    too large or too long. Sizes are checked as the zip declares them, then again by reading each
    part with a bound (a zip can declare sizes it does not have)."""
    unreadable = _("This file could not be read as an Excel workbook (.xlsx).")
    strings_error = _(
        "The workbook holds too much text in its shared strings table: it cannot be read. Split it into several files."
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRejected(unreadable) from exc
    if len(infos) > MAX_MEMBERS:
        raise FileRejected(_("The workbook has too many parts to be a spreadsheet of people."))

    def is_strings(info: zipfile.ZipInfo) -> bool:
        return info.filename.lower().lstrip("/") == "xl/sharedstrings.xml"

    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES or any(i.file_size > MAX_MEMBER_BYTES for i in infos):
        raise FileRejected(too_large_message())  # a "zip bomb": small to upload, huge to open
    if any(is_strings(i) and i.file_size > MAX_SHARED_STRINGS_BYTES for i in infos):
        raise FileRejected(strings_error)
    total = 0
    try:
        for info in infos:
            strings = is_strings(info)
            limit = MAX_SHARED_STRINGS_BYTES if strings else MAX_MEMBER_BYTES
            size = count = 0
            tail = b""
            with archive.open(info) as member:
                while chunk := member.read(1024 * 1024):
                    size += len(chunk)
                    total += len(chunk)
                    if size > limit:
                        raise FileRejected(strings_error if strings else too_large_message())
                    if total > MAX_UNPACKED_BYTES:
                        raise FileRejected(too_large_message())
                    if strings:
                        window = tail + chunk
                        count += len(_SHARED_STRING.findall(window)) - len(_SHARED_STRING.findall(tail))
                        tail = window[-64:]
                        if count > MAX_SHARED_STRINGS:
                            raise FileRejected(strings_error)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise FileRejected(unreadable) from exc


def _xlsx_rows(data: bytes) -> Iterator[list[Cell]]:
    from openpyxl import load_workbook

    if not data.startswith(b"PK\x03\x04"):
        raise FileRejected(_("This file could not be read as an Excel workbook (.xlsx)."))
    check_workbook_zip(data)
    try:
        # data_only=False on purpose: a formula must be seen (and refused), not replaced by its result.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged file
        raise FileRejected(_("This file could not be read as an Excel workbook (.xlsx).")) from exc
    try:
        if not book.worksheets:
            raise FileRejected(_("The workbook has no sheet."))
        sheet = book.worksheets[0]
        try:
            for row in sheet.iter_rows(max_row=MAX_ROWS_READ + 2, max_col=MAX_COLUMNS):
                values: list[Cell] = []
                for cell in row:
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", None) == "f" and not (
                        isinstance(value, str) and value.startswith("=")
                    ):
                        value = "=" + str(value or "")  # array and table formulas: still formulas
                    values.append(value)
                yield values
        except FileRejected:
            raise
        except Exception as exc:
            raise FileRejected(_("This file could not be read as an Excel workbook (.xlsx).")) from exc
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[list[Cell]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            _("The CSV file is not in UTF-8. In Excel choose \u201cSave as\u201d \u2192 \u201cCSV UTF-8\u201d.")
        ) from exc
    if "\x00" in text:
        raise FileRejected(_("This does not look like a CSV file."))
    if any(len(line) > MAX_LINE_CHARS for line in text.splitlines()):
        raise FileRejected(
            _("A line of the CSV file is too long: at most %(max)s characters are accepted.") % {"max": MAX_LINE_CHARS}
        )
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise FileRejected(_("The CSV file is damaged: %(error)s") % {"error": exc}) from exc


def read_table(fmt: str, data: bytes) -> tuple[list[str], list[tuple[int, list[Cell]]]]:
    """(headers, [(row number, cells)]) of the first sheet; at most :data:`MAX_ROWS` data rows.

    Every row read counts, empty ones too: reading stops after :data:`MAX_ROWS_READ` rows, and
    after :data:`PARSE_SECONDS` seconds."""
    if len(data) > MAX_BYTES:
        raise FileRejected(too_large_message())
    too_many = _("The file has more than %(max)s rows (empty rows count too). Split it into several files.") % {
        "max": MAX_ROWS
    }
    deadline = _now() + PARSE_SECONDS
    rows = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data)
    header: list[str] | None = None
    body: list[tuple[int, list[Cell]]] = []
    for number, cells in enumerate(rows, start=1):
        if number > MAX_ROWS_READ + 1:  # the header, then at most MAX_ROWS_READ rows
            raise FileRejected(too_many)
        if _now() > deadline:
            raise FileRejected(_("The file took too long to read. Split it into several files."))
        if header is None:
            header = ["" if c is None else str(c) for c in cells]
            while header and not header[-1].strip():
                header.pop()
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if (
            not body
            and number == 2
            and all(c is None or (isinstance(c, str) and (not c.strip() or c.strip().startswith("#"))) for c in cells)
        ):
            continue  # an HXL hashtag row under the headers
        if len(body) >= MAX_ROWS:
            raise FileRejected(too_many)
        body.append((number, list(cells)))
    if not header:
        raise FileRejected(_("The file has no header row."))
    return header, body


# --- Checking cells ------------------------------------------------------------------------------
def looks_like_formula(text: str) -> bool:
    if not text:
        return False
    if text.startswith(FORMULA_START):
        return True
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in "=+-@"


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_year(value: Cell) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    raise ValueError


def parse_date(value: Cell) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
        raise ValueError
    text = _text(value)
    if text.endswith(" 00:00:00"):
        text = text[: -len(" 00:00:00")]
    if _ISO_DATE.fullmatch(text):
        return dt.date.fromisoformat(text)
    if match := _DOTTED_DATE.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    raise ValueError


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]


@dataclass
class ParsedRow:
    row: int
    sex: str = ""
    birth_year: int | None = None
    age_band: str | None = None
    place: Place | None = None
    sectors: list[Sector] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    personal: PersonalData | None = None
    member_role: str = Membership.Role.MEMBER
    sector: Sector | None = None
    joined: dt.date | None = None
    left: dt.date | None = None
    name_key: str = ""


class RowChecker:
    """Turns one spreadsheet row into a :class:`ParsedRow`, collecting every problem."""

    def __init__(
        self,
        *,
        actor: Any,
        vocab: Vocabulary,
        group: WorkingGroup | None,
        columns: list[str | None],
        today: dt.date,
        default_place: Place | None = None,
    ) -> None:
        self.actor = actor
        self.default_place = default_place  # the place of rows that leave it empty
        self.vocab = vocab
        self.group = group
        self.columns = columns
        self.present = {c for c in columns if c}
        self.today = today

    def label(self, key: str) -> str:
        return str(COLUMN_BY_KEY[key].label)

    def check(self, number: int, cells: list[Cell]) -> tuple[ParsedRow, list[RowError]]:
        errors: list[RowError] = []
        row = ParsedRow(row=number)

        def error(key: str, message: str) -> None:
            errors.append(RowError(number, self.label(key) if key else "", message))

        values: dict[str, Cell] = {}
        for index, value in enumerate(cells):
            key = self.columns[index] if index < len(self.columns) else None
            if key is None:
                if _text(value):
                    errors.append(
                        RowError(
                            number, "", _("There is a value in column %(n)s, which has no header.") % {"n": index + 1}
                        )
                    )
                continue
            if isinstance(value, str):
                if key == "phone":
                    candidate = value[1:] if value.startswith("'+") else value
                    if _PHONE_NUMBER.fullmatch(candidate):
                        values[key] = candidate
                        continue
                if looks_like_formula(value):
                    error(key, _("Formulas are not accepted: write the value itself."))
                    values[key] = None
                    continue
            values[key] = value

        def text(key: str) -> str:
            return _text(values.get(key))

        def ok(key: str) -> bool:
            """No problem found yet in this column of this row."""
            return not any(e.column == self.label(key) for e in errors)

        # Personal data
        personal = PersonalData(**{k: text(k) for k in PERSONAL_KEYS})
        if any(getattr(personal, k) for k in PERSONAL_KEYS) and all(ok(k) for k in PERSONAL_KEYS):
            try:
                row.personal = personal.validated()
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    for message in messages:
                        error(key, message)
        row.name_key = name_key(row.personal.full_name) if row.personal else ""

        # Profile: each column on its own, then the service's own checks (ages, band against year)
        # for whatever could be read, reporting only columns that have no problem yet.
        sex = text("sex")
        if ok("sex"):
            if not sex:
                error("sex", _("Give the sex: female or male."))
            elif norm(sex) in self.vocab.sexes:
                row.sex = self.vocab.sexes[norm(sex)]
            else:
                error("sex", _("Unknown sex %(value)s: write female or male.") % {"value": sex})
        if ok("birth_year") and text("birth_year"):
            try:
                row.birth_year = parse_year(values.get("birth_year"))
            except ValueError:
                error("birth_year", _("Write the year of birth as four digits, for example 1988."))
        band = text("age_band")
        if ok("age_band") and band:
            if norm(band) in self.vocab.age_bands:
                row.age_band = self.vocab.age_bands[norm(band)]
            else:
                error("age_band", _("Unknown age band %(value)s.") % {"value": band})
        place = text("place") or (self.default_place.code if self.default_place else "")
        if ok("place"):
            if not place:
                error("place", _("Give the place."))
            else:
                try:
                    row.place = self.vocab.place(place)
                except ValueError as exc:
                    error("place", str(exc))
                else:
                    if not place_in_scope(self.actor, self.vocab.programme, row.place):
                        error("place", _("You can only record people in your own districts."))
        for _part, found in self._lookup("sectors", text, ok, error, self.vocab.sectors):
            if found is not None and found not in row.sectors:
                row.sectors.append(found)
        for _part, code in self._lookup("languages", text, ok, error, self.vocab.languages):
            if code is not None and code not in row.languages:
                row.languages.append(code)
        year_given = bool(text("birth_year"))
        try:
            validate_profile(
                programme=self.vocab.programme,
                sex=row.sex,
                place=row.place,
                birth_year=row.birth_year,
                age_band=row.age_band,
                languages=row.languages,
                sectors=row.sectors,
                today=self.today,
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                column = key if key in COLUMN_BY_KEY else ""
                if column == "age_band" and not row.age_band and (year_given or "age_band" not in self.present):
                    column = "birth_year"  # "give an age band or a year of birth": about the year column
                if column and not ok(column):
                    continue  # already reported in this column
                if key == "age_band" and not row.age_band and not ok("birth_year"):
                    continue  # a year was given but is wrong: that is the problem to fix
                for message in messages:
                    error(column, message)

        # Membership
        membership_keys = [c.key for c in COLUMNS if c.membership]
        if self.group is None:
            for key in membership_keys:
                if text(key):
                    error(key, _("Choose a target working group to import memberships, or leave this column empty."))
        else:
            self._membership(row, values, text, ok, error)
        return row, errors

    def _lookup(self, key: str, text: Any, ok: Any, error: Any, vocabulary: dict[str, T]) -> list[tuple[str, T | None]]:
        """Each ``;``-separated item of a column with what it names (None when unknown, reported once)."""
        if not ok(key):
            return [("", None)]
        found = [(part, vocabulary.get(norm(part))) for part in split_list(text(key))]
        unknown = [part for part, item in found if item is None]
        if unknown:
            error(key, _("Unknown: %(values)s.") % {"values": "; ".join(unknown)})
        return found

    def _membership(self, row: ParsedRow, values: dict[str, Cell], text: Any, ok: Any, error: Any) -> None:
        role = text("member_role")
        if ok("member_role") and role:
            if norm(role) in self.vocab.member_roles:
                row.member_role = self.vocab.member_roles[norm(role)]
            else:
                error("member_role", _("Unknown role %(value)s: write chair, secretary or member.") % {"value": role})
        represented = text("sector_represented")
        if ok("sector_represented") and represented:
            sector = self.vocab.sectors.get(norm(represented))
            if sector is None:
                error("sector_represented", _("Unknown: %(values)s.") % {"values": represented})
            elif not sector.active:
                error("sector_represented", _("This sector is no longer in use."))
            else:
                row.sector = sector
        for key in ("joined", "left"):
            if ok(key) and text(key):
                try:
                    setattr(row, key, parse_date(values.get(key)))
                except ValueError:
                    error(key, _("Write the date as YYYY-MM-DD, for example 2019-03-08."))
        if ok("joined") and not text("joined"):
            error("joined", _("Give the date the person joined the group."))
        if row.joined and row.left and row.left < row.joined:
            error("left", _("A membership cannot end before it starts."))
        if row.joined and row.joined > self.today + dt.timedelta(days=366):
            error("joined", _("The joining date is too far in the future."))


def _overlap(a: ParsedRow, b: ParsedRow) -> bool:
    if a.joined is None or b.joined is None:
        return False
    return (a.left is None or b.joined <= a.left) and (b.left is None or a.joined <= b.left)


def map_headers(header: list[str]) -> list[str | None]:
    """Column keys in file order (None for a blank header); FileRejected for unknown or repeated
    headers and for missing required columns."""
    labels = header_labels()
    keys: list[str | None] = []
    problems = []
    for index, raw in enumerate(header):
        text = raw.strip()
        if not text:
            keys.append(None)
            continue
        key = labels.get(norm(text))
        if key is None:
            problems.append(_("Column %(n)s: unknown header %(header)s.") % {"n": index + 1, "header": text})
        elif key in keys:
            problems.append(_("Column %(n)s: the column %(header)s appears twice.") % {"n": index + 1, "header": text})
        keys.append(key)
    for column in COLUMNS:
        if column.required and column.key not in keys:
            problems.append(_("The column %(header)s is missing.") % {"header": column.label})
    if "birth_year" not in keys and "age_band" not in keys:
        problems.append(_("Give a column for the year of birth or for the age band."))
    if problems:
        raise FileRejected(" ".join(str(p) for p in problems))
    return keys


def check_rows(
    *,
    actor: Any,
    programme: Programme,
    header: list[str],
    body: list[tuple[int, list[Cell]]],
    group: WorkingGroup | None,
    today: dt.date | None = None,
    default_place: Place | None = None,
) -> tuple[list[ParsedRow], list[RowError]]:
    today = today or timezone.localdate()
    columns = map_headers(header)
    checker = RowChecker(
        actor=actor,
        vocab=Vocabulary.load(programme),
        group=group,
        columns=columns,
        today=today,
        default_place=default_place,
    )
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, ParsedRow] = {}
    name_label = str(COLUMN_BY_KEY["full_name"].label)
    for number, cells in body:
        row, row_errors = checker.check(number, cells)
        if row.name_key:
            earlier = first_seen.get(row.name_key)
            if earlier is None:
                first_seen[row.name_key] = row
            else:
                row_errors.append(
                    RowError(number, name_label, _("The same person is already in row %(row)s.") % {"row": earlier.row})
                )
                if group is not None and _overlap(earlier, row):
                    row_errors.append(
                        RowError(
                            number,
                            str(COLUMN_BY_KEY["joined"].label),
                            _("This membership overlaps the one in row %(row)s.") % {"row": earlier.row},
                        )
                    )
        parsed.append(row)
        errors.extend(row_errors)
    if not body:
        errors.append(RowError(2, "", _("The file has a header row but no people.")))
    return parsed, errors


def import_people(
    *,
    actor: Any,
    programme: Programme,
    filename: str,
    data: bytes,
    content_type: str = "",
    group: WorkingGroup | None = None,
    today: dt.date | None = None,
    default_place: Place | None = None,
) -> ImportResult:
    """Check every row of the file, then create everyone (and their memberships) in one transaction,
    or nothing at all. Rows that leave the place empty take ``default_place``, when given."""
    result = ImportResult(group=group)
    try:
        fmt = check_upload(filename, len(data), content_type)
        if group is not None and (
            group.programme_id != programme.pk or not decide(actor, "workinggroup.change", group)
        ):
            raise FileRejected(_("You cannot add members to this working group."))
        header, body = read_table(fmt, data)
        parsed, errors = check_rows(
            actor=actor,
            programme=programme,
            header=header,
            body=body,
            group=group,
            today=today,
            default_place=default_place,
        )
    except FileRejected as exc:
        result.problem = exc.message
        return result
    if errors:
        result.errors = errors
        return result
    current: ParsedRow | None = None
    try:
        with transaction.atomic():
            for current in parsed:
                person = person_create(
                    actor=actor,
                    programme=programme,
                    sex=current.sex,
                    place=cast(Place, current.place),
                    birth_year=current.birth_year,
                    age_band=current.age_band,
                    sectors=current.sectors,
                    languages=current.languages,
                    personal=current.personal,
                )
                result.created += 1
                if group is not None:
                    membership_add(
                        actor=actor,
                        group=group,
                        person=person,
                        joined_on=cast(dt.date, current.joined),
                        role=current.member_role,
                        sector=current.sector,
                        left_on=current.left,
                    )
                    result.memberships += 1
            audit.record(
                actor=actor,
                action="person.import",
                programme=programme,
                summary={
                    "format": fmt,
                    "rows": result.created,
                    "group": group.pk if group else None,
                    "memberships": result.memberships,
                },
            )
    except ValidationError as exc:  # a check the services make that the rows above did not foresee
        result.created = result.memberships = 0
        row = current.row if current else 0
        messages = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
        for key, texts in messages:
            key = SERVICE_FIELDS.get(key, key)
            label = str(COLUMN_BY_KEY[key].label) if key in COLUMN_BY_KEY else ""
            result.errors.extend(RowError(row, label, str(t)) for t in texts)
    return result


# --- Writing files -------------------------------------------------------------------------------
@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[list[Any]]
    hxl: list[str] | None = None
    bold_rows: set[int] = field(default_factory=set)  # indexes into rows (help sheet section titles)
    notes: list[str] = field(default_factory=list)  # written under the rows, after a blank row


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value:
        stripped = value.lstrip()
        if value.startswith(FORMULA_START) or (stripped and stripped[0] in "=+-@"):
            return "'" + value
    return value


def _cell_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    return neutralise(value)


def write_csv(sheet: Sheet) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell_value(v) for v in sheet.header])
    if sheet.hxl:
        writer.writerow(sheet.hxl)
    for row in sheet.rows:
        writer.writerow([_cell_value(v) for v in row])
    if sheet.notes:
        writer.writerow([])
        writer.writerows([_cell_value(note)] for note in sheet.notes)
    return out.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_TITLE_BAD.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()

    def clean(value: Any) -> Any:
        value = _cell_value(value)
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title, used))
        widths = [len(str(h)) for h in sheet.header]
        for row in sheet.rows[:200]:
            for index, value in enumerate(row[: len(widths)]):
                widths[index] = max(widths[index], min(len(str(value or "")), 60))
        for index, width in enumerate(widths):
            from openpyxl.utils import get_column_letter

            ws.column_dimensions[get_column_letter(index + 1)].width = max(10, width + 2)
        ws.freeze_panes = "A3" if sheet.hxl else "A2"
        header = []
        for value in sheet.header:
            cell = WriteOnlyCell(ws, value=clean(value))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        if sheet.hxl:
            ws.append([clean(v) for v in sheet.hxl])
        for index, row in enumerate(sheet.rows):
            if index in sheet.bold_rows:
                cells = []
                for value in row:
                    cell = WriteOnlyCell(ws, value=clean(value))
                    cell.font = bold
                    cells.append(cell)
                ws.append(cells)
            else:
                ws.append([clean(v) for v in row])
        if sheet.notes:
            ws.append([])
            for note in sheet.notes:
                ws.append([clean(note)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(sheets: Sequence[Sheet], fmt: str) -> bytes:
    """CSV carries the first sheet only."""
    if fmt == "csv":
        return write_csv(sheets[0])
    if fmt == "xlsx":
        return write_xlsx(sheets)
    raise ValueError(fmt)


# --- The import template -------------------------------------------------------------------------
def template_sheets(programme: Programme) -> list[Sheet]:
    """The people sheet (headers in the active language) and a help sheet listing allowed values."""
    data = Sheet(title=_("People"), header=[str(c.label) for c in COLUMNS], rows=[])
    rows: list[list[Any]] = []
    bold: set[int] = set()

    def section(title: str, *headings: str) -> None:
        if rows:
            rows.append([])
        bold.add(len(rows))
        rows.append([title, *headings])

    section(_("Columns"), _("Key"), _("Required"), _("Notes"))
    for column in COLUMNS:
        rows.append([str(column.label), column.key, _("yes") if column.required else "", str(column.help)])
    section(_("General rules"))
    for rule in (
        _("One row per person, from row 2 on. Headers may be in Tajik, Russian or English, or the keys above."),
        _("Every row is checked first: if one row has a problem, nothing is imported and every problem is listed."),
        _("Values that begin with = + - or @ are refused as formulas; a phone number may begin with +."),
        _("At most %(rows)s rows and 5 MB per file. CSV files must be saved as UTF-8.") % {"rows": MAX_ROWS},
        _("Dates: YYYY-MM-DD (for example 2019-03-08), DD.MM.YYYY, or a date cell."),
    ):
        rows.append([rule])
    section(_("Sexes"), _("Code"))
    for value, label in Sex.choices:
        rows.append([str(label), value])
    section(_("Age bands"), _("Code"))
    for value, label in AgeBand.choices:
        rows.append([str(label), value])
    section(_("Sectors"), _("Code"))
    for sector in Sector.objects.filter(active=True):
        rows.append([sector.name, sector.code])
    section(_("Places"), _("Code"), _("Level"), _("Part of"))
    tree = sorted(programme_place_tree(programme), key=lambda p: p.path)
    names = {p.pk: p.name for p in tree}
    for place in tree:
        if place.level in (Place.Level.COUNTRY, Place.Level.REGION):
            continue
        rows.append([place.name, place.code, place.get_level_display(), names.get(place.parent_id or 0, "")])
    section(_("Languages"), _("Code"))
    for value, label in Language.choices:
        rows.append([str(label), value])
    section(_("Roles in a working group"), _("Code"))
    for value, label in Membership.Role.choices:
        rows.append([str(label), value])
    return [data, Sheet(title=_("Help"), header=[_("How to fill in the sheet")], rows=rows, bold_rows=bold)]


# --- Exports -------------------------------------------------------------------------------------
def _district_of(path: str, locations: Sequence[Place]) -> Place | None:
    for location in locations:
        if path.startswith(location.path):
            return location
    return None


EXPORT_FILTERS = PEOPLE_FILTERS


def people_sheet(
    *, actor: Any, programme: Programme, filters: dict[str, str] | None = None, today: dt.date | None = None
) -> Sheet:
    """Row-level export of the people ``actor`` may see; a fixed number of queries."""
    today = today or timezone.localdate()
    locations = sorted(programme_places(programme), key=lambda p: -len(p.path))
    groups = WorkingGroup.objects.visible_to(actor).filter(programme=programme).values("pk")
    visible = Person.objects.visible_to(actor).filter(programme=programme, merged_into__isnull=True)
    people = list(
        filter_people(actor=actor, programme=programme, queryset=visible, filters=filters or {}, today=today)
        .select_related("place")
        .prefetch_related(
            Prefetch("sectors", queryset=Sector.objects.order_by("order", "code")),
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(active_on(today), group__in=groups)
                .select_related("group")
                .order_by("group__name"),
                to_attr="current_memberships",
            ),
        )
        .order_by("code")
    )
    allowed = [p for p in people if decide(actor, "person.view_personal_data", p)]
    personal = (
        vault_get_many(actor=actor, subject_keys=[p.vault_key for p in allowed], purpose="export") if allowed else {}
    )
    sexes, bands = dict(Sex.choices), dict(AgeBand.choices)
    rows = []
    for person in people:
        district = _district_of(person.place.path, locations)
        data = personal.get(person.vault_key)
        rows.append(
            [
                person.code,
                str(sexes.get(person.sex, person.sex)),
                str(bands.get(person.age_band, person.age_band)),
                district.name if district else "",
                person.place.code,
                person.place.name,
                "; ".join(s.name for s in person.sectors.all()),
                "; ".join(dict.fromkeys(m.group.name for m in person.current_memberships)),
                data.full_name if data else "",
                data.phone if data else "",
            ]
        )
    return Sheet(
        title=_("People"),
        header=[
            _("Code"),
            _("Sex"),
            _("Age band"),
            _("District"),
            _("Place code"),
            _("Place"),
            _("Sectors"),
            _("Working groups"),
            _("Full name"),
            _("Phone"),
        ],
        hxl=[
            "#person+code",
            "#gender",
            "#age+band",
            "#adm2+name",
            "#loc+code",
            "#loc+name",
            "#sector",
            "#group+name",
            "#contact+name",
            "#contact+phone",
        ],
        rows=rows,
    )


def groups_sheet(*, actor: Any, programme: Programme, today: dt.date | None = None) -> Sheet:
    today = today or timezone.localdate()
    groups = list(
        WorkingGroup.objects.visible_to(actor)
        .filter(programme=programme)
        .select_related("district")
        .order_by("district__path", "name")
    )
    balances = balance_by_group(programme, groups, today)
    kinds, statuses = dict(WorkingGroup.Kind.choices), dict(WorkingGroup.Status.choices)
    rows = []
    for group in groups:
        balance = balances[group.pk]
        rows.append(
            [
                group.name,
                str(kinds.get(group.kind, group.kind)),
                group.district.name,
                group.district.code,
                str(statuses.get(group.status, group.status)),
                balance.members,
                balance.women,
                "; ".join(s.name for s in balance.missing_sectors),
            ]
        )
    return Sheet(
        title=_("Working groups"),
        header=[
            _("Name"),
            _("Kind"),
            _("District"),
            _("District code"),
            _("Status"),
            _("Members now"),
            _("Women now"),
            _("Missing sectors"),
        ],
        hxl=[
            "#group+name",
            "#group+type",
            "#adm2+name",
            "#adm2+code",
            "#status",
            "#population+members+num",
            "#population+members+f+num",
            "#sector+missing",
        ],
        rows=rows,
    )


def _safe_table(counts: list[list[int]], rows: list[str], columns: list[str]) -> SafeTable:
    try:
        return protect(counts, rows, columns)
    except DisclosureError:
        return protect(counts, rows, columns, show_totals=False)


def _aggregate_sheet(title: str, table: SafeTable, hxl_measure: str) -> Sheet:
    lines = table.as_rows(total_label=_("Total"), corner=_("District"))
    hxl = ["#adm2+name", f"{hxl_measure}+f", f"{hxl_measure}+m"]
    if table.has_totals:
        hxl.append(f"{hxl_measure}+total")

    def value(cell: str) -> Any:
        return int(cell) if cell.isdigit() else cell

    rows = [[line[0], *(value(c) for c in line[1:])] for line in lines[1:]]
    note = _("<5: hidden to protect small numbers; some hidden cells are larger.")
    return Sheet(title=title, header=lines[0], hxl=hxl, rows=rows, notes=[note])


def _sex_index(sex: str) -> int | None:
    return {"female": 0, "male": 1}.get(sex)


def people_aggregate_sheet(*, programme: Programme) -> Sheet:
    """People by district x sex for donors: never finer than district, small counts suppressed."""
    locations = programme_places(programme)
    by_length = sorted(locations, key=lambda p: -len(p.path))
    counts = [[0, 0] for _ in locations]
    index = {loc.pk: i for i, loc in enumerate(locations)}
    rows = (
        Person.objects.filter(programme=programme, merged_into__isnull=True)
        .values_list("place__path", "sex")
        .order_by()
    )
    for path, sex in rows:
        district = _district_of(path, by_length)
        column = _sex_index(sex)
        if district is not None and column is not None:
            counts[index[district.pk]][column] += 1
    table = _safe_table(counts, [loc.name for loc in locations], [str(label) for _v, label in Sex.choices])
    return _aggregate_sheet(_("People by district and sex"), table, "#population")


def members_aggregate_sheet(*, programme: Programme, today: dt.date | None = None) -> Sheet:
    """Members of working groups now, by the group's district x sex (each person once per district)."""
    today = today or timezone.localdate()
    locations = programme_places(programme)
    by_length = sorted(locations, key=lambda p: -len(p.path))
    index = {loc.pk: i for i, loc in enumerate(locations)}
    seen: list[list[set[int]]] = [[set(), set()] for _ in locations]
    rows = (
        Membership.objects.filter(active_on(today), group__programme=programme, person__merged_into__isnull=True)
        .values_list("group__district__path", "person_id", "person__sex")
        .order_by()
    )
    for path, person_id, sex in rows:
        district = _district_of(path, by_length)
        column = _sex_index(sex)
        if district is not None and column is not None:
            seen[index[district.pk]][column].add(person_id)
    counts = [[len(s) for s in line] for line in seen]
    table = _safe_table(counts, [loc.name for loc in locations], [str(label) for _v, label in Sex.choices])
    return _aggregate_sheet(_("Working-group members by district and sex"), table, "#reached")


def record_export(
    *,
    actor: Any,
    programme: Programme,
    action: str,
    fmt: str,
    rows: int,
    aggregate: bool,
    filters: dict[str, str] | None = None,
) -> None:
    """Every export is audited: who, when, which format, how many rows, aggregate or not."""
    summary: dict[str, Any] = {"format": fmt, "rows": rows, "aggregate": aggregate}
    if filters:
        summary["filters"] = filters
    audit.record(
        actor=actor,
        action=action,
        programme=programme,
        object_type="programmes.programme",
        object_id=str(programme.pk),
        object_repr=programme.code,
        summary=summary,
    )
