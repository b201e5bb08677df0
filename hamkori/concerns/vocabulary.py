"""The programme's own vocabulary of the cycle: drivers of insecurity, affected groups and
prioritisation criteria. An administrator adds, renames, reorders and retires entries; an entry is
never deleted (concerns and scores keep pointing at it), only taken out of use.

Every write here is keyword-only, atomic, checked against ``concern.vocabulary`` and audited.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hamkori.access.policy import enforce
from hamkori.concerns.models import AffectedGroup, Criterion, Driver
from hamkori.core import audit
from hamkori.programmes.models import Programme

#: kind (as in forms and URLs) -> model
KINDS: dict[str, type[Driver] | type[AffectedGroup] | type[Criterion]] = {
    "driver": Driver,
    "affected": AffectedGroup,
    "criterion": Criterion,
}
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
NAMES = ("name_tg", "name_ru", "name_en")
MAX_ORDER = 32767


def kind_of(term: Any) -> str:
    return next(kind for kind, model in KINDS.items() if isinstance(term, model))


def _clean(values: dict[str, Any], *, is_criterion: bool) -> dict[str, Any]:
    """Trimmed names, a sane order and weight, or ``ValidationError`` keyed by field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name in NAMES:
        if name in values:
            text = " ".join(str(values[name] or "").replace("\x00", "").split())
            if len(text) > 200:
                errors[name] = [_("Please keep this under %(limit)s characters.") % {"limit": 200}]
            cleaned[name] = text
    if "order" in values:
        try:
            order = int(values["order"])
        except (TypeError, ValueError):
            order = -1
        if not 0 <= order <= MAX_ORDER:
            errors["order"] = [_("Give a whole number from 0 to %(max)s.") % {"max": MAX_ORDER}]
        cleaned["order"] = order
    if "weight" in values and is_criterion:
        try:
            weight = int(values["weight"])
        except (TypeError, ValueError):
            weight = 0
        if not 1 <= weight <= 10:
            errors["weight"] = [_("Give a weight from 1 to 10.")]
        cleaned["weight"] = weight
    if "active" in values:
        cleaned["active"] = bool(values["active"])
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def term_create(
    *,
    actor: Any,
    programme: Programme,
    kind: str,
    code: str,
    name_tg: str = "",
    name_ru: str = "",
    name_en: str = "",
    order: int = 100,
    weight: int = 1,
) -> Driver | AffectedGroup | Criterion:
    """Add a driver, an affected group or a criterion to the programme's vocabulary."""
    enforce(actor, "concern.vocabulary", programme)
    model = KINDS.get(kind)
    if model is None:
        raise ValidationError({"kind": [_("Choose from the list.")]})
    code = (code or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not _CODE.match(code):
        errors["code"] = [_("Lower-case letters, digits, - and _; up to 40 characters.")]
    elif model.objects.filter(programme=programme, code=code).exists():
        errors["code"] = [_("This code is already used: choose another, or edit that entry.")]
    values: dict[str, Any] = {"name_tg": name_tg, "name_ru": name_ru, "name_en": name_en, "order": order}
    if model is Criterion:
        values["weight"] = weight
    try:
        cleaned = _clean(values, is_criterion=model is Criterion)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned = {}
    if not errors and not any(cleaned[name] for name in NAMES):
        errors["name_en"] = [_("Give the name in at least one language.")]
    if errors:
        raise ValidationError(errors)
    term = model.objects.create(programme=programme, code=code, **cleaned)
    audit.record(
        actor=actor,
        action="concern.vocabulary.create",
        obj=term,
        programme=programme,
        summary={"kind": kind, "code": code, **cleaned},
    )
    return term


@transaction.atomic
def term_update(*, actor: Any, term: Driver | AffectedGroup | Criterion, **values: Any) -> Any:
    """Rename, reorder, reweigh (criteria), take out of use or back into use. The code never changes."""
    unknown = set(values) - {*NAMES, "order", "active", "weight"}
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    enforce(actor, "concern.vocabulary", term.programme)
    model = type(term)
    term = model.objects.select_for_update().get(pk=term.pk)
    cleaned = _clean(values, is_criterion=model is Criterion)
    names = {name: cleaned.get(name, getattr(term, name)) for name in NAMES}
    if not any(names.values()):
        raise ValidationError({"name_en": [_("Give the name in at least one language.")]})
    fields = list(cleaned)
    before = audit.snapshot(term, fields)
    for key, value in cleaned.items():
        setattr(term, key, value)
    changes = audit.diff(term, fields, before)
    if changes:
        term.save(update_fields=fields)
        audit.record(
            actor=actor,
            action="concern.vocabulary.update",
            obj=term,
            programme=term.programme,
            summary={"kind": kind_of(term), "code": term.code, **changes},
        )
    return term
