"""The vault's link to the rest of the system, kept unlinkable in a copy of the database.

:class:`SubjectRefField` holds, instead of a person's subject key (the UUID other tables store as
``vault_key``), a keyed hash of it under the newest data key (:func:`hamkori.core.crypto.subject_ref`).
Give it a :class:`uuid.UUID` and it stores (and looks up) the hash; a ``str`` is a hash read back
from the database and is kept as it is. ``exact`` and ``in`` lookups with UUIDs match the hash under
every configured key, so records not yet rotated are still found.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import lookups

from hamkori.core import crypto


def _refs(value: Any) -> list[Any]:
    return crypto.subject_refs(value) if isinstance(value, uuid.UUID) else [value]


class SubjectRefField(models.CharField):
    # For django-stubs: a UUID may be assigned (it is stored hashed); a str comes back.
    _pyi_private_set_type: uuid.UUID | str  # type: ignore[assignment]
    _pyi_private_get_type: uuid.UUID | str  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return crypto.subject_ref(value)
        return super().get_prep_value(value)

    def to_python(self, value: Any) -> Any:
        return value if isinstance(value, uuid.UUID) else super().to_python(value)


@SubjectRefField.register_lookup
class SubjectRefExact(lookups.In):
    """``subject_key=uuid``: the record is under any configured key."""

    lookup_name = "exact"

    def get_prep_lookup(self) -> Any:
        return _refs(self.rhs)


@SubjectRefField.register_lookup
class SubjectRefIn(lookups.In):
    lookup_name = "in"

    def get_prep_lookup(self) -> Any:
        if hasattr(self.rhs, "resolve_expression"):
            return super().get_prep_lookup()
        return [ref for value in self.rhs for ref in _refs(value)]
