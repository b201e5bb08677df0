"""The attendance screen of one event and its tally form (issue 15, parts 2 and 6).

The screen is a tick list, built for a phone: the facilitators and the members of the event's working
groups on its day, those already recorded, and whoever a name search finds. Everything ticked is saved
with one request through ``attendance.attendance_save`` (it replaces the list). Without JavaScript the
search is a button of the same form, so the ticks survive it; with htmx the results come as one types.

The tally form counts people nobody registers, by sex × age band × role (``attendance.tally_save``).
Thin views: ``get_for_user`` (changing the event is what both need), one service, a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hamkori.access.policy import get_for_user
from hamkori.concerns.actions import owner_choices
from hamkori.events.attendance import attendance_save, tally_save
from hamkori.events.forms_attendance import AttendanceForm, TallyForm, cell_name
from hamkori.events.models import Attendance, AttendeeRole, Event, Status, Tally
from hamkori.events.services import local_date
from hamkori.groups.models import Membership, WorkingGroup, current_q
from hamkori.kit.pages import form_then_service, render_page
from hamkori.orgs.models import Organisation
from hamkori.people.models import AgeBand, Person, Sex
from hamkori.people.selectors import names_for, pick_people
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

#: The role a member of a working group of each kind takes part in by default (``AttendeeRole`` codes).
GROUP_ROLE: dict[str, str] = {
    WorkingGroup.Kind.CWG: "cwg",
    WorkingGroup.Kind.PARTNERSHIP_TEAM: "cwg",
    WorkingGroup.Kind.PUBLIC_COUNCIL: "civil-society",
}
FACILITATOR_ROLE = "facilitator"
OTHER_ROLE = "community"
#: Why the screen reads names from the vault (the audit event names it).
PURPOSE = "record attendance"


@dataclass
class Row:
    """One person on the screen: ticked or not, with the role and organisation chosen."""

    person: Person
    ticked: bool
    role: int | None
    organisation: int | None
    name: str = ""


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)


def _event(request: ProgrammeRequest, event_id: int) -> Event:
    """The event, if the user may change it (404 out of scope, 403 with the reason otherwise)."""
    event = get_for_user(request.user, Event, "change", pk=event_id, programme=request.programme)
    event.programme = request.programme
    return event


def closed_reason(event: Event) -> str:
    """Why attendance cannot be recorded for ``event`` yet (or at all); empty when it can. The same words
    as the service's refusal."""
    if event.status == Status.CANCELLED:
        return _("This event was cancelled: no attendance can be recorded.")
    if local_date(event.programme, event.starts_at) > local_date(event.programme, timezone.now()):
        return _("This event has not taken place yet: record attendance on or after its day.")
    return ""


def _visible_people(request: ProgrammeRequest) -> Any:
    return Person.objects.visible_to(request.user).filter(programme=request.programme, merged_into__isnull=True)


def _choices(event: Event, used_roles: set[int], used_orgs: set[int]) -> tuple[list[AttendeeRole], list[Organisation]]:
    """The roles in use in the programme and the organisations of the event's district (with those already
    chosen on a row, so that saving again keeps them)."""
    roles = list(
        AttendeeRole.objects.filter(programme_id=event.programme_id).filter(Q(active=True) | Q(pk__in=used_roles))
    )
    orgs = list(owner_choices(event.programme, event.district))
    missing = used_orgs - {o.pk for o in orgs}
    if missing:
        orgs += list(Organisation.objects.filter(pk__in=missing))
    return roles, orgs


def _screen(request: ProgrammeRequest, event: Event, form: AttendanceForm | None, query: str) -> dict[str, Any]:
    """The sections of the tick list and the search results (a fixed number of queries, whatever the
    number of people): as recorded, or as the user left them when the form is shown again."""
    day = local_date(event.programme, event.starts_at)
    visible = _visible_people(request).values("pk")
    recorded = {a.person_id: a for a in Attendance.objects.filter(event=event).select_related("person__place")}
    facilitators = list(event.facilitators.filter(pk__in=visible).select_related("place").order_by("code"))
    memberships = list(
        Membership.objects.filter(current_q(day), group__in=event.groups.all(), person__in=visible)
        .select_related("person__place", "group")
        .order_by("group__name", "group_id", "person__code")
    )
    role_codes = dict(AttendeeRole.objects.filter(programme_id=event.programme_id).values_list("code", "pk"))
    ticked = set(form.ticked()) if form is not None else set(recorded)

    sections: list[Section] = [Section("facilitators", _("Facilitators"))]
    placed: dict[int, Row] = {}

    def add(section: Section, person: Person, role_code: str, organisation: int | None = None) -> None:
        if person.pk in placed:
            return
        if form is not None and form.has_row(person.pk):
            role, organisation = form.chosen(person.pk)
        elif person.pk in recorded:
            role, organisation = recorded[person.pk].role_id, recorded[person.pk].organisation_id
        else:
            role = role_codes.get(role_code)
        row = Row(person=person, ticked=person.pk in ticked, role=role, organisation=organisation)
        placed[person.pk] = row
        section.rows.append(row)

    for person in facilitators:
        add(sections[0], person, FACILITATOR_ROLE, event.organiser_id)
    by_group: dict[int, Section] = {}
    for membership in memberships:
        group = membership.group
        if group.pk not in by_group:
            by_group[group.pk] = Section(f"group-{group.pk}", _("Members of %(group)s") % {"group": group.name})
            sections.append(by_group[group.pk])
        add(by_group[group.pk], membership.person, GROUP_ROLE.get(str(group.kind), OTHER_ROLE))
    others = Section("others", _("Others"))
    sections.append(others)
    for pk in sorted(recorded, key=lambda pk: recorded[pk].person.code):
        add(others, recorded[pk].person, OTHER_ROLE)
    # People added by a search before the form was shown again.
    extra = [pk for pk in ticked if pk not in placed]
    if extra:
        for person in _visible_people(request).filter(pk__in=extra).select_related("place").order_by("code"):
            add(others, person, OTHER_ROLE)

    rows = list(placed.values())
    names = names_for(request.user, [row.person for row in rows], PURPOSE)
    for row in rows:
        row.name = names.get(row.person.pk, "")
    results = _search(request, event, query, set(placed), role_codes) if query else []
    roles, orgs = _choices(
        event,
        {row.role for row in rows if row.role} | {a.role_id for a in recorded.values() if a.role_id},
        {row.organisation for row in rows if row.organisation},
    )
    return {
        "event": event,
        "day": day,
        "sections": [s for s in sections if s.rows or s.key == "others"],
        "ticked": sum(1 for row in rows if row.ticked),
        "results": results,
        "query": query,
        "roles": roles,
        "orgs": orgs,
        "closed": closed_reason(event),
        "has_groups": bool(memberships) or event.groups.exists(),
    }


def _search(
    request: ProgrammeRequest, event: Event, query: str, shown: set[int], role_codes: dict[str, int]
) -> list[Row]:
    """People of the register matching ``query`` (a name or a code) who are not on the screen yet."""
    picks = pick_people(actor=request.user, programme=request.programme, query=query[:200], today=timezone.localdate())
    return [
        Row(person=p.person, ticked=False, role=role_codes.get(OTHER_ROLE), organisation=None, name=p.name)
        for p in picks
        if p.person.pk not in shown
    ]


@programme_view(action="event.view")
def event_attendance(request: ProgrammeRequest, event_id: int) -> HttpResponse:
    """The tick list (GET), a search that keeps the ticks (POST with ``do=search``), or saving it (POST)."""
    event = _event(request, event_id)
    status = 200
    form: AttendanceForm | None = None
    query = request.GET.get("q", "").strip()[:200]
    if request.method == "POST":
        form = AttendanceForm(request.POST)
        query = request.POST.get("q", "").strip()[:200]
        if request.POST.get("do") != "search":
            done = form_then_service(
                form, lambda data: attendance_save(actor=request.user, event=event, entries=data["entries"])
            )
            if done:
                n = len(form.cleaned_data["entries"])
                messages.success(
                    request,
                    ngettext(
                        "Attendance saved: %(n)s person took part.", "Attendance saved: %(n)s people took part.", n
                    )
                    % {"n": n},
                )
                return redirect("event_attendance", request.programme.code, event.pk)
            status = 422
    context = _screen(request, event, form, query)
    context["form"] = form or AttendanceForm(initial={"q": query})
    return render_page(request, "events/attendance.html", context, status=status)


@programme_view(action="event.view")
def event_attendance_search(request: ProgrammeRequest, event_id: int) -> HttpResponse:
    """htmx: the people matching what is typed in the screen's search box, as rows to tick."""
    event = _event(request, event_id)
    query = request.GET.get("q", "").strip()[:200]
    visible = _visible_people(request).values("pk")
    day = local_date(event.programme, event.starts_at)
    shown = set(Attendance.objects.filter(event=event).values_list("person_id", flat=True))
    shown |= set(event.facilitators.values_list("pk", flat=True))
    shown |= set(
        Membership.objects.filter(current_q(day), group__in=event.groups.all(), person__in=visible).values_list(
            "person_id", flat=True
        )
    )
    role_codes = dict(AttendeeRole.objects.filter(programme_id=event.programme_id).values_list("code", "pk"))
    roles, orgs = _choices(event, set(), set())
    context = {
        "event": event,
        "results": _search(request, event, query, shown, role_codes) if query else [],
        "query": query,
        "roles": roles,
        "orgs": orgs,
    }
    return render(request, "events/attendance.html#results", context)


# --- The tally ---------------------------------------------------------------------------------------
def _count(raw: str) -> int:
    """What a cell adds to the totals shown (nothing when it is not a whole number)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0


def _grid(roles: list[AttendeeRole], values: dict[tuple[str, str, int], str]) -> dict[str, Any]:
    """One block per role: a row per age band, a column per sex, totals; which cells hold a bad value."""
    sexes = [(Sex.FEMALE, _("Women")), (Sex.MALE, _("Men"))]
    blocks: list[dict[str, Any]] = []
    grand = 0
    for role in roles:
        rows: list[dict[str, Any]] = []
        sex_totals = [0 for _sex in sexes]
        bad = False
        for band, band_label in AgeBand.choices:
            cells: list[dict[str, Any]] = []
            row_total = 0
            for i, (sex, sex_label) in enumerate(sexes):
                raw = values.get((str(sex), str(band), role.pk), "")
                count = _count(raw)
                sex_totals[i] += count
                row_total += count
                wrong = bool(raw) and not (raw.isascii() and raw.isdigit())
                bad = bad or wrong
                cells.append(
                    {
                        "name": cell_name(str(sex), str(band), role.pk),
                        "value": raw,
                        "bad": wrong,
                        "label": _("%(role)s: %(sex)s, %(band)s")
                        % {"role": role.name, "sex": sex_label, "band": band_label},
                    }
                )
            rows.append({"band": band_label, "cells": cells, "total": row_total})
        total = sum(sex_totals)
        grand += total
        blocks.append(
            {"role": role, "rows": rows, "sex_totals": sex_totals, "total": total, "open": bool(total) or bad}
        )
    if blocks and not any(b["open"] for b in blocks):
        blocks[0]["open"] = True
    return {"blocks": blocks, "sexes": [label for _sex, label in sexes], "total": grand}


@programme_view(action="event.view")
def event_tally(request: ProgrammeRequest, event_id: int) -> HttpResponse:
    """People nobody registers, counted by sex × age band × role; one save replaces the tally."""
    event = _event(request, event_id)
    existing = list(Tally.objects.filter(event=event))
    roles = list(
        AttendeeRole.objects.filter(programme_id=event.programme_id).filter(
            Q(active=True) | Q(pk__in={t.role_id for t in existing})
        )
    )
    form = TallyForm(request.POST if request.method == "POST" else None, roles=roles)
    status = 200
    if request.method == "POST":
        done = form_then_service(form, lambda data: tally_save(actor=request.user, event=event, cells=data["cells"]))
        if done:
            messages.success(
                request,
                ngettext("Tally saved: %(n)s person counted.", "Tally saved: %(n)s people counted.", done.value)
                % {"n": done.value},
            )
            return redirect("event_tally", request.programme.code, event.pk)
        status = 422
        values = {cell: form.raw(cell) for cell in form.cells_of()}
    else:
        values = {(t.sex, t.age_band, t.role_id): str(t.count) for t in existing}
    context = {
        "event": event,
        "day": local_date(event.programme, event.starts_at),
        "form": form,
        "grid": _grid(roles, values),
        "closed": closed_reason(event),
    }
    return render(request, "events/tally.html", context, status=status)
