"""Campaign products (a leaflet, a video, a play) and their reach (each distribution or performance: when,
where, through which channel, people reached by sex × age band, feedback). Every write keyword-only,
atomic, checked against the registry and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import enforce, grant_in
from hamkori.concerns.services import clean_text, programme_districts
from hamkori.core import audit
from hamkori.core.roles import Role
from hamkori.events.models import Event
from hamkori.grants.models import (
    MAX_TEXT,
    CampaignFormat,
    CampaignProduct,
    Channel,
    Grant,
    GrantStatus,
    Language,
    Reach,
    ReachCount,
)
from hamkori.orgs.models import Organisation
from hamkori.people.models import AgeBand, Sex
from hamkori.people.services import place_in_scope
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: The most people one distribution or performance may count (a typo guard: a district has fewer).
MAX_PEOPLE = 1_000_000


def _owner(actor: Any, programme: Programme, grant: Grant | None) -> Organisation:
    access = grant_in(actor, programme) if actor is not None else None
    if access is not None and access.role == Role.PARTNER and access.organisation_id is not None:
        return Organisation.objects.get(pk=access.organisation_id)
    if grant is not None:
        return grant.owner
    return programme.lead_organisation


@transaction.atomic
def product_save(
    *,
    actor: Any,
    programme: Programme,
    product: CampaignProduct | None = None,
    grant: Grant | None,
    district: Place | None,
    format: CampaignFormat | None,
    title: str,
    language: str,
    quantity: Any = 1,
    link: str = "",
    description: str = "",
) -> CampaignProduct:
    """Record (or change) a product. With a grant, it belongs to the grant's district."""
    if product is not None:
        enforce(actor, "campaignproduct.change", product)
    elif grant is not None:
        enforce(actor, "grant.report", grant)
    else:
        enforce(actor, "campaignproduct.change", programme)
    errors: dict[str, list[str]] = {}
    if grant is not None:
        if grant.programme_id != programme.pk:
            errors["grant"] = [_("Select a valid choice. That choice is not one of the available choices.")]
        elif grant.status == GrantStatus.CLOSED and product is None:
            errors["grant"] = [_("This grant is closed.")]
        district = grant.district
    if district is None or district.pk not in {p.pk for p in programme_districts(programme)}:
        errors["district"] = [_("Choose one of the programme's locations.")]
    elif actor is not None and not place_in_scope(actor, programme, district):
        errors["district"] = [_("Choose one of your districts.")]
    if format is None or format.programme_id != programme.pk:
        errors["format"] = [_("Choose the format.")]
    if language not in Language.values:
        errors["language"] = [_("Choose the language.")]
    values: dict[str, Any] = {}
    for field, text, required, limit in (("title", title, True, 200), ("description", description, False, MAX_TEXT)):
        try:
            values[field] = clean_text(text, field=field, required=required, limit=limit)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        count = int(str(quantity).strip())
        if not 1 <= count <= MAX_PEOPLE:
            raise ValueError
    except ValueError:
        errors["quantity"] = [_("Give a whole number from 1 to %(max)s.") % {"max": MAX_PEOPLE}]
        count = 1
    link = (link or "").strip()
    if link:
        try:
            URLValidator(schemes=["http", "https"])(link)
        except ValidationError:
            errors["link"] = [_("Enter a web address starting with https:// or http://.")]
        if len(link) > 200:
            errors["link"] = [
                _("Please keep this under %(limit)s characters (it has %(count)s).")
                % {"limit": 200, "count": len(link)}
            ]
    if errors or district is None or format is None:
        raise ValidationError(errors)
    created = product is None
    if product is None:
        product = CampaignProduct(programme=programme, owner=_owner(actor, programme, grant))
    product.grant, product.district, product.format = grant, district, format
    product.language, product.quantity, product.link = language, count, link
    product.title, product.description = values["title"], values["description"]
    product.save()
    audit.record(
        actor=actor,
        action="campaign.product" if created else "campaign.product_update",
        obj=product,
        summary={"grant": grant.pk if grant else None, "format": format.code if format else "", "quantity": count},
    )
    return product


def clean_counts(counts: Mapping[tuple[str, str], Any]) -> tuple[dict[tuple[str, str], int], list[str]]:
    """(sex, age band) -> count as typed: whole numbers from 0, known cells only."""
    clean: dict[tuple[str, str], int] = {}
    errors: list[str] = []
    for (sex, band), raw in counts.items():
        if sex not in Sex.values or band not in AgeBand.values:
            errors.append(_("Unknown sex or age band."))
            continue
        text = str(raw if raw is not None else "").strip()
        if text == "":
            continue
        try:
            value = int(text)
        except ValueError:
            value = -1
        if not 0 <= value <= MAX_PEOPLE:
            errors.append(
                _("%(sex)s, %(band)s: give a whole number of people from 0.")
                % {"sex": Sex(sex).label, "band": AgeBand(band).label}
            )
            continue
        if value:
            clean[(sex, band)] = value
    return clean, errors


@transaction.atomic
def reach_save(
    *,
    actor: Any,
    product: CampaignProduct,
    reach: Reach | None = None,
    on: dt.date | None,
    place: Place | None,
    channel: str,
    counts: Mapping[tuple[str, str], Any],
    copies: Any = 0,
    feedback: str = "",
    event: Event | None = None,
) -> Reach:
    """Record (or correct) one distribution or performance of ``product`` and the people it reached."""
    enforce(actor, "campaignproduct.change", product)
    errors: dict[str, list[str]] = {}
    if on is None:
        errors["on"] = [_("This field is required.")]
    elif on > timezone.localdate() + dt.timedelta(days=1):
        errors["on"] = [_("Record reach once it has happened.")]
    district = product.district
    if place is None or not place.path.startswith(district.path):
        errors["place"] = [_("Choose the district or one of its jamoats and villages.")]
    elif actor is not None and not place_in_scope(actor, product.programme, place):
        errors["place"] = [_("Choose one of your districts.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Choose the channel.")]
    if event is not None and event.programme_id != product.programme_id:
        errors["event"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    clean, count_errors = clean_counts(counts)
    if count_errors:
        errors["counts"] = count_errors
    try:
        handed = int(str(copies or 0).strip() or "0")
        if not 0 <= handed <= MAX_PEOPLE:
            raise ValueError
    except ValueError:
        errors["copies"] = [_("Give a whole number from 0.")]
        handed = 0
    try:
        text = clean_text(feedback, field="feedback", required=False, limit=MAX_TEXT)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        text = ""
    if not errors and not clean and not handed:
        errors["counts"] = [_("Count the people reached, or the copies handed out.")]
    if errors or on is None or place is None:
        raise ValidationError(errors)
    created = reach is None
    if reach is None:
        reach = Reach(programme_id=product.programme_id, product=product, district=district)
    elif reach.product_id != product.pk:
        raise ValidationError(
            {"__all__": [_("Select a valid choice. That choice is not one of the available choices.")]}
        )
    reach.on, reach.place, reach.channel = on, place, channel
    reach.copies, reach.feedback, reach.event = handed, text, event
    reach.save()
    reach.counts.all().delete()
    ReachCount.objects.bulk_create(
        [ReachCount(reach=reach, sex=sex, age_band=band, count=value) for (sex, band), value in clean.items()]
    )
    audit.record(
        actor=actor,
        action="campaign.reach" if created else "campaign.reach_update",
        obj=product,
        summary={"on": on.isoformat() if on else "", "people": sum(clean.values()), "copies": handed},
    )
    return reach
