"""Who took part in an event: named participants, tallies of an audience nobody registers, and training
test scores. Each save replaces the event's whole list in one transaction with a bounded number of queries
(the attendance screen sends the full list of ticks in one request).

Recording attendance for a planned event that has started marks it held.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import enforce
from hamkori.core import audit
from hamkori.events.models import Attendance, AttendeeRole, Category, Event, Status, Tally
from hamkori.events.services import local_date
from hamkori.orgs.models import Organisation
from hamkori.people.models import AgeBand, Person, Sex

#: The most named participants one event takes (a list longer than this is an error, not a slow request).
MAX_PARTICIPANTS = 2000
#: The most people one tally cell counts.
MAX_CELL = 100_000


@dataclass(frozen=True)
class Entry:
    """One ticked participant: the person, and their role and organisation at the time (optional)."""

    person: int
    role: int | None = None
    organisation: int | None = None


@dataclass(frozen=True)
class Saved:
    added: int
    changed: int
    removed: int

    @property
    def total_changes(self) -> int:
        return self.added + self.changed + self.removed


def _open_for_attendance(event: Event) -> None:
    """Attendance is recorded for an event that has started and was not cancelled."""
    if event.status == Status.CANCELLED:
        raise ValidationError({"event": [_("This event was cancelled: no attendance can be recorded.")]})
    if local_date(event.programme, event.starts_at) > local_date(event.programme, timezone.now()):
        raise ValidationError(
            {"event": [_("This event has not taken place yet: record attendance on or after its day.")]}
        )


def _mark_held(event: Event) -> None:
    if event.status == Status.PLANNED:
        Event.objects.filter(pk=event.pk, status=Status.PLANNED).update(status=Status.HELD, updated_at=timezone.now())
        event.status = Status.HELD


@transaction.atomic
def attendance_save(*, actor: Any, event: Event, entries: Sequence[Entry]) -> Saved:
    """Make ``entries`` the event's named participants (those not listed are removed, with their scores).

    Refused, with nothing saved: a cancelled or future event, the same person twice, a person who is not
    in the programme's register (or whom the actor may not see), a role or organisation that does not exist."""
    enforce(actor, "event.change", event)
    event = Event.objects.select_for_update().select_related("programme").get(pk=event.pk)
    _open_for_attendance(event)
    if len(entries) > MAX_PARTICIPANTS:
        raise ValidationError(
            {"attendance": [_("At most %(n)s named participants per event.") % {"n": MAX_PARTICIPANTS}]}
        )
    seen: set[int] = set()
    twice: set[int] = set()
    for entry in entries:
        (twice if entry.person in seen else seen).add(entry.person)
    people_qs = Person.objects.visible_to(actor) if actor is not None else Person.objects.all()
    people = {
        p.pk: p
        for p in people_qs.filter(programme=event.programme, merged_into__isnull=True, pk__in=seen).only(
            "pk", "code", "sex", "age_band"
        )
    }
    errors: list[str] = []
    if twice:
        codes = sorted(people[pk].code if pk in people else str(pk) for pk in twice)
        errors.append(
            _("The same person is listed twice: %(codes)s. Each person takes part once per event.")
            % {"codes": ", ".join(codes)}
        )
    existing = {a.person_id: a for a in Attendance.objects.filter(event=event)}
    unknown = seen - set(people) - set(existing)  # kept rows of people the actor cannot see are not unknown
    if unknown:
        errors.append(
            _("%(n)s of the people listed are not in the programme's register (or not in your districts).")
            % {"n": len(unknown)}
        )
    role_ids = {e.role for e in entries if e.role is not None}
    roles = set(AttendeeRole.objects.filter(programme=event.programme, pk__in=role_ids).values_list("pk", flat=True))
    if role_ids - roles:
        errors.append(_("Choose roles from the programme's list."))
    org_ids = {e.organisation for e in entries if e.organisation is not None}
    orgs = set(Organisation.objects.filter(pk__in=org_ids).values_list("pk", flat=True))
    if org_ids - orgs:
        errors.append(_("Choose organisations from the list."))
    if errors:
        raise ValidationError({"attendance": errors})

    # Rows of people the actor may not see (recorded by staff, from another district) are neither
    # shown on her screen nor removed by her save.
    hidden = set(existing) - set(people_qs.filter(pk__in=list(existing)).values_list("pk", flat=True))
    held_on = local_date(event.programme, event.starts_at)
    wanted = {e.person: e for e in entries}
    to_add = []
    to_change = []
    for pk, entry in wanted.items():
        row = existing.get(pk)
        if row is None:
            person = people[pk]
            to_add.append(
                Attendance(
                    event=event,
                    person_id=pk,
                    role_id=entry.role,
                    organisation_id=entry.organisation,
                    programme_id=event.programme_id,
                    district_id=event.district_id,
                    held_on=held_on,
                    sex=person.sex,
                    age_band=person.age_band,
                    recorded_by=actor if getattr(actor, "pk", None) else None,
                )
            )
        elif (row.role_id, row.organisation_id) != (entry.role, entry.organisation):
            row.role_id, row.organisation_id = entry.role, entry.organisation
            to_change.append(row)
    gone = [pk for pk in existing if pk not in wanted and pk not in hidden]
    if gone:
        Attendance.objects.filter(event=event, person_id__in=gone).delete()
    Attendance.objects.bulk_create(to_add, batch_size=500)
    if to_change:
        Attendance.objects.bulk_update(to_change, ["role", "organisation"], batch_size=500)
    _mark_held(event)
    saved = Saved(added=len(to_add), changed=len(to_change), removed=len(gone))
    audit.record(
        actor=actor,
        action="event.attendance",
        obj=event,
        programme=event.programme,
        summary={"participants": len(wanted), "added": saved.added, "changed": saved.changed, "removed": saved.removed},
    )
    return saved


Cell = tuple[str, str, int]  # (sex, age band, attendee role id)


@transaction.atomic
def tally_save(*, actor: Any, event: Event, cells: Mapping[Cell, Any]) -> int:
    """Make ``cells`` the event's tally of unregistered people (a cell of 0 or empty is dropped).

    Refused, with nothing saved: a cancelled or future event, a negative or non-whole number, a sex, age
    band or role not in the lists. Returns the number of people counted."""
    enforce(actor, "event.change", event)
    event = Event.objects.select_for_update().select_related("programme").get(pk=event.pk)
    _open_for_attendance(event)
    role_ids = set(AttendeeRole.objects.filter(programme=event.programme).values_list("pk", flat=True))
    errors: list[str] = []
    rows = []
    for (sex, band, role), raw in cells.items():
        if sex not in Sex.values or band not in AgeBand.values or role not in role_ids:
            errors.append(_("Choose sex, age band and role from the lists."))
            continue
        if raw in (None, ""):
            continue
        text = str(raw).strip()
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            errors.append(_("“%(value)s” is not a whole number.") % {"value": text[:20]})
            continue
        count = int(text)
        if count < 0:
            errors.append(_("A count cannot be negative (%(value)s).") % {"value": count})
            continue
        if count > MAX_CELL:
            errors.append(_("A count cannot be more than %(max)s.") % {"max": MAX_CELL})
            continue
        if count:
            rows.append(Tally(event=event, sex=sex, age_band=band, role_id=role, count=count))
    if errors:
        raise ValidationError({"tally": sorted(set(errors))})
    Tally.objects.filter(event=event).delete()
    Tally.objects.bulk_create(rows)
    _mark_held(event)
    total = sum(r.count for r in rows)
    audit.record(
        actor=actor,
        action="event.tally",
        obj=event,
        programme=event.programme,
        summary={"people": total, "cells": len(rows)},
    )
    return total


Score = tuple[Any, Any]  # (pre, post): whole numbers or empty


def _score(raw: Any, top: int) -> int | None:
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    if not text.isdigit():
        raise ValueError(text)
    value = int(text)
    if value > top:
        raise ValueError(text)
    return value


@transaction.atomic
def scores_save(*, actor: Any, event: Event, scores: Mapping[int, Score]) -> int:
    """Record pre- and post-test scores (``person id -> (pre, post)``) of a training's participants.

    Refused, with nothing saved: an event that is not a training, a person who did not take part, a
    post-test without a pre-test, a score that is not a whole number from 0 to the test's highest score."""
    enforce(actor, "event.change", event)
    event = Event.objects.select_for_update().select_related("programme", "kind").get(pk=event.pk)
    if event.kind.category != Category.TRAINING or not event.test_max_score:
        raise ValidationError({"scores": [_("Test scores are recorded for trainings only.")]})
    _open_for_attendance(event)
    top = event.test_max_score
    rows = {a.person_id: a for a in Attendance.objects.filter(event=event).select_related("person")}
    errors: list[str] = []
    changed = []
    for person_id, (pre_raw, post_raw) in scores.items():
        row = rows.get(person_id)
        if row is None:
            errors.append(_("Scores can only be given to people who took part (add them to the attendance first)."))
            continue
        try:
            pre, post = _score(pre_raw, top), _score(post_raw, top)
        except ValueError as exc:
            errors.append(
                _("%(code)s: “%(value)s” is not a score from 0 to %(max)s.")
                % {"code": row.person.code, "value": str(exc)[:20], "max": top}
            )
            continue
        if post is not None and pre is None:
            errors.append(_("%(code)s: a post-test score needs a pre-test score.") % {"code": row.person.code})
            continue
        if (row.pre_score, row.post_score) != (pre, post):
            row.pre_score, row.post_score = pre, post
            changed.append(row)
    if errors:
        raise ValidationError({"scores": errors})
    Attendance.objects.bulk_update(changed, ["pre_score", "post_score"], batch_size=500)
    audit.record(
        actor=actor, action="event.scores", obj=event, programme=event.programme, summary={"changed": len(changed)}
    )
    return len(changed)
