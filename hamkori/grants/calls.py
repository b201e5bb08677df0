"""Calls for proposals and the campaign vocabulary: every write keyword-only, atomic, checked and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import enforce
from hamkori.concerns.services import clean_text, programme_districts
from hamkori.core import audit
from hamkori.grants.models import (
    MAX_TEXT,
    ApplicantKind,
    CallCriterion,
    CallStatus,
    CampaignFormat,
    GrantCall,
    Language,
    ReviewScore,
    ScreeningQuestion,
)
from hamkori.grants.money import amount_of, committed
from hamkori.places.models import Place
from hamkori.programmes.models import Currency, Programme

#: (code, tg, ru, en): the formats a new programme starts with (an admin edits them).
DEFAULT_FORMATS: list[tuple[str, str, str, str]] = [
    ("leaflet", "Варақа", "Листовка", "Leaflet"),
    ("booklet", "Китобча", "Буклет", "Booklet"),
    ("poster", "Плакат", "Плакат", "Poster"),
    ("video", "Видео", "Видео", "Video"),
    ("theatre", "Театри сайёр", "Передвижной театр", "Mobile theatre"),
    ("radio", "Радио", "Радио", "Radio"),
    ("social", "Шабакаҳои иҷтимоӣ", "Социальные сети", "Social media"),
    ("event", "Чорабинии оммавӣ", "Публичное мероприятие", "Public event"),
]

#: (code, tg, ru, en): the do-no-harm questions a new programme starts with.
DEFAULT_QUESTIONS: list[tuple[str, str, str, str]] = [
    (
        "no-names",
        "Маърака касеро ном намебарад ва ба касе айб намекунад",
        "Кампания никого не называет и не обвиняет",
        "The campaign names and blames no one",
    ),
    (
        "no-tension",
        "Паём байни гурӯҳҳо ё бо милиса ихтилоф ба вуҷуд намеорад",
        "Послание не разжигает напряжённость между группами или с милицией",
        "The message does not stoke tension between groups or with the police",
    ),
    (
        "safe-people",
        "Иштирокчиён ва муаллифон аз таъқиб эминанд",
        "Участники и авторы защищены от преследования",
        "Participants and authors are safe from reprisals",
    ),
    (
        "gender",
        "Маърака ба занон ва духтарон эҳтиром дорад ва онҳоро дар бар мегирад",
        "Кампания уважает и включает женщин и девушек",
        "The campaign respects and includes women and girls",
    ),
    (
        "fair-selection",
        "Интихоби ҷамоатҳо ва иштирокчиён одилона аст",
        "Отбор общин и участников справедлив",
        "Communities and participants are chosen fairly",
    ),
]


@transaction.atomic
def vocabulary_ensure(*, actor: Any, programme: Programme) -> None:
    """Create the default campaign formats and do-no-harm questions where missing (existing entries are kept)."""
    if actor is not None:
        enforce(actor, "grants.vocabulary", programme)
    created: list[str] = []
    for model, rows in ((CampaignFormat, DEFAULT_FORMATS), (ScreeningQuestion, DEFAULT_QUESTIONS)):
        for order, (code, tg, ru, en) in enumerate(rows):
            _obj, made = model.objects.get_or_create(
                programme=programme,
                code=code,
                defaults={"name_tg": tg, "name_ru": ru, "name_en": en, "order": (order + 1) * 10},
            )
            if made:
                created.append(f"{model._meta.model_name}:{code}")
    if created:
        audit.record(actor=actor, action="grants.vocabulary", programme=programme, summary={"created": created})


def call_is_open(call: GrantCall, now: dt.datetime | None = None) -> bool:
    """Applications are taken while the call is open and before its deadline."""
    return call.status == CallStatus.OPEN and (now or timezone.now()) < call.deadline


def _criteria(rows: Sequence[tuple[str, Any, str]]) -> tuple[list[tuple[str, int, str]], list[str]]:
    clean: list[tuple[str, int, str]] = []
    errors: list[str] = []
    for name, weight, guidance in rows:
        name = (name or "").strip()
        if not name:
            continue
        try:
            value = int(str(weight).strip() or "1")
        except ValueError:
            value = 0
        if not 1 <= value <= 100:
            errors.append(_("A criterion's weight is a whole number from 1 to 100 (%(name)s).") % {"name": name})
            continue
        if len(name) > 200 or len(guidance or "") > 2000:
            errors.append(_("A criterion is too long (%(name)s).") % {"name": name[:40]})
            continue
        clean.append((name, value, (guidance or "").strip()))
    return clean, errors


@transaction.atomic
def call_save(
    *,
    actor: Any,
    programme: Programme,
    call: GrantCall | None = None,
    title: str,
    text: str,
    currency: str,
    envelope: Any,
    max_grant: Any = None,
    deadline: dt.datetime | None,
    districts: Iterable[Place],
    applicant_kinds: Iterable[str],
    languages: Iterable[str],
    score_max: int = 5,
    blind_review: bool = False,
    public_applications: bool = True,
    criteria: Sequence[tuple[str, Any, str]] = (),
) -> GrantCall:
    """Create or change a call. Its currency, scale and criteria are fixed once a reviewer has scored; its
    envelope never drops below what its grants committed."""
    enforce(actor, "grantcall.change", call or programme)
    if call is not None:
        call = GrantCall.objects.select_for_update().get(pk=call.pk)
    errors: dict[str, list[str]] = {}

    def keep(field: str, fn: Any) -> Any:
        try:
            return fn()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            return None

    title = keep("title", lambda: clean_text(title, field="title", limit=200))
    text = keep("text", lambda: clean_text(text, field="text", required=False, limit=MAX_TEXT))
    if currency not in Currency.values:
        errors["currency"] = [_("Choose a currency.")]
        currency = Currency.TJS
    amount: Decimal | None = keep("envelope", lambda: amount_of(envelope, currency=currency, field="envelope"))
    biggest: Decimal | None = None
    if max_grant not in (None, ""):
        biggest = keep("max_grant", lambda: amount_of(max_grant, currency=currency, field="max_grant"))
        if biggest is not None and amount is not None and biggest > amount:
            errors["max_grant"] = [_("The largest grant cannot be more than the envelope.")]
    if deadline is None:
        errors["deadline"] = [_("This field is required.")]
    allowed = {p.pk for p in programme_districts(programme)}
    places = list(districts)
    if not places:
        errors["districts"] = [_("Choose at least one district.")]
    elif any(p.pk not in allowed for p in places):
        errors["districts"] = [_("Choose among the programme's locations.")]
    kinds = list(dict.fromkeys(applicant_kinds))
    if any(k not in ApplicantKind.values for k in kinds):
        errors["applicant_kinds"] = [_("Select a valid choice. That choice is not one of the available choices.")]
    langs = list(dict.fromkeys(languages))
    if not langs or any(code not in Language.values for code in langs):
        errors["languages"] = [_("Choose at least one language.")]
    if not 1 <= int(score_max or 0) <= 100:
        errors["score_max"] = [_("Ensure this value is between 1 and 100.")]
    rows, row_errors = _criteria(criteria)
    if row_errors:
        errors["criteria"] = row_errors
    elif not rows:
        errors["criteria"] = [_("Give the call at least one criterion.")]
    scored = call is not None and ReviewScore.objects.filter(review__application__call=call).exists()
    if call is not None and scored:
        old = [(c.name, c.weight, c.guidance) for c in call.criteria.all()]
        if rows != old or call.score_max != int(score_max) or call.currency != currency:
            errors.setdefault("criteria", []).append(
                _("Reviewers have scored this call: its currency, scale and criteria can no longer change.")
            )
    if call is not None and amount is not None and call.currency == currency:
        promised = committed(call)
        if amount < promised:
            errors["envelope"] = [
                _("Grants of this call already commit %(amount)s %(currency)s: the envelope cannot be smaller.")
                % {"amount": promised, "currency": currency}
            ]
    elif call is not None and call.grants.exists() and call.currency != currency:
        errors["currency"] = [_("This call has grants: its currency can no longer change.")]
    if errors:
        raise ValidationError(errors)
    values = {
        "title": title,
        "text": text,
        "currency": currency,
        "envelope": amount,
        "max_grant": biggest,
        "deadline": deadline,
        "applicant_kinds": kinds,
        "languages": langs,
        "score_max": int(score_max),
        "blind_review": bool(blind_review),
        "public_applications": bool(public_applications),
    }
    if call is None:
        call = GrantCall.objects.create(programme=programme, owner=programme.lead_organisation, **values)
        action = "grantcall.create"
    else:
        for key, value in values.items():
            setattr(call, key, value)
        call.save()
        action = "grantcall.update"
    call.districts.set(places)
    if not scored:
        call.criteria.all().delete()
        CallCriterion.objects.bulk_create(
            [
                CallCriterion(call=call, name=name, weight=weight, guidance=guidance, order=(i + 1) * 10)
                for i, (name, weight, guidance) in enumerate(rows)
            ]
        )
    audit.record(
        actor=actor,
        action=action,
        obj=call,
        summary={"envelope": str(call.envelope), "currency": call.currency, "deadline": call.deadline.isoformat()},
    )
    return call


@transaction.atomic
def call_set_status(*, actor: Any, call: GrantCall, status: str) -> GrantCall:
    """Open a call (its deadline still ahead), close it, or take it back to draft while nobody applied."""
    enforce(actor, "grantcall.change", call)
    call = GrantCall.objects.select_for_update().get(pk=call.pk)
    if status not in CallStatus.values:
        raise ValidationError(
            {"status": [_("Select a valid choice. That choice is not one of the available choices.")]}
        )
    if status == CallStatus.OPEN and call.deadline <= timezone.now():
        raise ValidationError({"status": [_("The deadline has passed: move it later before opening the call.")]})
    if status == CallStatus.DRAFT and call.applications.exists():
        raise ValidationError({"status": [_("People have applied: the call can be closed, not taken back to draft.")]})
    before = call.status
    call.status = status
    call.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action="grantcall.status", obj=call, summary={"from": before, "to": status})
    return call
