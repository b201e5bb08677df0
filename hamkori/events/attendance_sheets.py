"""The attendance workbook of an event (issue 15, part 2): a template pre-filled with the people expected,
and its import back, on the kit (:func:`hamkori.kit.imports.run_import`).

A row names a person by **code** (as the template writes it), or by **full name** (and year of birth)
for someone the template did not list: the name is looked up in the people register the way the
people import looks for duplicates (:func:`hamkori.people.services.person_find_duplicates`, across
Cyrillic and Latin, among the people the user may see). As in the people import, rows that may be
someone registered stop the import, nothing is written, and the user chooses per row "the same person
as ..." or "not in the register" and sends the same file again (decisions honoured only for the same
file, by its sha256, and only when they name a candidate found again). An attendance sheet creates
nobody: a code or name that matches no one, and "not in the register", are row errors.

Every row is checked first; one problem and nothing is saved. The rows are then **added** to the
event's participants (those already recorded stay; a row for one of them updates their role and
organisation when it gives them), or, when the user ticks "replace", they become the whole list,
through :func:`hamkori.events.attendance.attendance_save`. Audited as ``event.attendance_import``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hamkori.access.policy import enforce
from hamkori.core import audit
from hamkori.events.attendance import Entry, _open_for_attendance, attendance_save
from hamkori.events.models import Attendance, AttendeeRole, Event
from hamkori.events.sheets import expected_people
from hamkori.kit.imports import Column, Importer, ImportResult, RowContext, RowError, map_headers, run_import
from hamkori.kit.spreadsheets import FileRejected, Sheet, norm, parse_year
from hamkori.kit.spreadsheets import render as render_sheets
from hamkori.orgs.models import Organisation
from hamkori.people.models import Person
from hamkori.people.services import person_find_duplicates

COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        gettext_lazy("person code"),
        gettext_lazy(
            "The person's code in the register (as printed on the sign-in sheet). Or leave it empty and give the full name."
        ),
    ),
    Column(
        "full_name",
        gettext_lazy("full name"),
        gettext_lazy("For someone without a code on the sheet: the name is looked up in the register."),
    ),
    Column("birth_year", gettext_lazy("year of birth"), gettext_lazy("Helps to find the right person by name.")),
    Column(
        "role", gettext_lazy("role"), gettext_lazy("Optional. The role in which the person took part: see the list.")
    ),
    Column(
        "organisation",
        gettext_lazy("organisation"),
        gettext_lazy("Optional. The organisation the person represented: its name or short name."),
    ),
)
ALIASES = {"code": "code", "name": "full_name"}
#: Empty rows written under the people expected, for the others who come.
EMPTY_ROWS = 20
#: Candidates offered for a row given by name.
CANDIDATES = 3


@dataclass(frozen=True)
class Match:
    score: int
    person: Person
    full_name: str = ""

    @property
    def value(self) -> str:
        return f"p{self.person.pk}"


@dataclass
class ParsedRow:
    row: int
    person: Person | None = None
    full_name: str = ""
    birth_year: int | None = None
    role: int | None = None
    organisation: int | None = None
    matches: list[Match] = field(default_factory=list)


@dataclass
class Review:
    """A row given by name, waiting for the user's choice."""

    row: int
    parsed: ParsedRow
    matches: list[Match]
    choice: str = ""


@dataclass
class AttendanceImport(ImportResult):
    added: int = 0
    kept: int = 0
    replace: bool = False

    def summary(self) -> str:
        text = ngettext("%(n)s participant imported", "%(n)s participants imported", self.created) % {"n": self.created}
        if self.added != self.created:
            text += ", " + ngettext("%(n)s new", "%(n)s new", self.added) % {"n": self.added}
        return text


def _role_map(event: Event) -> dict[str, int]:
    found: dict[str, int] = {}
    roles = list(AttendeeRole.objects.filter(programme_id=event.programme_id, active=True))
    for role in roles:
        for text in (role.code, role.name_tg, role.name_ru, role.name_en):
            if text:
                found.setdefault(norm(text), role.pk)
    return found


def _org_map() -> dict[str, int]:
    found: dict[str, int] = {}
    for org in Organisation.objects.only("pk", "name_tg", "name_ru", "name_en", "short_name"):
        for text in (org.short_name, org.name_tg, org.name_ru, org.name_en):
            if text:
                found.setdefault(norm(text), org.pk)
    return found


def _check(
    *, actor: Any, event: Event, header: list[str], body: list[tuple[int, list[Any]]],
    decisions: Mapping[int, str] | None = None,
) -> tuple[list[ParsedRow], list[RowError]]:  # fmt: skip
    keys = map_headers(header, COLUMNS, ALIASES)
    if "code" not in keys and "full_name" not in keys:
        raise FileRejected(_("Give a column for the person code or for the full name."))
    labels = {c.key: str(c.label) for c in COLUMNS}
    roles, orgs = _role_map(event), _org_map()
    contexts = []
    for number, cells in body:
        ctx = RowContext(number, labels)
        ctx.read(cells, keys)
        contexts.append(ctx)
    codes = {ctx.text("code").upper() for ctx in contexts if ctx.text("code")}
    people_qs = Person.objects.visible_to(actor) if actor is not None else Person.objects.all()
    by_code = {
        p.code.upper(): p
        for p in people_qs.filter(programme_id=event.programme_id, merged_into__isnull=True, code__in=codes)
    } if codes else {}  # fmt: skip
    parsed: list[ParsedRow] = []
    errors: list[RowError] = []
    first_row: dict[int, int] = {}
    for ctx in contexts:
        row = ParsedRow(row=ctx.number)
        code, name = ctx.text("code"), ctx.text("full_name")
        if ctx.ok("birth_year") and ctx.text("birth_year"):
            try:
                row.birth_year = parse_year(ctx.values.get("birth_year"))
            except ValueError:
                ctx.error("birth_year", _("Write the year of birth as four digits, for example 1988."))
        if code and ctx.ok("code"):
            row.person = by_code.get(code.upper())
            if row.person is None:
                ctx.error(
                    "code",
                    _("No one with the code %(code)s in the programme's register (or not in your districts).")
                    % {"code": code[:40]},
                )
        elif name and ctx.ok("full_name"):
            row.full_name = name[:200]
            found = person_find_duplicates(
                actor=actor, programme=event.programme, full_name=row.full_name, limit=CANDIDATES + 2
            )
            if row.birth_year is not None:
                found = [c for c in found if c.person.birth_year in (None, row.birth_year)]
            row.matches = [Match(score=c.score, person=c.person, full_name=c.full_name) for c in found[:CANDIDATES]]
            if row.matches and (decisions or {}).get(row.row) == "none":
                ctx.error(
                    "full_name",
                    _("You said %(name)s is not in the register: register the person first.") % {"name": row.full_name},
                )
            elif not row.matches:
                ctx.error(
                    "full_name",
                    _("No one in the register matches %(name)s: register the person first, or give their code.")
                    % {"name": row.full_name},
                )
        elif ctx.ok("code") and ctx.ok("full_name"):
            ctx.error("code", _("Give the person code or the full name."))
        role, org = ctx.text("role"), ctx.text("organisation")
        if role and ctx.ok("role"):
            row.role = roles.get(norm(role))
            if row.role is None:
                ctx.error("role", _("Unknown role %(value)s: see the list of roles.") % {"value": role[:60]})
        if org and ctx.ok("organisation"):
            row.organisation = orgs.get(norm(org))
            if row.organisation is None:
                ctx.error("organisation", _("Unknown organisation %(value)s.") % {"value": org[:80]})
        if row.person is not None:
            earlier = first_row.get(row.person.pk)
            if earlier is None:
                first_row[row.person.pk] = row.row
            else:
                ctx.error("code", _("The same person is already in row %(row)s.") % {"row": earlier})
        parsed.append(row)
        errors.extend(ctx.errors)
    if not body:
        errors.append(RowError(2, "", _("The file has a header row but no people.")))
    return parsed, errors


def _apply_decisions(rows: list[ParsedRow], decisions: Mapping[int, str]) -> list[Review]:
    """Rows given by name: every one (with its choice) while one is undecided or names no candidate
    found now; else nothing (each row then has its person)."""
    reviews, undecided = [], False
    for row in rows:
        if row.person is not None or not row.matches:
            continue
        choice = decisions.get(row.row, "")
        reviews.append(Review(row=row.row, parsed=row, matches=row.matches, choice=choice))
        picked = next((m for m in row.matches if m.value == choice), None)
        if picked is None:
            undecided = True
        else:
            row.person = picked.person
    return reviews if undecided else []


def import_attendance(
    *, actor: Any, event: Event, filename: str, data: bytes, content_type: str = "", replace: bool = False,
    decisions: Mapping[int, str] | None = None, decisions_for: str = "",
) -> AttendanceImport:  # fmt: skip
    """Check every row, settle the rows given by name with the user's decisions, then save the list
    (added to the current participants, or replacing them) in one transaction, or nothing at all."""
    chosen = (decisions or {}) if decisions_for == hashlib.sha256(data).hexdigest() else {}
    labels = {c.key: str(c.label) for c in COLUMNS}
    entries: dict[int, Entry] = {}
    stats = {"added": 0, "kept": 0}

    def preflight() -> None:
        try:
            _open_for_attendance(event)
        except ValidationError as exc:
            raise FileRejected(" ".join(exc.messages)) from exc

    def review(rows: list[ParsedRow]) -> list[Any]:
        return _apply_decisions(rows, chosen)

    def write(row: ParsedRow) -> bool:
        person = row.person
        if person is None:  # "not in the register"
            raise ValidationError({"full_name": [_("This person is not in the register: nothing was saved.")]})
        if person.pk in entries:
            raise ValidationError({"code": [_("This row is the same person as another row.")]})
        entries[person.pk] = Entry(person=person.pk, role=row.role, organisation=row.organisation)
        return True

    def finish(fmt: str, created: int) -> None:
        current = {
            a.person_id: Entry(person=a.person_id, role=a.role_id, organisation=a.organisation_id)
            for a in Attendance.objects.filter(event=event)
        }
        merged: dict[int, Entry] = {} if replace else dict(current)
        for pk, entry in entries.items():
            old = current.get(pk)
            if old is not None and not replace:
                entry = Entry(
                    person=pk,
                    role=entry.role if entry.role is not None else old.role,
                    organisation=entry.organisation if entry.organisation is not None else old.organisation,
                )
            merged[pk] = entry
        stats["added"] = len(set(entries) - set(current))
        stats["kept"] = len(set(current) - set(entries)) if not replace else 0
        attendance_save(actor=actor, event=event, entries=list(merged.values()))
        audit.record(
            actor=actor,
            action="event.attendance_import",
            obj=event,
            programme=event.programme,
            summary={"format": fmt, "rows": created, "added": stats["added"], "replace": replace},
        )

    importer: Importer[ParsedRow] = Importer(
        check=lambda header, body: _check(actor=actor, event=event, header=header, body=body, decisions=chosen),
        write=write,
        finish=finish,
        row_of=lambda row: row.row,
        labels=labels,
        service_fields={"attendance": "code", "event": "code"},
        preflight=preflight,
        review=review,
    )
    outcome = run_import(importer, filename=filename, data=data, content_type=content_type)
    return AttendanceImport(
        created=outcome.created,
        errors=outcome.errors,
        problem=outcome.problem,
        review=outcome.review,
        sha256=outcome.sha256,
        added=stats["added"] if outcome.ok else 0,
        kept=stats["kept"] if outcome.ok else 0,
        replace=replace,
    )


def template_workbook(*, actor: Any, event: Event) -> bytes:
    """The event's attendance workbook in its language: the people expected (code and role), empty rows
    for others, and a help sheet with the roles. Names are not written (codes are). Audited (``event.sheet``)."""
    enforce(actor, "event.change", event)
    people = expected_people(event)
    facilitators = set(event.facilitators.values_list("pk", flat=True))
    roles = {r.code: r for r in AttendeeRole.objects.filter(programme_id=event.programme_id, active=True)}
    with translation.override(event.language):
        member_role = roles["cwg"].name if "cwg" in roles else ""
        facilitator_role = roles["facilitator"].name if "facilitator" in roles else ""
        rows: list[list[Any]] = [
            [p.code, "", "", facilitator_role if p.pk in facilitators else member_role, ""] for p in people
        ]
        rows.extend([["", "", "", "", ""] for _ in range(EMPTY_ROWS)])
        data = Sheet(title=_("Attendance"), header=[str(c.label) for c in COLUMNS], rows=rows)
        help_rows: list[list[Any]] = [[event.title], []]
        bold = {0, 2}
        help_rows.append([_("Columns"), _("Key"), _("Notes")])
        help_rows.extend([str(c.label), c.key, str(c.help)] for c in COLUMNS)
        help_rows.append([])
        bold.add(len(help_rows))
        help_rows.append([_("General rules")])
        for rule in (
            _(
                "One row per person who took part. Rows already filled are the people expected: delete those who did not come."
            ),
            _("Every row is checked first: if one row has a problem, nothing is saved and every problem is listed."),
            _("People already recorded for the event stay, unless you choose to replace the list when importing."),
        ):
            help_rows.append([rule])
        help_rows.append([])
        bold.add(len(help_rows))
        help_rows.append([_("Roles"), _("Code")])
        help_rows.extend([r.name, r.code] for r in roles.values())
        help = Sheet(title=_("Help"), header=[_("How to fill in the sheet")], rows=help_rows, bold_rows=bold)
        content = render_sheets([data, help], "xlsx")
    audit.record(
        actor=actor,
        action="event.sheet",
        obj=event,
        programme=event.programme,
        summary={"format": "xlsx", "people": len(people)},
    )
    return content
