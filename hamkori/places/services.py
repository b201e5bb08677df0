from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from hamkori.core import audit
from hamkori.places import loader
from hamkori.places.models import Place


@transaction.atomic
def places_import(*, actor: Any, source: str | bytes | Path = loader.DATA_FILE, label: str = "") -> loader.LoadResult:
    """Load a places file (same format as the shipped Tajikistan file). All rows or none."""
    result = loader.load(Place, source)
    audit.record(
        actor=actor,
        action="places.import",
        object_type="places.place",
        object_repr=(label or (source.name if isinstance(source, Path) else "upload"))[:200],
        summary={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return result
