"""Import people from a spreadsheet, on the kit's import driver (:mod:`hamkori.kit.imports`).

Row 1 holds the column headers: the machine keys of :func:`columns` (``full_name``, ``sex`` ...) or
their labels in Tajik, Russian or English, in any order and any mix; unknown headers are refused. A
row of HXL hashtags directly under the headers is skipped. Every other non-empty row is one new
person. Multi-valued cells (sectors, languages) are separated by ``;``. Dates are ``YYYY-MM-DD``
text, ``DD.MM.YYYY`` text, or real spreadsheet dates.

Every row is checked before anything is written; one bad row and nothing is imported. When all rows
pass, the rows are compared with the register (:func:`person_find_duplicates`, among the people the
user may see: the same person in Cyrillic and Latin) and with one another (names alike, not the
same: the same name twice is a problem of the file). Rows with likely duplicates stop the import:
nothing is written, and the user chooses per row "the same person as ..." (a person of the register,
or an earlier row) or "a new person", and sends the file again with the choices
(:func:`import_people`'s ``decisions``, honoured only for the same file, by its sha256, and only
when they name a candidate found again now). Then one transaction writes every row: a new person
through :func:`person_create`; a row that is someone already registered creates nobody and, when
the import targets a working group, adds that person to it; a row that repeats an earlier row is
left out.

**An app above people adds a step** with :func:`register_step` (the groups app: "add everyone to this
working group", with the membership columns). People never imports it: the step brings its columns,
its form field, its row checks and its write, called after each person is created.

The phone column accepts a value that is *only* a phone number starting with ``+`` (``+``, then
digits, spaces and ``( ) -``, at least one digit): a legitimate international number, not a formula.
Our own exports write such a cell as ``'+992 ...``; the apostrophe is dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext, override
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from hamkori.core import audit
from hamkori.core.text import name_key
from hamkori.kit.imports import Column, Importer, ImportResult, RowContext, RowError, map_headers, run_import
from hamkori.kit.spreadsheets import MAX_ROWS, Cell, Sheet, norm, parse_date, parse_year, split_list
from hamkori.people.models import AgeBand, Consent, Language, Person, Sector, Sex
from hamkori.people.services import person_create, person_find_duplicates, place_in_scope, validate_profile
from hamkori.people.vocabulary import Vocabulary, programme_place_tree
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData

T = TypeVar("T")
_PHONE_NUMBER = re.compile(r"\+[0-9 ()\-]*[0-9][0-9 ()\-]*")

PERSON_COLUMNS: tuple[Column, ...] = (
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
        "consent_given_on",
        gettext_lazy("consent to take part given on"),
        gettext_lazy("The date the person agreed to take part, for example 2019-03-15. Leave empty if not yet."),
    ),
    Column(
        "consent_method",
        gettext_lazy("consent given how"),
        gettext_lazy("With a consent date: written, verbal or digital."),
    ),
)
PERSON_ALIASES = {"name": "full_name"}
PERSONAL_KEYS = ("full_name", "phone", "email", "address")


# --- The step an app above people adds -------------------------------------------------------------
class ImportStep(Protocol):
    """What an app adds to the people import (see :mod:`hamkori.groups.importers`)."""

    field_name: str  # the import form's field choosing the target ("group")
    columns: tuple[Column, ...]
    aliases: dict[str, str]
    service_fields: dict[str, str]  # the services' field names -> column keys

    def form_field(self, user: Any, programme: Programme) -> forms.Field: ...
    def preflight(self, actor: Any, programme: Programme, target: Any) -> None: ...
    def row_checker(
        self, *, target: Any, sectors: dict[str, Sector], today: dt.date
    ) -> Callable[[RowContext], Any]: ...
    def conflicts(self, earlier: Any, later: Any) -> list[tuple[str, str]]: ...
    def write(self, *, actor: Any, target: Any, person: Person, data: Any) -> None: ...
    def audit(self, target: Any, written: int) -> dict[str, Any]: ...
    def summary(self, target: Any, written: int) -> str: ...
    def help_sections(self) -> list[tuple[str, list[str], list[list[Any]]]]: ...


_STEPS: list[ImportStep] = []


def register_step(step: ImportStep) -> None:
    """Called from an app's ``AppConfig.ready``; at most one step."""
    _STEPS[:] = [step]


def import_step() -> ImportStep | None:
    return _STEPS[0] if _STEPS else None


def columns() -> tuple[Column, ...]:
    step = import_step()
    return PERSON_COLUMNS + (step.columns if step else ())


def aliases() -> dict[str, str]:
    step = import_step()
    return {**(step.aliases if step else {}), **PERSON_ALIASES}


# --- Checking rows -------------------------------------------------------------------------------
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
    consents: list[tuple[str, dt.date, str, str]] = field(default_factory=list)  # as person_create takes them
    name_key: str = ""
    step: Any = None  # what the registered step read from the row
    same_as: Person | None = None  # the user said: this row is this person of the register
    repeats: int | None = None  # the user said: this row is the person of that earlier row

    @property
    def full_name(self) -> str:
        return self.personal.full_name if self.personal else ""

    @property
    def sex_label(self) -> str:
        return str(Sex(self.sex).label) if self.sex in Sex.values else self.sex


def consent_methods() -> dict[str, str]:
    """How a consent was given, as a sheet may say it: the code or the name in tg, ru or en."""
    found = {norm(value): value for value in Consent.Method.values}
    for language in ("tg", "ru", "en"):
        with override(language):
            for value, label in Consent.Method.choices:
                found[norm(str(label))] = value
                found.setdefault(norm(str(label).split(",")[0]), value)  # "Verbal, witnessed": "verbal" too
    return found


def _accept_phone(key: str, value: str) -> str | None:
    if key == "phone":
        candidate = value[1:] if value.startswith("'+") else value
        if _PHONE_NUMBER.fullmatch(candidate):
            return candidate
    return None


class RowChecker:
    """Turns one spreadsheet row into a :class:`ParsedRow`, collecting every problem."""

    def __init__(
        self,
        *,
        actor: Any,
        vocab: Vocabulary,
        keys: list[str | None],
        today: dt.date,
        step_check: Any,
        default_place: Place | None = None,
    ) -> None:
        self.actor = actor
        self.default_place = default_place  # the place of rows that leave it empty
        self.vocab = vocab
        self.keys = keys
        self.present = {c for c in keys if c}
        self.today = today
        self.step_check = step_check
        self.labels = {c.key: str(c.label) for c in columns()}

    def check(self, number: int, cells: list[Cell]) -> tuple[ParsedRow, list[RowError]]:
        row = ParsedRow(row=number)
        ctx = RowContext(number, self.labels)
        ctx.read(cells, self.keys, accept=_accept_phone)
        text, ok, error = ctx.text, ctx.ok, ctx.error

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
                row.birth_year = parse_year(ctx.values.get("birth_year"))
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
        for found in self._lookup(ctx, "sectors", self.vocab.sectors):
            if found is not None and found not in row.sectors:
                row.sectors.append(found)
        for code in self._lookup(ctx, "languages", self.vocab.languages):
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
                column = key if key in self.labels else ""
                if column == "age_band" and not row.age_band and (year_given or "age_band" not in self.present):
                    column = "birth_year"  # "give an age band or a year of birth": about the year column
                if column and not ok(column):
                    continue  # already reported in this column
                if key == "age_band" and not row.age_band and not ok("birth_year"):
                    continue  # a year was given but is wrong: that is the problem to fix
                for message in messages:
                    error(column, message)
        self._consent(ctx, row)
        if self.step_check is not None:
            row.step = self.step_check(ctx)
        return row, ctx.errors

    def _consent(self, ctx: RowContext, row: ParsedRow) -> None:
        """A participation consent recorded with the person (same transaction), when a date is given."""
        given, method = ctx.text("consent_given_on"), ctx.text("consent_method")
        if not (ctx.ok("consent_given_on") and ctx.ok("consent_method")) or not (given or method):
            return
        try:
            given_on = parse_date(ctx.values.get("consent_given_on")) if given else None
        except ValueError:
            ctx.error("consent_given_on", _("Write the date as 2019-03-15."))
            return
        if given_on is None:
            ctx.error("consent_given_on", _("Give the date of the consent."))
            return
        if given_on > self.today:
            ctx.error("consent_given_on", _("Consent cannot be given in the future."))
            return
        found = consent_methods().get(norm(method)) if method else None
        if found is None:
            ctx.error("consent_method", _("Say how the consent was given: written, verbal or digital."))
            return
        language = (get_language() or "").split("-")[0]
        language = language if language in Language.values else (row.languages[:1] or ["tg"])[0]
        row.consents = [(Consent.Purpose.PARTICIPATION, given_on, found, language)]

    def _lookup(self, ctx: RowContext, key: str, vocabulary: dict[str, T]) -> list[T | None]:
        """What each ``;``-separated item of a column names (None when unknown, reported once)."""
        if not ctx.ok(key):
            return [None]
        found = [(part, vocabulary.get(norm(part))) for part in split_list(ctx.text(key))]
        unknown = [part for part, item in found if item is None]
        if unknown:
            ctx.error(key, _("Unknown: %(values)s.") % {"values": "; ".join(unknown)})
        return [item for _part, item in found]


def _more_header_problems(keys: list[str | None]) -> list[str]:
    if "birth_year" not in keys and "age_band" not in keys:
        return [_("Give a column for the year of birth or for the age band.")]
    return []


def check_rows(
    *, actor: Any, programme: Programme, header: list[str], body: list[tuple[int, list[Cell]]], target: Any,
    today: dt.date | None = None, default_place: Place | None = None,
) -> tuple[list[ParsedRow], list[RowError]]:  # fmt: skip
    today = today or timezone.localdate()
    step = import_step()
    keys = map_headers(header, columns(), aliases(), _more_header_problems)
    vocab = Vocabulary.load(programme)
    step_check = step.row_checker(target=target, sectors=vocab.sectors, today=today) if step else None
    checker = RowChecker(
        actor=actor, vocab=vocab, keys=keys, today=today, step_check=step_check, default_place=default_place
    )
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, ParsedRow] = {}
    for number, cells in body:
        row, row_errors = checker.check(number, cells)
        if row.name_key:
            earlier = first_seen.get(row.name_key)
            if earlier is None:
                first_seen[row.name_key] = row
            else:
                message = _("The same person is already in row %(row)s.") % {"row": earlier.row}
                row_errors.append(RowError(number, checker.labels["full_name"], message))
                if step is not None and target is not None:
                    for key, text in step.conflicts(earlier.step, row.step):
                        row_errors.append(RowError(number, checker.labels[key], text % {"row": earlier.row}))
        parsed.append(row)
        errors.extend(row_errors)
    if not body:
        errors.append(RowError(2, "", _("The file has a header row but no people.")))
    return parsed, errors


# --- Likely duplicates ----------------------------------------------------------------------------
DUPLICATE_THRESHOLD = 80  # as on the registration form
BUCKET_CAP = 50  # earlier rows compared per shared name token


@dataclass(frozen=True)
class Match:
    """A likely duplicate of a row: a person of the register or an earlier row of the file."""

    score: int
    full_name: str = ""  # empty when the user may not see it
    person: Person | None = None
    row: ParsedRow | None = None

    @property
    def value(self) -> str:
        """The choice "the same person as this one", as the form sends it."""
        return f"p{self.person.pk}" if self.person is not None else f"r{self.row.row if self.row else 0}"


@dataclass
class Review:
    """A row with likely duplicates, waiting for the user's choice."""

    row: int
    parsed: ParsedRow
    matches: list[Match]
    choice: str = ""  # what the user chose before, if anything


def likely_duplicates(*, actor: Any, programme: Programme, rows: list[ParsedRow]) -> dict[int, list[Match]]:
    """{row number: matches} for the rows that may be someone already registered (among the people
    ``actor`` may see) or the person of an earlier row (names alike but not the same; rows sharing a
    name token are compared, at most :data:`BUCKET_CAP` earlier rows per token)."""
    found: dict[int, list[Match]] = defaultdict(list)
    for row in rows:
        if row.full_name:
            for c in person_find_duplicates(actor=actor, programme=programme, full_name=row.full_name, limit=3):
                found[row.row].append(Match(score=c.score, full_name=c.full_name, person=c.person))
    buckets: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in rows:
        if not row.name_key:
            continue
        tokens = set(row.name_key.split())
        compared: set[int] = set()
        for token in tokens:
            for earlier in buckets[token][:BUCKET_CAP]:
                if earlier.row in compared:
                    continue
                compared.add(earlier.row)
                score = int(fuzz.token_sort_ratio(row.name_key, earlier.name_key))
                if score >= DUPLICATE_THRESHOLD:
                    found[row.row].append(Match(score=score, full_name=earlier.full_name, row=earlier))
        for token in tokens:
            buckets[token].append(row)
    return {number: sorted(m, key=lambda m: -m.score) for number, m in found.items()}


def apply_decisions(rows: list[ParsedRow], found: dict[int, list[Match]], decisions: Mapping[int, str]) -> list[Review]:
    """Mark the rows the user decided about; every flagged row (with its choice) when one is still
    undecided, or names no candidate found now; else nothing."""
    by_number = {row.row: row for row in rows}
    reviews, undecided = [], False
    for number, matches in sorted(found.items()):
        row, choice = by_number[number], decisions.get(number, "")
        reviews.append(Review(row=number, parsed=row, matches=matches, choice=choice))
        picked = next((m for m in matches if m.value == choice), None)
        if choice == "new":
            continue
        if picked is None:
            undecided = True
        elif picked.person is not None:
            row.same_as = picked.person
        elif picked.row is not None:
            row.repeats = picked.row.row
    return reviews if undecided else []


# --- Importing -----------------------------------------------------------------------------------
@dataclass
class PeopleImport(ImportResult):
    target: Any = None  # what the registered step adds everyone to (a working group)
    step_written: int = 0
    matched: int = 0  # rows that were someone already registered

    def summary(self) -> str:
        text = ngettext("%(n)s person imported", "%(n)s people imported", self.created) % {"n": self.created}
        if self.matched:
            text += ", " + ngettext("%(n)s already registered", "%(n)s already registered", self.matched) % {
                "n": self.matched
            }
        step = import_step()
        if self.target is not None and step is not None:
            text += " " + step.summary(self.target, self.step_written)
        return text


def import_people(
    *, actor: Any, programme: Programme, filename: str, data: bytes, content_type: str = "", target: Any = None,
    today: dt.date | None = None, default_place: Place | None = None, decisions: Mapping[int, str] | None = None,
    decisions_for: str = "",
) -> PeopleImport:  # fmt: skip
    """Check every row of the file and look for likely duplicates, then create everyone (and what the
    registered step adds, such as memberships) in one transaction, or nothing at all. Rows that leave
    the place empty take ``default_place``, when given.

    ``decisions`` ({row number: "new", "p<person pk>" or "r<row number>"}) are the user's choices for
    the rows with likely duplicates; they count only when ``decisions_for`` is the file's sha256."""
    step = import_step()
    written = matched = 0
    chosen = (decisions or {}) if decisions_for == hashlib.sha256(data).hexdigest() else {}

    def review(rows: list[ParsedRow]) -> list[Any]:
        return apply_decisions(rows, likely_duplicates(actor=actor, programme=programme, rows=rows), chosen)

    def write(row: ParsedRow) -> bool:
        nonlocal written, matched
        if row.repeats is not None:
            return False  # the person of an earlier row
        if row.same_as is not None:
            matched += 1
            if step is not None and target is not None:
                step.write(actor=actor, target=target, person=row.same_as, data=row.step)
                written += 1
            return False
        person = person_create(
            actor=actor,
            programme=programme,
            sex=row.sex,
            place=cast(Place, row.place),
            birth_year=row.birth_year,
            age_band=row.age_band,
            sectors=row.sectors,
            languages=row.languages,
            personal=row.personal,
            consents=row.consents,
        )
        if step is not None and target is not None:
            step.write(actor=actor, target=target, person=person, data=row.step)
            written += 1
        return True

    def finish(fmt: str, created: int) -> None:
        summary = {"format": fmt, "rows": created, "matched": matched} | (step.audit(target, written) if step else {})
        audit.record(actor=actor, action="person.import", programme=programme, summary=summary)

    importer: Importer[ParsedRow] = Importer(
        check=lambda header, body: check_rows(
            actor=actor,
            programme=programme,
            header=header,
            body=body,
            target=target,
            today=today,
            default_place=default_place,
        ),
        write=write,
        finish=finish,
        row_of=lambda row: row.row,
        labels={c.key: str(c.label) for c in columns()},
        service_fields=step.service_fields if step else {},
        preflight=(lambda: step.preflight(actor, programme, target)) if step and target is not None else None,
        review=review,
    )
    outcome = run_import(importer, filename=filename, data=data, content_type=content_type)
    result = PeopleImport(
        created=outcome.created,
        errors=outcome.errors,
        problem=outcome.problem,
        review=outcome.review,
        sha256=outcome.sha256,
        target=target,
    )
    result.step_written = written if outcome.ok else 0
    result.matched = matched if outcome.ok else 0
    return result


# --- The import template -------------------------------------------------------------------------
def template_sheets(programme: Programme) -> list[Sheet]:
    """The people sheet (headers in the active language) and a help sheet listing allowed values."""
    data = Sheet(title=_("People"), header=[str(c.label) for c in columns()], rows=[])
    rows: list[list[Any]] = []
    bold: set[int] = set()

    def section(title: str, *headings: str) -> None:
        if rows:
            rows.append([])
        bold.add(len(rows))
        rows.append([title, *headings])

    section(_("Columns"), _("Key"), _("Required"), _("Notes"))
    for column in columns():
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
    step = import_step()
    for title, headings, lines in step.help_sections() if step is not None else []:
        section(title, *headings)
        rows.extend(lines)
    return [data, Sheet(title=_("Help"), header=[_("How to fill in the sheet")], rows=rows, bold_rows=bold)]
