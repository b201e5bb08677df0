"""The programme's own vocabulary of the cycle: drivers of insecurity, affected groups and
prioritisation criteria. An administrator adds, renames, reorders and retires entries; an entry is
never deleted (concerns and scores keep pointing at it), only taken out of use.

The kinds of term are a registry (:func:`register_term_kind`): another app whose vocabulary has the
same shape (a code, names in tg/ru/en, an order, in use; ``events``: kinds of event, training topics,
attendee roles) registers its kinds with its own rule and audit actions and reuses these services,
``TermForm`` and the page (``concerns.views.vocabulary_page``).

Every write here is keyword-only, atomic, checked against the kind's rule (``concern.vocabulary``
for the cycle's terms) and audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hamkori.access.policy import enforce
from hamkori.concerns.models import AffectedGroup, Criterion, Driver
from hamkori.core import audit
from hamkori.programmes.models import Programme


@dataclass(frozen=True)
class TermKind:
    """One kind of term: ``key`` (as in forms and URLs), its model, the heading of its section, the rule
    that decides who edits it, the audit actions of adding and changing one, and ``extra`` fields of
    the model an administrator sets beside the names (their choices and validators are the model's)."""

    key: str
    model: type[Any]
    label: Any
    rule: str = "concern.vocabulary"
    create_action: str = "concern.vocabulary.create"
    update_action: str = "concern.vocabulary.update"
    extra: tuple[str, ...] = ()


#: key -> kind of term, in registration order.
TERM_KINDS: dict[str, TermKind] = {}


def register_term_kind(kind: TermKind) -> TermKind:
    """Add (or replace) a kind of term; from an ``AppConfig.ready`` or at import. Keys are unique."""
    TERM_KINDS[kind.key] = kind
    return kind


register_term_kind(TermKind("driver", Driver, gettext_lazy("Drivers of insecurity")))
register_term_kind(TermKind("affected", AffectedGroup, gettext_lazy("Affected groups")))
register_term_kind(TermKind("criterion", Criterion, gettext_lazy("Prioritisation criteria"), extra=("weight",)))

#: The cycle's own kinds (the concerns vocabulary page).
CYCLE_KINDS = ("driver", "affected", "criterion")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
NAMES = ("name_tg", "name_ru", "name_en")
MAX_ORDER = 32767


def kind_of(term: Any) -> str:
    return next(key for key, kind in TERM_KINDS.items() if type(term) is kind.model)


def _clean(values: dict[str, Any], *, kind: TermKind) -> dict[str, Any]:
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
    if "weight" in values and "weight" in kind.extra:
        try:
            weight = int(values["weight"])
        except (TypeError, ValueError):
            weight = 0
        if not 1 <= weight <= 10:
            errors["weight"] = [_("Give a weight from 1 to 10.")]
        cleaned["weight"] = weight
    for name in kind.extra:
        if name == "weight" or name not in values:
            continue
        field = kind.model._meta.get_field(name)
        try:
            cleaned[name] = field.clean(values[name], None)
        except ValidationError as exc:
            errors[name] = list(exc.messages)
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
    **extra: Any,
) -> Any:
    """Add a term of ``kind`` (a driver, an affected group, a criterion, or a registered kind) to the
    programme's vocabulary; ``extra`` are the kind's extra fields (a criterion's ``weight``)."""
    spec = TERM_KINDS.get(kind)
    if spec is None:
        raise ValidationError({"kind": [_("Choose from the list.")]})
    unknown = set(extra) - set(spec.extra)
    if unknown:
        raise ValueError(f"Not a field of {kind}: {sorted(unknown)}")
    enforce(actor, spec.rule, programme)
    model = spec.model
    code = (code or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not _CODE.match(code):
        errors["code"] = [_("Lower-case letters, digits, - and _; up to 40 characters.")]
    elif model.objects.filter(programme=programme, code=code).exists():
        errors["code"] = [_("This code is already used: choose another, or edit that entry.")]
    values: dict[str, Any] = {"name_tg": name_tg, "name_ru": name_ru, "name_en": name_en, "order": order}
    for name in spec.extra:
        values[name] = extra.get(name, model._meta.get_field(name).get_default())
    try:
        cleaned = _clean(values, kind=spec)
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
        action=spec.create_action,
        obj=term,
        programme=programme,
        summary={"kind": kind, "code": code, **cleaned},
    )
    return term


@transaction.atomic
def term_update(*, actor: Any, term: Any, **values: Any) -> Any:
    """Rename, reorder, reweigh (criteria), take out of use or back into use. The code never changes."""
    spec = TERM_KINDS[kind_of(term)]
    unknown = set(values) - {*NAMES, "order", "active", *spec.extra}
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    enforce(actor, spec.rule, term.programme)
    model = type(term)
    term = model.objects.select_for_update().get(pk=term.pk)
    cleaned = _clean(values, kind=spec)
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
            action=spec.update_action,
            obj=term,
            programme=term.programme,
            summary={"kind": kind_of(term), "code": term.code, **changes},
        )
    return term
