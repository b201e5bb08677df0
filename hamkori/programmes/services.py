"""Every write to programmes. Each function is keyword-only, atomic and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hamkori.core import audit
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place
from hamkori.programmes.models import Currency, Programme, ProgrammeLocation, ProgrammePartner

FIELDS = [
    "title_tg",
    "title_ru",
    "title_en",
    "summary_tg",
    "summary_ru",
    "summary_en",
    "lead_organisation",
    "budget",
    "currency",
    "start_date",
    "end_date",
    "time_zone",
    "country",
    "public_reports",
]


def _validate(values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if values["end_date"] < values["start_date"]:
        errors.setdefault("end_date", []).append(_("The end date must not be before the start date."))
    if Decimal(values["budget"]) < 0:
        errors.setdefault("budget", []).append(_("The budget cannot be negative."))
    if values["currency"] not in Currency.values:
        errors.setdefault("currency", []).append(_("Unknown currency."))
    if not any(values.get(k) for k in ("title_tg", "title_ru", "title_en")):
        errors.setdefault("title_en", []).append(_("Give the programme a title in at least one language."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def programme_create(
    *,
    actor: Any,
    code: str,
    lead_organisation: Organisation,
    budget: Decimal,
    start_date: dt.date,
    end_date: dt.date,
    currency: str = Currency.USD,
    donors: Sequence[Organisation] = (),
    **values: Any,
) -> Programme:
    data = {
        "lead_organisation": lead_organisation,
        "budget": budget,
        "currency": currency,
        "start_date": start_date,
        "end_date": end_date,
        **values,
    }
    _validate(data)
    if Programme.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("A programme with this code already exists.")]})
    programme = Programme.objects.create(code=code, **data)
    programme.donors.set(donors)
    audit.record(
        actor=actor,
        action="programme.create",
        obj=programme,
        programme=programme,
        summary={"code": code, "budget": budget, "currency": currency},
    )
    return programme


@transaction.atomic
def programme_update(
    *, actor: Any, programme: Programme, donors: Sequence[Organisation] | None = None, **values: Any
) -> Programme:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    before = audit.snapshot(programme, FIELDS)
    for key, value in values.items():
        setattr(programme, key, value)
    _validate({f: getattr(programme, f) for f in FIELDS})
    changes = audit.diff(programme, FIELDS, before)
    programme.save()
    if donors is not None and (changed := audit.sync_m2m(programme.donors, donors, key=lambda d: d.pk)):
        changes["donors"] = changed
    if changes:
        audit.record(actor=actor, action="programme.update", obj=programme, summary=changes)
    return programme


@transaction.atomic
def programme_set_locations(*, actor: Any, programme: Programme, places: Sequence[Place]) -> None:
    """Set the programme's locations, in the order given."""
    old = list(programme.locations.values_list("place__code", flat=True))
    new = [p.code for p in places]
    if old == new:
        return
    if len(set(new)) != len(new):
        raise ValidationError({"places": [_("A location is listed twice.")]})
    programme.locations.all().delete()
    ProgrammeLocation.objects.bulk_create(
        ProgrammeLocation(programme=programme, place=place, order=i) for i, place in enumerate(places)
    )
    audit.record(actor=actor, action="programme.locations", obj=programme, summary={"from": old, "to": new})


@transaction.atomic
def programme_create_with_locations(*, actor: Any, places: Sequence[Place], **values: Any) -> Programme:
    """Start a programme (:func:`programme_create`'s keywords) with its locations, all or nothing."""
    programme = programme_create(actor=actor, **values)
    programme_set_locations(actor=actor, programme=programme, places=places)
    return programme


@transaction.atomic
def programme_update_with_locations(
    *, actor: Any, programme: Programme, places: Sequence[Place], **values: Any
) -> Programme:
    """The settings page's save: :func:`programme_update` and, if the set of places changed, the
    locations, all or nothing."""
    programme_update(actor=actor, programme=programme, **values)
    if {loc.place_id for loc in programme.locations.all()} != {p.pk for p in places}:
        programme_set_locations(actor=actor, programme=programme, places=places)
    return programme


@transaction.atomic
def programme_set_partner(
    *, actor: Any, programme: Programme, organisation: Organisation, places: Sequence[Place] = ()
) -> ProgrammePartner:
    """Add a partner organisation (or change the locations it covers)."""
    if organisation.kind != Organisation.Kind.PARTNER:
        raise ValidationError({"organisation": [_("Only a partner organisation can be added as a partner.")]})
    allowed = set(programme.locations.values_list("place_id", flat=True))
    if any(p.pk not in allowed for p in places):
        raise ValidationError({"places": [_("A partner can only cover the programme's own locations.")]})
    partnership, created = ProgrammePartner.objects.get_or_create(programme=programme, organisation=organisation)
    old = sorted(partnership.places.values_list("code", flat=True))
    new = sorted(p.code for p in places)
    if created or old != new:
        partnership.places.set(places)
        audit.record(
            actor=actor,
            action="programme.partner",
            obj=programme,
            summary={"organisation": organisation.name_en, "places": new, "created": created},
        )
    return partnership
