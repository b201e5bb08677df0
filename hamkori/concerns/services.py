"""Every write to concerns: record, triage, edit, move along the lifecycle, merge, note, publish.

Keyword-only, atomic, one audit event per change, and a timeline row (:class:`ConcernEvent`) for
every change a person would want to see on the concern's page. Prioritisation rounds, actions,
referrals, sign-offs and reviews have their own service modules; public intake is ``intake.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import decide, enforce, grant_in
from hamkori.concerns.models import (
    MAX_TEXT,
    AffectedGroup,
    Concern,
    ConcernEvent,
    Criterion,
    Driver,
    Source,
    Status,
    TextLanguage,
)
from hamkori.concerns.workflow import MOVES, check_move
from hamkori.core import audit
from hamkori.core.models import Sensitivity
from hamkori.core.roles import Role
from hamkori.groups.models import WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.people.services import place_in_scope
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

MAX_LINKS = 10


def clean_text(value: str | None, *, field: str, required: bool = True, limit: int = MAX_TEXT) -> str:
    """Trimmed text, or a translated error keyed by ``field`` (empty when required, or too long)."""
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > limit:
        raise ValidationError(
            {
                field: [
                    _("Please keep this under %(limit)s characters (it has %(count)s).")
                    % {"limit": limit, "count": len(text)}
                ]
            }
        )
    return text


def programme_districts(programme: Programme) -> list[Place]:
    """The places a concern can belong to: the programme's locations (districts or cities)."""
    return [loc.place for loc in programme.locations.select_related("place").order_by("order", "pk")]


def _validate_where(programme: Programme, district: Place | None, place: Place | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if district is None or district.pk not in {p.pk for p in programme_districts(programme)}:
        errors["district"] = [_("Choose one of the programme's locations.")]
    elif place is not None and (place.pk == district.pk or not place.path.startswith(district.path)):
        errors["place"] = [_("Choose a jamoat or village of the district, or leave it empty.")]
    return errors


def _terms(
    model: type[Driver] | type[AffectedGroup], programme: Programme, items: Iterable[Any], field: str
) -> list[Any]:
    items = list(items)
    ids = {getattr(item, "pk", item) for item in items}
    found = list(model.objects.filter(programme=programme, pk__in=[i for i in ids if isinstance(i, int)]))
    if len(found) != len(ids):
        raise ValidationError({field: [_("Choose from the programme's list.")]})
    return found


def _links(links: Sequence[str] | None) -> list[str]:
    cleaned = [link.strip() for link in (links or []) if link and link.strip()]
    if len(cleaned) > MAX_LINKS:
        raise ValidationError({"evidence_links": [_("At most %(n)s links.") % {"n": MAX_LINKS}]})
    check = URLValidator(schemes=["http", "https"])
    for link in cleaned:
        try:
            if len(link) > 500:
                raise ValidationError("too long")
            check(link)
        except ValidationError:
            raise ValidationError(
                {"evidence_links": [_("“%(link)s” is not a web address (https://…).") % {"link": link[:60]}]}
            ) from None
    return cleaned


def timeline(
    concern: Concern,
    *,
    actor: Any,
    kind: str,
    text: str = "",
    from_status: str = "",
    to_status: str = "",
    restricted: bool = False,
) -> ConcernEvent:
    """Add one row to the concern's timeline (for the other service modules of this app)."""
    return ConcernEvent.objects.create(
        concern=concern,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        text=text,
        from_status=from_status,
        to_status=to_status,
        restricted=restricted,
    )


def _placeholder_reference() -> str:
    return "~" + secrets.token_hex(8)


def reference_for(pk: int) -> str:
    """``C-000123``: from the row's id, so concurrent submissions never wait on a counter."""
    return f"C-{pk:06d}"


def assign_reference(concern: Concern) -> None:
    concern.reference = reference_for(concern.pk)
    Concern.objects.filter(pk=concern.pk).update(reference=concern.reference)


def _owner_for(actor: Any, programme: Programme) -> Organisation | None:
    grant = grant_in(actor, programme) if actor is not None else None
    if grant is not None and grant.role == Role.PARTNER and grant.organisation_id:
        return Organisation.objects.filter(pk=grant.organisation_id).first()
    return None


@transaction.atomic
def concern_create(
    *,
    actor: Any,
    programme: Programme,
    description: str,
    district: Place | None,
    place: Place | None = None,
    location_text: str = "",
    language: str = TextLanguage.TG,
    drivers: Iterable[Any] = (),
    affected_groups: Iterable[Any] = (),
    source: str = Source.CONSULTATION,
    sensitivity: str = Sensitivity.INTERNAL,
    evidence_links: Sequence[str] | None = None,
    restricted_notes: str = "",
    group: WorkingGroup | None = None,
) -> Concern:
    """Record a concern raised in the field (public submissions go through ``intake``)."""
    enforce(actor, "concern.create", programme)
    errors = _validate_where(programme, district, place)
    try:
        description = clean_text(description, field="description")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        location_text = clean_text(location_text, field="location_text", required=False, limit=200)
        restricted_notes = clean_text(restricted_notes, field="restricted_notes", required=False)
        links = _links(evidence_links)
        driver_rows = _terms(Driver, programme, drivers, "drivers")
        group_rows = _terms(AffectedGroup, programme, affected_groups, "affected_groups")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if language not in TextLanguage.values:
        errors["language"] = [_("Choose a language from the list.")]
    if source not in Source.values:
        errors["source"] = [_("Choose a source from the list.")]
    if sensitivity not in Sensitivity.values:
        errors["sensitivity"] = [_("Choose a sensitivity from the list.")]
    if "district" not in errors and district is not None and not place_in_scope(actor, programme, district):
        errors["district"] = [_("You can only record concerns in your own districts.")]
    if group is not None and (group.programme_id != programme.pk or group.district_id != getattr(district, "pk", None)):
        errors["group"] = [_("Choose a working group of the concern's district.")]
    if errors or district is None:
        raise ValidationError(errors)
    concern = Concern.objects.create(
        programme=programme,
        reference=_placeholder_reference(),
        description=description,
        language=language,
        district=district,
        place=place,
        location_text=location_text,
        source=source,
        sensitivity=sensitivity,
        evidence_links=links,
        restricted_notes=restricted_notes,
        owner=_owner_for(actor, programme),
        group=group,
    )
    assign_reference(concern)
    concern.drivers.set(driver_rows)
    concern.affected_groups.set(group_rows)
    timeline(concern, actor=actor, kind=ConcernEvent.Kind.CREATED, to_status=concern.status)
    audit.record(
        actor=actor,
        action="concern.create",
        obj=concern,
        summary={"district": district.code, "source": source, "sensitivity": sensitivity},
    )
    return concern


EDITABLE = [
    "description",
    "language",
    "district",
    "place",
    "location_text",
    "source",
    "sensitivity",
    "evidence_links",
    "restricted_notes",
    "group",
]


@transaction.atomic
def concern_update(
    *,
    actor: Any,
    concern: Concern,
    drivers: Iterable[Any] | None = None,
    affected_groups: Iterable[Any] | None = None,
    **values: Any,
) -> Concern:
    """Change a concern's details (and its drivers and affected groups when given)."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    enforce(actor, "concern.change", concern)
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    programme = concern.programme
    before = audit.snapshot(concern, EDITABLE)
    merged = {**before, **values}
    errors = _validate_where(programme, merged["district"], merged["place"])
    cleaned: dict[str, Any] = {}
    for field, required, limit in (
        ("description", True, MAX_TEXT),
        ("location_text", False, 200),
        ("restricted_notes", False, MAX_TEXT),
    ):
        try:
            cleaned[field] = clean_text(merged[field], field=field, required=required, limit=limit)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        cleaned["evidence_links"] = _links(merged["evidence_links"])
        driver_rows = _terms(Driver, programme, drivers, "drivers") if drivers is not None else None
        group_rows = (
            _terms(AffectedGroup, programme, affected_groups, "affected_groups")
            if affected_groups is not None
            else None
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for field, choices in (("language", TextLanguage), ("source", Source), ("sensitivity", Sensitivity)):
        if merged[field] not in choices.values:
            errors[field] = [_("Choose from the list.")]
    group = merged["group"]
    if group is not None and (
        group.programme_id != programme.pk or group.district_id != getattr(merged["district"], "pk", None)
    ):
        errors["group"] = [_("Choose a working group of the concern's district.")]
    if (
        "district" not in errors
        and merged["district"] != before["district"]
        and not place_in_scope(actor, programme, merged["district"])
    ):
        errors["district"] = [_("You can only record concerns in your own districts.")]
    if errors:
        raise ValidationError(errors)
    for key in EDITABLE:
        setattr(concern, key, cleaned.get(key, merged[key]))
    changes = audit.diff(concern, EDITABLE, before)
    if "restricted_notes" in changes:
        changes["restricted_notes"] = ["…", "…"]  # the audit log never copies restricted text
    if "description" in changes:
        changes["description"] = ["…", "…"]
    for name, manager, rows in (
        ("drivers", concern.drivers, driver_rows),
        ("affected_groups", concern.affected_groups, group_rows),
    ):
        if rows is not None:
            change = audit.sync_m2m(manager, rows, key=lambda term: term.code)
            if change:
                changes[name] = change
    if changes:
        concern.save()
        timeline(concern, actor=actor, kind=ConcernEvent.Kind.UPDATED, text=", ".join(sorted(changes)))
        audit.record(actor=actor, action="concern.update", obj=concern, summary=changes)
    return concern


def _set_status(concern: Concern, *, actor: Any, to_status: str, reason: str = "") -> None:
    old = concern.status
    concern.status = to_status
    concern.status_changed_at = timezone.now()
    if to_status == Status.DECLINED:
        concern.decline_reason = reason
    concern.save(update_fields=["status", "status_changed_at", "decline_reason", "updated_at"])
    timeline(concern, actor=actor, kind=ConcernEvent.Kind.STATUS, from_status=old, to_status=to_status, text=reason)
    audit.record(
        actor=actor,
        action="concern.move",
        obj=concern,
        summary={"status": [old, to_status], **({"reason": reason[:200]} if reason else {})},
    )


def move(concern: Concern, *, actor: Any, to_status: str, reason: str = "", by_service: bool = False) -> Concern:
    """Move ``concern`` (locked by the caller) after the state machine's checks; for services of this
    app that make the moves no button makes (a round's decision, a review, a merge)."""
    move_rule = MOVES.get(concern.status, {}).get(to_status)
    if move_rule is not None and move_rule.by_service and not by_service:
        raise ValidationError({"to_status": [_("This step is taken elsewhere: %(how)s") % {"how": _how(to_status)}]})
    decision = check_move(actor, concern, to_status)
    if not decision:
        if actor is not None and move_rule is not None and not decide(actor, move_rule.action, concern):
            raise PermissionDenied(str(decision.reason))
        raise ValidationError({"to_status": [str(decision.reason)]})
    if move_rule is not None and move_rule.needs_reason and not reason.strip():
        raise ValidationError({"reason": [_("Say why, for the timeline.")]})
    _set_status(concern, actor=actor, to_status=to_status, reason=reason.strip())
    return concern


def _how(to_status: str) -> str:
    how: dict[str, str] = {
        Status.PRIORITISED: _("a working group's prioritisation round decides it."),
        Status.REVIEWED: _("record the review."),
        Status.MERGED: _("merge it into the concern it duplicates."),
    }
    return how.get(to_status, "")


@transaction.atomic
def concern_move(*, actor: Any, concern: Concern, to_status: str, reason: str = "") -> Concern:
    """Move a concern along its lifecycle by hand (see :mod:`hamkori.concerns.workflow`)."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    reason = clean_text(reason, field="reason", required=False, limit=2000)
    return move(concern, actor=actor, to_status=to_status, reason=reason)


@transaction.atomic
def concern_triage(
    *,
    actor: Any,
    concern: Concern,
    drivers: Iterable[Any],
    affected_groups: Iterable[Any] = (),
    sensitivity: str,
    place: Place | None = None,
    group: WorkingGroup | None = None,
    note: str = "",
) -> Concern:
    """Verify a new concern: categorise it, set its sensitivity (and where and which group), and move
    it from reported to triaged. A concern needs at least one driver to be triaged."""
    enforce(actor, "concern.change", concern)
    drivers = list(drivers)
    if not drivers:
        raise ValidationError({"drivers": [_("Choose at least one driver of insecurity.")]})
    concern = concern_update(
        actor=actor,
        concern=concern,
        drivers=drivers,
        affected_groups=affected_groups,
        sensitivity=sensitivity,
        place=place,
        group=group,
    )
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    note = clean_text(note, field="note", required=False, limit=2000)
    if concern.owner_id is None and (owner := _owner_for(actor, concern.programme)) is not None:
        concern.owner = owner  # the partner who triages a public submission takes it on
        concern.save(update_fields=["owner", "updated_at"])
    move(concern, actor=actor, to_status=Status.TRIAGED, reason=note)
    return concern


@transaction.atomic
def concern_merge(*, actor: Any, duplicate: Concern, into: Concern, note: str = "") -> Concern:
    """Merge ``duplicate`` into ``into`` (same programme and district): the duplicate closes as merged,
    its drivers and affected groups join the kept concern's, and a receipt code given for it then
    follows the kept concern's status."""
    enforce(actor, "concern.change", duplicate)
    enforce(actor, "concern.change", into)
    duplicate, into = (Concern.objects.select_for_update().get(pk=c.pk) for c in (duplicate, into))
    if duplicate.pk == into.pk:
        raise ValidationError({"into": [_("A concern cannot be merged into itself.")]})
    if (duplicate.programme_id, duplicate.district_id) != (into.programme_id, into.district_id):
        raise ValidationError({"into": [_("Only concerns of the same district can be merged.")]})
    if into.status in (Status.MERGED, Status.DECLINED):
        raise ValidationError({"into": [_("Choose a concern that is still open.")]})
    decision = check_move(actor, duplicate, Status.MERGED)
    if not decision:
        raise ValidationError({"into": [str(decision.reason)]})
    note = clean_text(note, field="note", required=False, limit=2000)
    into.drivers.add(*duplicate.drivers.all())
    into.affected_groups.add(*duplicate.affected_groups.all())
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into", "updated_at"])
    move(duplicate, actor=actor, to_status=Status.MERGED, reason=note or into.reference, by_service=True)
    timeline(into, actor=actor, kind=ConcernEvent.Kind.MERGED, text=duplicate.reference)
    audit.record(actor=actor, action="concern.merge", obj=into, summary={"merged": duplicate.reference})
    return into


def resolve_merged(concern: Concern) -> Concern:
    """The concern a merged one now lives in (following chains), for receipts and links."""
    seen = {concern.pk}
    while concern.merged_into_id is not None and concern.merged_into_id not in seen:
        seen.add(concern.merged_into_id)
        concern = Concern.objects.get(pk=concern.merged_into_id)
    return concern


@transaction.atomic
def concern_note(*, actor: Any, concern: Concern, text: str, restricted: bool = False) -> ConcernEvent:
    """A note on the timeline; ``restricted`` notes are seen by the lead and the owning partner only."""
    needed = "concern.view_restricted" if restricted else "concern.view"
    enforce(actor, needed, concern)
    text = clean_text(text, field="text", limit=2000)
    event = timeline(concern, actor=actor, kind=ConcernEvent.Kind.NOTE, text=text, restricted=restricted)
    audit.record(actor=actor, action="concern.note", obj=concern, summary={"restricted": restricted})
    return event


@transaction.atomic
def concern_publish_note(*, actor: Any, concern: Concern, text: str, do_no_harm_checked: bool) -> Concern:
    """Publish (or, with empty ``text``, withdraw) the short "what was done" note that the receipt
    code and the district's public page show. Staff confirm the do-no-harm check: it names no one."""
    enforce(actor, "concern.publish", concern)
    text = clean_text(text, field="text", required=False, limit=1000)
    if text and not do_no_harm_checked:
        raise ValidationError(
            {"do_no_harm_checked": [_("Confirm that the note names no one and cannot identify anyone.")]}
        )
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    concern.public_note = text
    concern.public_note_published_at = timezone.now() if text else None
    concern.save(update_fields=["public_note", "public_note_published_at", "updated_at"])
    timeline(concern, actor=actor, kind=ConcernEvent.Kind.PUBLISHED, text=text)
    audit.record(actor=actor, action="concern.publish_note", obj=concern, summary={"published": bool(text)})
    return concern


#: A new programme's starting vocabulary (its admin edits it: the taxonomy is data, not code).
#: (code, tg, ru, en)
DEFAULT_CRITERIA = [
    ("severity", "Вазнинӣ", "Серьёзность", "Severity"),
    ("affected", "Шумораи зарардидагон", "Сколько людей затронуто", "How many are affected"),
    ("urgency", "Фаврият", "Срочность", "Urgency"),
    ("feasibility", "Имконпазирӣ", "Выполнимость", "Feasibility"),
]
DEFAULT_AFFECTED_GROUPS = [
    ("women", "Занон", "Женщины", "Women"),
    ("girls", "Духтарон", "Девочки", "Girls"),
    ("boys", "Писарон", "Мальчики", "Boys"),
    ("youth", "Ҷавонон", "Молодёжь", "Young people"),
    ("migrants", "Муҳоҷирони меҳнатӣ", "Трудовые мигранты", "Labour migrants and returnees"),
    ("minorities", "Ақаллиятҳои қавмӣ", "Этнические меньшинства", "Ethnic minorities"),
    ("disability", "Шахсони дорои маълулият", "Люди с инвалидностью", "People with disabilities"),
    ("elderly", "Пиронсолон", "Пожилые люди", "Older people"),
]


@transaction.atomic
def vocabulary_ensure(
    *,
    actor: Any,
    programme: Programme,
    drivers: Sequence[tuple[str, str, str, str]] = (),
    affected_groups: Sequence[tuple[str, str, str, str]] = tuple(DEFAULT_AFFECTED_GROUPS),
    criteria: Sequence[tuple[str, str, str, str]] = tuple(DEFAULT_CRITERIA),
) -> None:
    """Create the given drivers, affected groups and criteria where missing (existing entries keep
    their names: an admin may have edited them)."""
    if actor is not None:
        enforce(actor, "concern.vocabulary", programme)
    created = []
    for model, rows in ((Driver, drivers), (AffectedGroup, affected_groups), (Criterion, criteria)):
        for order, (code, tg, ru, en) in enumerate(rows):
            _obj, made = model.objects.get_or_create(
                programme=programme,
                code=code,
                defaults={"name_tg": tg, "name_ru": ru, "name_en": en, "order": (order + 1) * 10},
            )
            if made:
                created.append(f"{model._meta.model_name}:{code}")
    if created:
        audit.record(actor=actor, action="concern.vocabulary", programme=programme, summary={"created": created})
