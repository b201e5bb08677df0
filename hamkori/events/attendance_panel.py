"""The attendance section of an event's page (``panels.register_event_panel``, from ``EventsConfig.ready``).

Everyone who sees the event sees the counts (named participants, women among them, people counted in the
tally); the named list only those ``event.view_people`` allows, with names where ``person.view_personal_data``
allows (one vault read, audited); the links to the attendance screen and the tally only those who may change
the event. A fixed number of queries, whatever the number of participants.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum

from hamkori.access.policy import decide
from hamkori.events.models import Attendance, Tally
from hamkori.events.panels import EventPanel
from hamkori.events.summary import young_bands, youth_max_age
from hamkori.people.models import Sex
from hamkori.people.selectors import names_for

#: The most participants the page lists by name (the attendance screen shows them all).
LIST_LIMIT = 100


def attendance_counts(event: Any) -> dict[str, int]:
    """Participants (named), women and young people among them (young as the participation summary says:
    the age bands within the programme's youth age), and people counted in the tally: three queries."""
    young = young_bands(youth_max_age(event.programme))
    named = Attendance.objects.filter(event=event).aggregate(
        participants=Count("pk"),
        women=Count("pk", filter=Q(sex=Sex.FEMALE)),
        young=Count("pk", filter=Q(age_band__in=young)),
    )
    tallied = Tally.objects.filter(event=event).aggregate(
        tallied=Sum("count"), tallied_women=Sum("count", filter=Q(sex=Sex.FEMALE))
    )
    counts = {key: int(value or 0) for key, value in {**named, **tallied}.items()}
    counts["total"] = counts["participants"] + counts["tallied"]
    return counts


def attendance_panel(user: Any, event: Any) -> list[EventPanel]:
    may_change = bool(decide(user, "event.change", event))
    people: list[Any] | None = None
    names: dict[int, str] = {}
    if decide(user, "event.view_people", event):
        people = list(
            Attendance.objects.filter(event=event)
            .select_related("person", "role", "organisation")
            .order_by("person__code")[:LIST_LIMIT]
        )
        names = names_for(user, [a.person for a in people], "event participants")
    counts = attendance_counts(event)
    return [
        EventPanel(
            priority=20,
            template="events/_attendance_panel.html",
            context={
                "attendance_counts": counts,
                "attendance_rows": people,
                "attendance_names": names,
                "attendance_more": max(0, counts["participants"] - LIST_LIMIT) if people is not None else 0,
                "attendance_may_change": may_change,
            },
        )
    ]
