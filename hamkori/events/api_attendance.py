"""Attendance of one event through the API: the named participants (``event.view_people``) and the tally of
people nobody registers; each PUT replaces the whole list through the same services as the attendance
screen (``hamkori.events.attendance``), so the same errors come back in the API's one format.

Roles are named by their code (``AttendeeRole.code``, the programme's list), organisations and people by id.
No ``from __future__ import annotations`` (see ``hamkori/people/api.py``).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from hamkori.access.policy import get_for_user
from hamkori.core.api_errors import MAX_ID, api_errors, responses
from hamkori.events.attendance import MAX_CELL, MAX_PARTICIPANTS, Entry, attendance_save, tally_save
from hamkori.events.attendance_panel import attendance_counts
from hamkori.events.models import Attendance, AttendeeRole, Event, Tally
from hamkori.people.api import RecordId
from hamkori.people.models import AgeBand, Sex

router = Router(tags=["attendance"])


# --- Schemas -------------------------------------------------------------------------------------
class AttendanceCountsOut(Schema):
    participants: int = Field(..., description="Named participants.")
    women: int
    young: int = Field(
        ..., description="Named participants who are young (the age bands within the programme's youth age)."
    )
    tallied: int = Field(..., description="People counted without names (the tally).")
    tallied_women: int
    total: int


class ParticipantOut(Schema):
    person: int
    code: str
    sex: str
    age_band: str
    role: str | None = Field(None, description="The attendee role's code.")
    organisation: int | None
    pre_score: int | None
    post_score: int | None

    @staticmethod
    def resolve_person(obj: Attendance) -> int:
        return obj.person_id

    @staticmethod
    def resolve_code(obj: Attendance) -> str:
        return obj.person.code

    @staticmethod
    def resolve_role(obj: Attendance) -> str | None:
        return obj.role.code if obj.role_id and obj.role else None

    @staticmethod
    def resolve_organisation(obj: Attendance) -> int | None:
        return obj.organisation_id


class EventAttendanceOut(Schema):
    event: int
    status: str
    participants: list[ParticipantOut]
    counts: AttendanceCountsOut


class ParticipantIn(Schema):
    person: int = Field(..., ge=1, le=MAX_ID)
    role: str | None = Field(None, max_length=40, description="An attendee role's code.")
    organisation: int | None = Field(None, ge=1, le=MAX_ID)


class EventAttendanceIn(Schema):
    participants: list[ParticipantIn] = Field(..., max_length=MAX_PARTICIPANTS)


class TallyCellOut(Schema):
    sex: Sex
    age_band: AgeBand
    role: str
    count: int


class TallyCellIn(Schema):
    sex: Sex
    age_band: AgeBand
    role: str = Field(..., max_length=40, description="An attendee role's code.")
    count: int = Field(..., ge=0, le=MAX_CELL)


class EventTallyOut(Schema):
    event: int
    cells: list[TallyCellOut]
    total: int


class EventTallyIn(Schema):
    cells: list[TallyCellIn] = Field(..., max_length=2 * len(AgeBand.values) * 50)


# --- Helpers -------------------------------------------------------------------------------------
def _role_ids(event: Event, codes: set[str], field: str) -> dict[str, int]:
    found = dict(AttendeeRole.objects.filter(programme_id=event.programme_id, code__in=codes).values_list("code", "pk"))
    unknown = sorted(codes - set(found))
    if unknown:
        raise ValidationError(
            {field: [_("Unknown attendee role: %(codes)s.") % {"codes": ", ".join(c[:40] for c in unknown[:10])}]}
        )
    return found


def _rows(event: Event) -> QuerySet[Attendance]:
    return Attendance.objects.filter(event=event).select_related("person", "role").order_by("person__code")


def _attendance(event: Event) -> dict[str, Any]:
    event.refresh_from_db(fields=["status"])
    return {
        "event": event.pk,
        "status": event.status,
        "participants": list(_rows(event)),
        "counts": attendance_counts(event),
    }


def _tally(event: Event) -> dict[str, Any]:
    cells = [
        {"sex": t.sex, "age_band": t.age_band, "role": t.role.code, "count": t.count}
        for t in Tally.objects.filter(event=event).select_related("role").order_by("role__order", "sex", "age_band")
    ]
    return {"event": event.pk, "cells": cells, "total": sum(c["count"] for c in cells)}


# --- Endpoints -----------------------------------------------------------------------------------
@router.get("/{int:event_id}/attendance", response=responses({200: EventAttendanceOut}))
@api_errors
def get_attendance(request: HttpRequest, event_id: int = RecordId) -> dict[str, Any]:
    """Who took part (person id and code, role, organisation, test scores) and the counts. For those who may
    see who took part (the lead organisation and partners)."""
    event = get_for_user(request.user, Event, "view_people", pk=event_id)
    return _attendance(event)


@router.put("/{int:event_id}/attendance", response=responses({200: EventAttendanceOut}))
@api_errors
def put_attendance(request: HttpRequest, payload: EventAttendanceIn, event_id: int = RecordId) -> dict[str, Any]:
    """Replace the named participants with ``participants`` (those left out are removed, with their scores).
    Refused, with nothing saved: a cancelled or future event, the same person twice, a person not in the
    programme's register or not in your districts, an unknown role or organisation."""
    event = get_for_user(request.user, Event, "change", pk=event_id)
    roles = _role_ids(event, {p.role for p in payload.participants if p.role}, "participants")
    entries = [
        Entry(person=p.person, role=roles[p.role] if p.role else None, organisation=p.organisation)
        for p in payload.participants
    ]
    attendance_save(actor=request.user, event=event, entries=entries)
    return _attendance(event)


@router.get("/{int:event_id}/tally", response=responses({200: EventTallyOut}))
@api_errors
def get_tally(request: HttpRequest, event_id: int = RecordId) -> dict[str, Any]:
    """The people counted without names, by sex, age band and role (counts only: whoever sees the event)."""
    event = get_for_user(request.user, Event, pk=event_id)
    return _tally(event)


@router.put("/{int:event_id}/tally", response=responses({200: EventTallyOut}))
@api_errors
def put_tally(request: HttpRequest, payload: EventTallyIn, event_id: int = RecordId) -> dict[str, Any]:
    """Replace the tally with ``cells`` (a cell of 0 is dropped). Refused, with nothing saved: a cancelled or
    future event, a negative count, an unknown role, the same cell twice."""
    event = get_for_user(request.user, Event, "change", pk=event_id)
    roles = _role_ids(event, {c.role for c in payload.cells}, "cells")
    cells: dict[tuple[str, str, int], int] = {}
    for c in payload.cells:
        key = (str(c.sex.value), str(c.age_band.value), roles[c.role])
        if key in cells:
            cell = ", ".join([key[0], key[1], c.role])
            raise ValidationError({"cells": [_("The same cell is given twice: %(cell)s.") % {"cell": cell}]})
        cells[key] = c.count
    tally_save(actor=request.user, event=event, cells=cells)
    return _tally(event)
