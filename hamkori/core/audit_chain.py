"""The audit log's hash chain and the database's guard on it (security review, finding 11).

Each :class:`~hamkori.core.models.AuditEvent` stores ``prev_hash``, the hash of the event written
before it, and ``hash``: SHA-256 over a canonical JSON of its own fields and ``prev_hash``. Editing
an event changes its hash; deleting one breaks the next event's ``prev_hash``; so does rewriting a
hash. :func:`hamkori.core.audit.verify_chain` walks the chain (``hamkori audit-verify``).

Writers take the chain head under a lock held to the end of their transaction, so two writers
can never both append to the same head: on PostgreSQL a transaction-scoped advisory lock, on SQLite
the write lock that every transaction takes at ``BEGIN IMMEDIATE`` (``transaction_mode`` in the
settings).

Pure functions of field values: the migration that fills the chain for existing events uses them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS = "0" * 64
#: The fields a hash covers, in this order (``id`` is not one: the chain itself orders the events).
FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "outcome",
    "programme_id",
    "object_type",
    "object_id",
    "object_repr",
    "ip_address",
    "summary",
)
#: ``pg_advisory_xact_lock`` key of the chain head ("hamkori" in ASCII, as a number).
ADVISORY_LOCK_KEY = 0x68616D6B6F7269


def _canonical_value(name: str, value: Any) -> Any:
    if name == "occurred_at" and isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical(values: dict[str, Any], prev_hash: str) -> str:
    """The canonical JSON an event's hash is computed over."""
    content = {name: _canonical_value(name, values.get(name)) for name in FIELDS}
    content["prev_hash"] = prev_hash
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(values: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(values, prev_hash).encode()).hexdigest()


# --- The guard in the database ---------------------------------------------------------------------
# PostgreSQL: row-level UPDATE and DELETE always raise; TRUNCATE raises unless the session sets
# ``hamkori.allow_audit_truncate`` (only the test-suite does, for its flush between tests).
POSTGRESQL_GUARD = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('hamkori.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'core_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER core_auditevent_no_update_delete BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();
CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only();
"""
POSTGRESQL_UNGUARD = """
DROP TRIGGER IF EXISTS core_auditevent_no_update_delete ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
DROP FUNCTION IF EXISTS core_auditevent_append_only();
"""
# SQLite: UPDATE always raises; DELETE raises unless ``hamkori_audit_flush_allowed()`` answers 1.
# That function is registered on Django's connections (``hamkori.core.apps``) and answers 1 only
# while ``settings.HAMKORI_AUDIT_ALLOW_FLUSH`` is on (the test-suite's flush). Elsewhere (the
# sqlite3 shell) the function does not exist, so the DELETE fails all the same.
SQLITE_GUARD = [
    """CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
    BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    WHEN NOT hamkori_audit_flush_allowed()
    BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: DELETE refused'); END""",
]
SQLITE_UNGUARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
]


def flush_allowed() -> int:
    from django.conf import settings

    return 1 if getattr(settings, "HAMKORI_AUDIT_ALLOW_FLUSH", False) else 0


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give each SQLite connection the guard's function; on PostgreSQL, let the test-suite's flush
    truncate the table."""
    from django.conf import settings

    if connection.vendor == "sqlite":
        connection.connection.create_function("hamkori_audit_flush_allowed", 0, flush_allowed)
    elif connection.vendor == "postgresql" and getattr(settings, "HAMKORI_AUDIT_ALLOW_FLUSH", False):
        with connection.cursor() as cursor:
            cursor.execute("SET hamkori.allow_audit_truncate = 'on'")


def guard_installed(connection: Any) -> bool:
    """Whether the audit table's triggers are in place (and enabled). A migration that rebuilds
    ``core_auditevent`` on SQLite drops them and must create them again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'core_auditevent'::regclass"
                " AND tgname IN ('core_auditevent_no_update_delete', 'core_auditevent_no_truncate')"
                " AND tgenabled <> 'D'"
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                " AND name IN ('core_auditevent_no_update', 'core_auditevent_no_delete')"
            )
        else:  # pragma: no cover (only PostgreSQL and SQLite are supported)
            return False
        return bool(cursor.fetchone()[0] == 2)
