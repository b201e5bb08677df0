"""Writing audit events. Services call :func:`record` inside their transaction; the request's IP
address comes from the request context that :class:`RequestContextMiddleware` sets. Each event is
chained to the one before by its hash (``hamkori.core.audit_chain``); :func:`verify_chain` checks
the chain (``hamkori audit-verify``)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction

from hamkori.core.audit_chain import ADVISORY_LOCK_KEY, FIELDS, GENESIS, chain_hash
from hamkori.core.models import AuditEvent


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None


_NO_REQUEST = RequestContext()  # frozen, so sharing it as the default is safe
_context: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("hamkori_request", default=_NO_REQUEST)


def set_request_context(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _context.set(ctx)


def reset_request_context(token: contextvars.Token[RequestContext]) -> None:
    _context.reset(token)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    programme: Any = None,
    summary: dict[str, Any] | None = None,
    outcome: str = AuditEvent.Outcome.OK,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one audit event. ``actor`` is a user, or None for the system."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        if programme is None:
            programme = obj if obj._meta.label_lower == "programmes.programme" else getattr(obj, "programme", None)
    ip_address = _context.get().ip_address
    event = AuditEvent(
        actor=user,
        actor_label=(user.email if user else "system")[:254],
        action=action,
        outcome=outcome,
        programme=programme if programme is not None and getattr(programme, "pk", None) else None,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        # As the database will hold it (IPv6 normalised), so the hash matches what is read back.
        ip_address=AuditEvent._meta.get_field("ip_address").get_prep_value(ip_address),
        summary=_jsonable(summary or {}),
    )
    with transaction.atomic():
        _lock_chain_head()
        event.prev_hash = _chain_head()
        event.hash = chain_hash(_values(event), event.prev_hash)
        event.save(force_insert=True)
    return event


def _lock_chain_head() -> None:
    """Hold the chain head until this transaction ends. SQLite: the transaction already holds the
    database's write lock (``BEGIN IMMEDIATE``); PostgreSQL: a transaction-scoped advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def lock_chain() -> None:
    """Take the chain's lock for the rest of the caller's transaction (a writer that must read the
    log and append to it without another writer in between, e.g. sealing a batch)."""
    _lock_chain_head()


def _chain_head() -> str:
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS


def _values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in FIELDS}


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None  # the id of the first event whose link or content does not hold
    reason: str = ""
    head: str = GENESIS  # the last good hash: note it elsewhere to detect a cut tail later

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(*, batch_size: int = 2000) -> ChainReport:
    """Walk the audit log from its first event; report the first broken link: an event whose
    ``prev_hash`` is not the hash of the event before it (one deleted, inserted or reordered), or
    whose fields no longer give its hash (one edited)."""
    prev, checked = GENESIS, 0
    events = AuditEvent.objects.order_by("id").only("id", "prev_hash", "hash", *FIELDS)
    for event in events.iterator(chunk_size=batch_size):
        if event.prev_hash != prev:
            return ChainReport(checked, event.pk, "link", prev)
        if chain_hash(_values(event), event.prev_hash) != event.hash:
            return ChainReport(checked, event.pk, "content", prev)
        prev, checked = event.hash, checked + 1
    return ChainReport(checked, head=prev)


def diff(instance: models.Model, fields: list[str], before: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the fields that changed, for an audit summary."""
    changes = {}
    for name in fields:
        new = getattr(instance, name)
        if before.get(name) != new:
            changes[name] = [_jsonable(before.get(name)), _jsonable(new)]
    return changes


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def sync_m2m(manager: Any, items: Any, key: Any) -> list[Any] | None:
    """Set a many-to-many relation to ``items``; return ``[old, new]`` keys (sorted) for an audit
    summary when it changed, else None. ``key`` maps an item to what the summary shows."""
    items = list(items)
    old = sorted(key(item) for item in manager.all())
    new = sorted(key(item) for item in items)
    if old == new:
        return None
    manager.set(items)
    return [old, new]
