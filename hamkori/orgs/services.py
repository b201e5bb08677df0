from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from hamkori.access.policy import decide
from hamkori.core import audit
from hamkori.orgs.models import Organisation

FIELDS = ["kind", "name_tg", "name_ru", "name_en", "short_name", "place", "website"]


@transaction.atomic
def organisation_upsert(*, actor: Any, kind: str, name_en: str, **values: Any) -> tuple[Organisation, bool]:
    """Create the organisation of this kind and English name, or update its other fields.

    Updating a shared organisation needs ``organisation.change`` (installation administrators) when a
    user acts; ``actor=None`` is the system (demo, fixtures)."""
    org = Organisation.objects.select_for_update().filter(kind=kind, name_en=name_en).first()
    if org is not None and actor is not None:
        decision = decide(actor, "organisation.change", org)
        if not decision:
            raise PermissionDenied(str(decision.reason))
    if org is None:
        org = Organisation.objects.create(kind=kind, name_en=name_en, **values)
        audit.record(actor=actor, action="organisation.create", obj=org, summary={"kind": kind})
        return org, True
    before = audit.snapshot(org, FIELDS)
    for key, value in values.items():
        setattr(org, key, value)
    changes = audit.diff(org, FIELDS, before)
    if changes:
        org.save()
        audit.record(actor=actor, action="organisation.update", obj=org, summary=changes)
    return org, False
