"""Every write to an event itself: create, edit, hold, cancel, and the programme's event vocabulary.

Attendance, tallies and scores are written in ``attendance.py``, commitments in ``commitments.py``, files in
``uploads.py``: each keyword-only, atomic, checked against the registry and audited (docs/new-app.md §4).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import enforce, grant_in
from hamkori.concerns.models import Concern
from hamkori.concerns.services import clean_text, programme_districts
from hamkori.core import audit
from hamkori.core.models import Sensitivity
from hamkori.core.roles import Role
from hamkori.events.models import (
    MAX_TEXT,
    AttendeeRole,
    Category,
    Event,
    EventKind,
    EventLanguage,
    Level,
    Status,
    TrainingTopic,
)
from hamkori.groups.models import WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.people.models import Person
from hamkori.people.services import place_in_scope
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: (code, category, tg, ru, en): the kinds of event a new programme starts with (an admin edits them).
DEFAULT_KINDS: list[tuple[str, str, str, str, str]] = [
    ("cwg-meeting", Category.MEETING, "Ҷаласаи гурӯҳи корӣ", "Заседание рабочей группы", "CWG meeting"),
    (
        "partnership-meeting",
        Category.MEETING,
        "Ҷаласаи гурӯҳҳои шарикӣ",
        "Встреча команд партнёрства",
        "Partnership team meeting",
    ),
    (
        "council-meeting",
        Category.MEETING,
        "Ҷаласаи шӯрои ҷамъиятӣ ва гурӯҳҳои корӣ",
        "Встреча общественного совета и рабочих групп",
        "Public council and CWG meeting",
    ),
    ("training", Category.TRAINING, "Омӯзиш", "Тренинг", "Training"),
    (
        "conflict-analysis",
        Category.WORKSHOP,
        "Семинари таҳлили низоъ",
        "Семинар по анализу конфликтов",
        "Conflict-analysis workshop",
    ),
    ("dialogue", Category.DIALOGUE, "Муколама бо мақомот", "Диалог с властями", "Dialogue with authorities"),
    ("reporting-day", Category.MEETING, "Рӯзи ҳисоботи милиса", "День отчёта милиции", "Police reporting day"),
    ("lessons", Category.WORKSHOP, "Ҷаласаи омӯзиши таҷриба", "Сессия извлечения уроков", "Lesson-learning session"),
    ("theatre", Category.PERFORMANCE, "Театри сайёр", "Мобильный театр", "Mobile theatre"),
    ("community-meeting", Category.MEETING, "Ҷаласаи аҳолӣ", "Собрание жителей", "Community meeting"),
]

#: (code, tg, ru, en)
DEFAULT_TOPICS: list[tuple[str, str, str, str]] = [
    ("research", "Усулҳои тадқиқот", "Методы исследования", "Research methods"),
    ("communication", "Стратегияҳои иртибот", "Коммуникационные стратегии", "Communication strategies"),
    (
        "outreach",
        "Маъракаҳои иттилоотӣ ва паёмҳо",
        "Информационные кампании и сообщения",
        "Outreach and messaging campaigns",
    ),
    (
        "cycle",
        "Давраи амнияти ҷамоатӣ",
        "Цикл общественной безопасности",
        "The community security cycle",
    ),
    (
        "sensitivity",
        "Ҳассосият ба низоъ ва гендер",
        "Конфликтная и гендерная чувствительность",
        "Conflict and gender sensitivity",
    ),
]

#: (code, tg, ru, en)
DEFAULT_ROLES: list[tuple[str, str, str, str]] = [
    ("community", "Сокини маҳал", "Житель общины", "Community member"),
    ("cwg", "Аъзои гурӯҳи корӣ", "Член рабочей группы", "CWG member"),
    ("police", "Милиса", "Милиция", "Police"),
    ("authority", "Мақомоти маҳаллӣ", "Местные органы власти", "Local authority"),
    ("civil-society", "Ҷомеаи шаҳрвандӣ", "Гражданское общество", "Civil society"),
    ("facilitator", "Фасилитатор", "Фасилитатор", "Facilitator"),
    ("other", "Дигар", "Другое", "Other"),
]


@transaction.atomic
def vocabulary_ensure(
    *,
    actor: Any,
    programme: Programme,
    kinds: Sequence[tuple[str, str, str, str, str]] = tuple(DEFAULT_KINDS),
    topics: Sequence[tuple[str, str, str, str]] = tuple(DEFAULT_TOPICS),
    roles: Sequence[tuple[str, str, str, str]] = tuple(DEFAULT_ROLES),
) -> None:
    """Create the given kinds, topics and attendee roles where missing (existing entries keep their names)."""
    if actor is not None:
        enforce(actor, "event.vocabulary", programme)
    created: list[str] = []
    for order, (code, category, tg, ru, en) in enumerate(kinds):
        _kind, made = EventKind.objects.get_or_create(
            programme=programme,
            code=code,
            defaults={"category": category, "name_tg": tg, "name_ru": ru, "name_en": en, "order": (order + 1) * 10},
        )
        if made:
            created.append(f"kind:{code}")
    for model, rows in ((TrainingTopic, topics), (AttendeeRole, roles)):
        for order, (code, tg, ru, en) in enumerate(rows):
            _obj, made = model.objects.get_or_create(
                programme=programme,
                code=code,
                defaults={"name_tg": tg, "name_ru": ru, "name_en": en, "order": (order + 1) * 10},
            )
            if made:
                created.append(f"{model._meta.model_name}:{code}")
    if created:
        audit.record(actor=actor, action="event.vocabulary", programme=programme, summary={"created": created})


def programme_zone(programme: Programme) -> zoneinfo.ZoneInfo:
    """The programme's time zone (events are entered and shown in it, stored in UTC)."""
    try:
        return zoneinfo.ZoneInfo(programme.time_zone or "Asia/Dushanbe")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Dushanbe")


def local_datetime(programme: Programme, day: dt.date, time: dt.time) -> dt.datetime:
    """A date and a wall-clock time in the programme's time zone, as an aware datetime."""
    return dt.datetime.combine(day, time, tzinfo=programme_zone(programme))


def local_date(programme: Programme, moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, programme_zone(programme)).date()


def district_of(programme: Programme, place: Place) -> Place | None:
    """The programme location (district or city) a place lies in, or None (a region, the country)."""
    for district in programme_districts(programme):
        if place.path.startswith(district.path):
            return district
    return None


def _organiser_for(actor: Any, programme: Programme, organiser: Organisation | None) -> Organisation | None:
    """A partner organises for her own organisation; lead roles choose (default: the lead organisation)."""
    grant = grant_in(actor, programme) if actor is not None else None
    if grant is not None and grant.role == Role.PARTNER and grant.organisation_id is not None:
        return Organisation.objects.filter(pk=grant.organisation_id).first()
    return organiser or programme.lead_organisation


def _validate(
    *,
    actor: Any,
    programme: Programme,
    kind: EventKind | None,
    level: str,
    title: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    place: Place | None,
    language: str,
    sensitivity: str,
    agenda: str,
    minutes: str,
    decisions: str,
    test_max_score: int | None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for field, text, required, limit in (
        ("title", title, True, 200),
        ("agenda", agenda, False, MAX_TEXT),
        ("minutes", minutes, False, MAX_TEXT),
        ("decisions", decisions, False, MAX_TEXT),
    ):
        try:
            values[field] = clean_text(text, field=field, required=required, limit=limit)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if kind is None or kind.programme_id != programme.pk:
        errors["kind"] = [_("Choose a kind of event from the programme's list.")]
    if level not in Level.values:
        errors["level"] = [_("Choose a level from the list.")]
    if language not in EventLanguage.values:
        errors["language"] = [_("Choose a language from the list.")]
    if sensitivity not in Sensitivity.values:
        errors["sensitivity"] = [_("Choose a sensitivity from the list.")]
    if starts_at is None:
        errors["starts_at"] = [_("Give the date and time the event starts.")]
    if ends_at is None:
        errors["ends_at"] = [_("Give the date and time the event ends.")]
    elif starts_at is not None and ends_at < starts_at:
        errors["ends_at"] = [_("The event cannot end before it starts.")]
    elif starts_at is not None and ends_at - starts_at > dt.timedelta(days=31):
        errors["ends_at"] = [_("An event lasts at most 31 days; record a longer activity as several events.")]
    if place is None:
        errors["place"] = [_("Choose where the event takes place.")]
    else:
        district = district_of(programme, place)
        country = programme.country
        in_country = country is None or place.path.startswith(country.path)
        if district is None and (level in (Level.COMMUNITY, Level.DISTRICT) or not in_country):
            errors["place"] = [_("Choose a place in one of the programme's locations.")]
        elif district is not None and not place_in_scope(actor, programme, place):
            errors["place"] = [_("You can only record events in your own districts.")]
        elif district is None and not place_in_scope(actor, programme, place):
            errors["place"] = [_("Only the lead organisation records regional and national events.")]
        values["district"] = district
    if test_max_score is not None and not 1 <= test_max_score <= 1000:
        errors["test_max_score"] = [_("Give a highest score from 1 to 1000.")]
    if kind is not None and kind.category == Category.TRAINING and test_max_score is None:
        values["test_max_score"] = 100
    else:
        values["test_max_score"] = test_max_score
    return values, errors


def _related(
    programme: Programme,
    *,
    facilitators: Iterable[Any] | None,
    groups: Iterable[Any] | None,
    concerns: Iterable[Any] | None,
    topics: Iterable[Any] | None,
    errors: dict[str, list[str]],
) -> dict[str, list[Any]]:
    """The linked records, each of this programme (ids or objects), or an error keyed by field."""
    found: dict[str, list[Any]] = {}
    for field, model, items, message in (
        ("facilitators", Person, facilitators, _("Choose facilitators from the programme's people.")),
        ("groups", WorkingGroup, groups, _("Choose working groups of the programme.")),
        ("concerns", Concern, concerns, _("Choose concerns of the programme.")),
        ("topics", TrainingTopic, topics, _("Choose topics from the programme's list.")),
    ):
        if items is None:
            continue
        ids = {getattr(item, "pk", item) for item in items}
        manager: Any = model.objects
        rows = list(manager.filter(programme=programme, pk__in=[i for i in ids if isinstance(i, int)]))
        if len(rows) != len(ids):
            errors[field] = [message]
        found[field] = rows
    return found


@transaction.atomic
def event_create(
    *,
    actor: Any,
    programme: Programme,
    kind: EventKind | None,
    title: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    place: Place | None,
    level: str = Level.DISTRICT,
    venue: str = "",
    language: str = EventLanguage.TG,
    organiser: Organisation | None = None,
    facilitators: Iterable[Any] = (),
    groups: Iterable[Any] = (),
    concerns: Iterable[Any] = (),
    topics: Iterable[Any] = (),
    test_max_score: int | None = None,
    agenda: str = "",
    minutes: str = "",
    decisions: str = "",
    sensitivity: str = Sensitivity.INTERNAL,
) -> Event:
    enforce(actor, "event.create", programme)
    values, errors = _validate(
        actor=actor,
        programme=programme,
        kind=kind,
        level=level,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        language=language,
        sensitivity=sensitivity,
        agenda=agenda,
        minutes=minutes,
        decisions=decisions,
        test_max_score=test_max_score,
    )
    try:
        values["venue"] = clean_text(venue, field="venue", required=False, limit=200)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    related = _related(
        programme, facilitators=facilitators, groups=groups, concerns=concerns, topics=topics, errors=errors
    )
    organiser = _organiser_for(actor, programme, organiser)
    if organiser is None:
        errors["organiser"] = [_("Choose the organisation that organises the event.")]
    if errors or kind is None or starts_at is None or ends_at is None or place is None or organiser is None:
        raise ValidationError(errors)
    event = Event.objects.create(
        programme=programme,
        kind=kind,
        level=level,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        language=language,
        organiser=organiser,
        sensitivity=sensitivity,
        **values,
    )
    for field, rows in related.items():
        getattr(event, field).set(rows)
    audit.record(
        actor=actor,
        action="event.create",
        obj=event,
        programme=programme,
        summary={"kind": kind.code if kind else "", "place": place.code if place else "", "level": level},
    )
    return event


#: Fields ``event_update`` may change (status moves go through ``event_hold`` / ``event_cancel``).
EDITABLE = (
    "kind",
    "level",
    "title",
    "starts_at",
    "ends_at",
    "place",
    "venue",
    "language",
    "organiser",
    "test_max_score",
    "agenda",
    "minutes",
    "decisions",
    "sensitivity",
)
RELATED = ("facilitators", "groups", "concerns", "topics")


@transaction.atomic
def event_update(*, actor: Any, event: Event, **changes: Any) -> Event:
    """Change an event's details; attendance rows follow a new date or district."""
    enforce(actor, "event.change", event)
    unknown = set(changes) - set(EDITABLE) - set(RELATED)
    if unknown:
        raise TypeError(f"event_update: unknown fields {sorted(unknown)}")
    # The row as it is now, locked: a stale instance must not put back an old status or detail.
    event = Event.objects.select_for_update().select_related("programme", "kind").get(pk=event.pk)
    programme = event.programme
    merged = {field: changes.get(field, getattr(event, field)) for field in EDITABLE}
    values, errors = _validate(
        actor=actor,
        programme=programme,
        kind=merged["kind"],
        level=merged["level"],
        title=merged["title"],
        starts_at=merged["starts_at"],
        ends_at=merged["ends_at"],
        place=merged["place"],
        language=merged["language"],
        sensitivity=merged["sensitivity"],
        agenda=merged["agenda"],
        minutes=merged["minutes"],
        decisions=merged["decisions"],
        test_max_score=merged["test_max_score"],
    )
    try:
        values["venue"] = clean_text(merged["venue"], field="venue", required=False, limit=200)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    related = _related(
        programme,
        facilitators=changes.get("facilitators"),
        groups=changes.get("groups"),
        concerns=changes.get("concerns"),
        topics=changes.get("topics"),
        errors=errors,
    )
    organiser = merged["organiser"]
    if "organiser" in changes and organiser != event.organiser:
        grant = grant_in(actor, programme) if actor is not None else None
        if grant is not None and grant.role == Role.PARTNER:
            errors["organiser"] = [_("Only the lead organisation can hand an event to another organisation.")]
    kind = merged["kind"]
    if (
        kind is not None
        and kind.category != Category.TRAINING
        and event.attendances.filter(pre_score__isnull=False).exists()
    ):
        errors["kind"] = [_("This event has test scores; it must stay a training.")]
    if errors:
        raise ValidationError(errors)
    before = {field: str(getattr(event, field)) for field in EDITABLE}
    for field in ("kind", "level", "starts_at", "ends_at", "place", "language", "organiser", "sensitivity"):
        setattr(event, field, merged[field])
    for field, value in values.items():
        setattr(event, field, value)
    event.save(update_fields=[*EDITABLE, "district", "updated_at"])
    for field, rows in related.items():
        getattr(event, field).set(rows)
    event.attendances.update(
        held_on=local_date(programme, event.starts_at), district=values["district"], programme=programme
    )
    changed = sorted(f for f in EDITABLE if str(getattr(event, f)) != before[f]) + sorted(related)
    audit.record(actor=actor, action="event.update", obj=event, programme=programme, summary={"changed": changed})
    return event


@transaction.atomic
def event_hold(*, actor: Any, event: Event) -> Event:
    """Mark a planned event as held (it has started)."""
    enforce(actor, "event.change", event)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status != Status.PLANNED:
        raise ValidationError({"status": [_("Only a planned event can be marked as held.")]})
    if event.starts_at > timezone.now():
        raise ValidationError({"status": [_("The event has not started yet.")]})
    event.status = Status.HELD
    event.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action="event.hold", obj=event, programme=event.programme)
    return event


@transaction.atomic
def event_cancel(*, actor: Any, event: Event, reason: str) -> Event:
    """Cancel a planned event; one that has attendance recorded was held and cannot be cancelled."""
    enforce(actor, "event.change", event)
    event = Event.objects.select_for_update().get(pk=event.pk)
    reason = clean_text(reason, field="cancel_reason", limit=2000)
    if event.status != Status.PLANNED:
        raise ValidationError({"status": [_("Only a planned event can be cancelled.")]})
    if event.attendances.exists() or event.tallies.exists():
        raise ValidationError({"status": [_("People's attendance is recorded: this event was held.")]})
    event.status = Status.CANCELLED
    event.cancel_reason = reason
    event.save(update_fields=["status", "cancel_reason", "updated_at"])
    audit.record(actor=actor, action="event.cancel", obj=event, programme=event.programme)
    return event
