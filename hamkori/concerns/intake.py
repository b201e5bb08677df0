"""Public intake: anyone may report a concern, without an account, at ``/report/`` or through
``POST /api/public/concerns``, and later read its public status with the receipt code.

Only programmes that accept concerns from the public (``Programme.public_reports``) and their
locations are offered. A submission carries a client-generated id (``intake_key``): sending the same
form twice creates one concern, because ``Concern.intake_key`` is unique in the database and the
insert runs in a savepoint whose ``IntegrityError`` answers with the concern already there (no
check in Python, which two requests at once would both pass).

What a submission can set is what this module's service takes: a forged sensitivity, status, owner
or source is never read. The person's contact details, when they give them *and* tick the consent,
go to the vault (``Concern.reporter_key``), never into the concern's table; the audit log says that
there are some, never what. The audit events of a public submission carry no client address either:
the audit log is kept for ever, and the address would point at the person who reported.

The receipt code (``K7Q4-9MXP``) is random, from an alphabet without look-alikes (no 0/O, 1/I/L),
unique in the database, stored without its dash, and found again whatever the case, spaces or
dashes, and also when typed with Cyrillic look-alike letters. :func:`public_receipt` answers only
what the person may see: the public status, the district, the date received and the published
"what was done" note; never the description, never anything internal.

Rate limits (:func:`rate_check`, :func:`rate_count`) are counted per client address in a small
table of their own (:class:`~hamkori.concerns.models.IntakeRate`), which every worker shares like the
database cache; the address is stored only as a keyed digest.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeGuard, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.db.models import Prefetch
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql as psycopg_sql

from hamkori.concerns.models import Concern, ConcernEvent, IntakeRate, PublicStatus, Source, Status, TextLanguage
from hamkori.concerns.services import clean_text, reference_for, resolve_merged
from hamkori.core import audit
from hamkori.core.models import AuditEvent, Sensitivity
from hamkori.places.models import Place
from hamkori.programmes.models import Programme, ProgrammeLocation
from hamkori.vault.services import PersonalData, vault_put

#: The receipt code's letters: digits and capitals without the look-alikes 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 31^8 ≈ 8.5 × 10^11 codes: guessing one is hopeless under the look-up rate limit
_CODE_ATTEMPTS = 8
#: Cyrillic capitals that look like Latin ones: a code typed on a Russian or Tajik keyboard.
_LOOKALIKES = str.maketrans("АВЕКМНРСТУХ", "ABEKMHPCTYX")
_CODE_NOISE = re.compile(r"[\s\-‐‑‒–—_.·/]+")
LOCATION_LIMIT = 200

#: The contact fields of the forms and the API, by the vault's field names.
CONTACT_FIELDS = {"full_name": "contact_name", "phone": "contact_phone", "email": "contact_email"}


# --- Receipt codes -----------------------------------------------------------------------------
def new_receipt_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))


def normalize_code(text: str | None) -> str | None:
    """The stored form of a code a person typed (``k7q4 9mxp`` → ``K7Q49MXP``), or None when it
    cannot be one."""
    code = _CODE_NOISE.sub("", (text or "")[:64]).upper().translate(_LOOKALIKES)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def format_code(code: str) -> str:
    """``K7Q49MXP`` → ``K7Q4-9MXP`` (as shown, and as a person copies it down)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _decoy_code(intake_key: uuid.UUID) -> str:
    """A code for a spam robot (the honeypot): looks real, the same for the same form, stored nowhere."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"decoy:" + intake_key.bytes, hashlib.sha256).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:CODE_LENGTH])


# --- The hot path's statements -----------------------------------------------------------------
def _per_database(build: Callable[[], str]) -> Callable[[], str]:
    """``build``'s SQL made once per database vendor (the same string each time after that)."""
    made: dict[str, str] = {}

    @functools.wraps(build)
    def cached() -> str:
        vendor = connection.vendor
        if vendor not in made:
            made[vendor] = build()
        return made[vendor]

    return cached


#: The driver's form (``?``) of each statement :func:`_hot` has run on SQLite, by Django's (``%s``).
_QMARK: dict[str, str] = {}


def _hot(sql: str, params: list[Any]) -> Any:
    """Run one statement of the intake's hot path (``sql`` from a builder wrapped in
    :func:`_per_database`, placeholders ``%s``) and answer its first row, or None.

    On SQLite it runs straight on the driver's connection, in its ``?`` form made once: Django's
    cursor converts ``%s`` to ``?`` with a regular expression and wraps every execution, which cost these
    statements more than SQLite takes to run them (``benchmarks/intake_load.py``). It stays Django's in
    what matters: the same connection and transaction, Django's exceptions (``wrap_database_errors``),
    no statement in a transaction already marked for rollback, and logged as Django logs a statement
    when queries are logged (tests, ``DEBUG``); an ``execute_wrapper`` (the project installs none) does
    not see it."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of ``connection`` looks the thread's up again
    if db.vendor != "sqlite":
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description else None
    driver_sql = _QMARK.get(sql)
    if driver_sql is None:
        driver_sql = _QMARK[sql] = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")  # as Django converts
    db.ensure_connection()
    db.validate_no_broken_transaction()
    started = time.monotonic()
    with db.wrap_database_errors:
        row = db.connection.execute(driver_sql, params).fetchone()
    if db.queries_logged:
        db.queries_log.append(
            {"sql": db.ops.last_executed_query(None, sql, params), "time": f"{time.monotonic() - started:.3f}"}
        )
    return row


# --- What is offered ---------------------------------------------------------------------------
#: Set on a Place that one of this module's queries has just found to be a location of a programme
#: accepting public reports (its value: that programme's id), so that the submission's own check
#: needs no second query in the same request. Nothing outside this module sets it.
_ACCEPTED = "_hamkori_public_location_of"


def accepting_programmes() -> list[Programme]:
    """Programmes that accept concerns from the public, each with its locations prefetched
    (``programme.public_locations``, in the programme's order). Public knowledge by design: the
    form shows their titles and places, nothing else."""
    locations = ProgrammeLocation.objects.select_related("place").order_by("order", "pk")
    programmes: list[Programme] = list(
        Programme.objects.filter(public_reports=True)
        .order_by("code")
        .prefetch_related(Prefetch("locations", queryset=locations, to_attr="public_locations"))
    )
    for programme in programmes:
        for location in cast(Any, programme).public_locations:
            setattr(location.place, _ACCEPTED, programme.pk)
    return programmes


@_per_database
def _rate_sum_sql() -> str:
    """The count of a client's window: the sum of its shard rows, found by their exact keys (an index
    look-up whatever the database's collation; a range of keys would depend on how it orders ``:``)."""
    marks = ", ".join(["%s"] * RATE_SHARDS)
    return f"SELECT COALESCE(SUM(hits), 0) AS hits FROM {_rate_table()} WHERE key IN ({marks}) AND expires = %s"  # noqa: S608


@_per_database
def _lookup_sql() -> str:
    """The client's count in the current window and the programme and place asked for, in one
    statement (one row always: the count, with the programme's and the place's columns NULL when
    there is no such programme, place or location)."""
    qn = connection.ops.quote_name
    p, pl, pc = Programme._meta, ProgrammeLocation._meta, Place._meta
    # Names from the models' meta, never from input.
    return (
        f"SELECT r.hits, p.{qn('id')}, p.{qn('code')}, p.{qn('public_reports')}, pl.{qn('id')}, "  # noqa: S608
        f"pc.{qn('id')}, pc.{qn('code')}, pc.{qn('name_tg')}, pc.{qn('name_ru')}, pc.{qn('name_en')} "
        f"FROM ({_rate_sum_sql()}) r "
        f"LEFT JOIN {qn(p.db_table)} p ON p.{qn('code')} = %s "
        f"LEFT JOIN {qn(pc.db_table)} pc ON pc.{qn('code')} = %s "
        f"LEFT JOIN {qn(pl.db_table)} pl ON pl.{qn(pl.get_field('programme').column)} = p.{qn('id')} "
        f"AND pl.{qn(pl.get_field('place').column)} = pc.{qn('id')}"
    )


def _from_db(model: Any, names: list[str], values: Any) -> Any:
    """An instance of ``model`` loaded with only these fields (the others load when read); ``from_db``
    wants them in the model's field order."""
    given = dict(zip(names, values, strict=True))
    order = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    return model.from_db(connection.alias, order, [given[name] for name in order])


def public_lookup(
    scope: str, address: str | None, programme_code: str, district_code: str
) -> tuple[RateDecision, Programme | None, Place | None]:
    """:func:`rate_check`, and the programme (by its code) and the district (by its place code) when that
    programme accepts public reports there (otherwise the programme alone, or None, to say what is
    wrong), in one statement: the intake's hot path (``benchmarks/intake_load.py``). The instances carry
    only the fields read here; others load when read."""
    rate, key, expires, now = _rate_window(scope, address)
    row = _hot(_lookup_sql(), [*_rate_keys(key), expires, programme_code[:100], district_code[:100]])
    decision = RateDecision(row[0] < rate.count, expires - now, key, expires)
    if row[1] is None:
        return decision, None, None
    programme = _from_db(Programme, ["id", "code", "public_reports"], row[1:4])
    if not programme.public_reports or row[4] is None:
        return decision, programme, None
    place = _from_db(Place, ["id", "code", "name_tg", "name_ru", "name_en"], row[5:10])
    setattr(place, _ACCEPTED, programme.pk)
    return decision, programme, place


# --- The submission ----------------------------------------------------------------------------
def _has_contact(contact: PersonalData | None) -> TypeGuard[PersonalData]:
    """Whether the person gave any contact detail (empty fields are no contact)."""
    return contact is not None and any((contact.full_name.strip(), contact.phone.strip(), contact.email.strip()))


def _validate_contact(contact: PersonalData | None, consent: bool) -> PersonalData | None:
    if not _has_contact(contact):
        return None
    if not consent:
        raise ValidationError(
            {
                "contact_consent": [
                    _(
                        "You gave contact details but did not tick the box to agree that we keep them. "
                        "Tick it, or leave the contact details empty: without your agreement we keep nothing."
                    )
                ]
            }
        )
    try:
        return PersonalData(full_name=contact.full_name, phone=contact.phone, email=contact.email).validated()
    except ValidationError as exc:
        raise ValidationError(
            {CONTACT_FIELDS.get(field, field): messages for field, messages in exc.message_dict.items()}
        ) from None


def concern_submit_public(
    *,
    programme: Programme | None,
    district: Place | None,
    description: str,
    location_text: str = "",
    language: str,
    intake_key: uuid.UUID,
    contact: PersonalData | None = None,
    contact_consent: bool = False,
    honeypot: str = "",
    counted: RateDecision | None = None,
) -> tuple[Concern, bool]:
    """Record a concern sent by the public: ``(concern, created)``. The same ``intake_key`` again
    answers the concern it created (``created`` false) with the same receipt code.

    Source public, sensitivity internal, no owner, status reported; nothing else can be set.
    Bad input raises ``ValidationError({field: [message]})`` and writes nothing. ``counted`` (from
    :func:`rate_check`) is counted in the same transaction as the concern: one commit per submission.

    The checks only read, so they run before the transaction: on SQLite a transaction holds the
    database's one write lock from its first statement (``BEGIN IMMEDIATE``), and every submission
    waits for it; the writes (:func:`_record`) are one atomic unit."""
    errors: dict[str, list[str]] = {}
    if programme is None or not programme.public_reports:
        errors["programme"] = [_("This programme does not take reports from the public. Choose from the list.")]
    elif district is None or (
        getattr(district, _ACCEPTED, None) != programme.pk  # not just found by this module's queries
        and not ProgrammeLocation.objects.filter(
            programme_id=programme.pk, place_id=district.pk, programme__public_reports=True
        ).exists()
    ):
        errors["district"] = [_("Choose a district from the list.")]
    text_errors, description, location_text = _checked_text(description, location_text, language, intake_key)
    errors.update(text_errors)
    try:
        personal = _validate_contact(contact, contact_consent)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        personal = None
    if errors:
        raise ValidationError(errors)
    assert programme is not None and district is not None  # noqa: S101 (narrowed by the checks above)
    if honeypot.strip():
        # The hidden field people never see (a spam robot fills every field): answer exactly as for a
        # person, with a code that looks real, and store nothing, so the robot learns nothing.
        decoy = Concern(
            programme=programme,
            district=district,
            receipt_code=_decoy_code(intake_key),
            status=Status.REPORTED,
            created_at=timezone.now(),
        )
        return decoy, True
    own: dict[str, Any] = {  # the submission's own values
        "description": description,
        "location_text": location_text,
        "language": language,
        "intake_key": intake_key,
    }
    written = None
    if connection.vendor == "postgresql" and personal is None and counted is not None:
        written = _record_in_one_statement(
            programme_code=programme.code, district_code=district.code, counted=counted, **own
        )
    elif connection.vendor == "sqlite" and personal is None:
        written = _sqlite_record(programme=programme, district=district, counted=counted, **own)
    if written is None:  # contact details for the vault, or no rate counted on PostgreSQL
        written = _record(programme=programme, district=district, personal=personal, counted=counted, **own)
    concern, created = written
    if created:
        transaction.on_commit(seal_now_and_then)  # now, unless a caller's transaction is still open
    return concern, created


def _checked_text(
    description: str, location_text: str, language: str, intake_key: Any
) -> tuple[dict[str, list[str]], str, str]:
    """The errors of a submission's own fields (nothing read from the database), and its cleaned texts."""
    errors: dict[str, list[str]] = {}
    try:
        description = clean_text(description, field="description")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        location_text = clean_text(location_text, field="location_text", required=False, limit=LOCATION_LIMIT)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if language not in TextLanguage.values:
        errors["language"] = [_("Choose a language from the list.")]
    if not isinstance(intake_key, uuid.UUID):
        errors["client_id"] = [_("The form has expired: please send it again.")]
    return errors, description, location_text


def concern_submit_public_by_code(
    *,
    address: str | None,
    programme_code: str,
    district_code: str,
    description: str,
    location_text: str = "",
    language: str,
    intake_key: uuid.UUID,
    contact: PersonalData | None = None,
    contact_consent: bool = False,
) -> tuple[RateDecision, Concern | None, bool]:
    """:func:`concern_submit_public` for a programme and district named by their codes, from a client
    ``address`` under the intake's rate: ``(decision, concern, created)``, the concern None when the
    rate refused it. The intake's hot path (``POST /api/public/concerns``, ``benchmarks/intake_load.py``).

    On PostgreSQL a submission without contact details whose own fields pass their checks is ONE
    prepared statement (the rate, the programme and district, the concern, its reference, its first
    timeline row and the count: :func:`_pg_submit_statement`). Everything else takes the general way,
    which also says what is wrong: :func:`public_lookup`, then :func:`concern_submit_public` (on SQLite,
    without contact details, one short transaction of three statements: :func:`_sqlite_record`)."""
    if connection.vendor == "postgresql" and not _has_contact(contact):
        errors, text, where = _checked_text(description, location_text, language, intake_key)
        if not errors:
            rate, prefix, expires, now = _rate_window("submit", address)
            decision = RateDecision(True, expires - now, prefix, expires)
            written = _record_in_one_statement(
                programme_code=programme_code,
                district_code=district_code,
                description=text,
                location_text=where,
                language=language,
                intake_key=intake_key,
                counted=decision,
                limit=rate.count,
            )
            if written is not None:
                if written[1]:
                    transaction.on_commit(seal_now_and_then)
                return decision, *written
    decision, programme, district = public_lookup("submit", address, programme_code, district_code)
    if not decision.allowed:
        return decision, None, False
    concern, created = concern_submit_public(
        programme=programme,
        district=district,
        description=description,
        location_text=location_text,
        language=language,
        intake_key=intake_key,
        contact=contact,
        contact_consent=contact_consent,
        counted=decision,
    )
    return decision, concern, created


@_per_database
def _reference_sql() -> str:
    qn = connection.ops.quote_name
    return f"UPDATE {qn(Concern._meta.db_table)} SET {qn('reference')} = %s WHERE {qn('id')} = %s"  # noqa: S608


_INSERT_SQL: dict[tuple[str, str], tuple[str, list[Any]]] = {}


def _insert_ignoring_conflicts(obj: Concern | ConcernEvent) -> int | None:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` of every concrete field of ``obj``, with the
    values Django would save (defaults, ``auto_now``): the new row's id, or None when a unique
    constraint already holds the key. One statement and no savepoint (the intake's hot path); both
    SQLite (3.35+) and PostgreSQL read it."""
    meta = obj._meta
    key = (connection.vendor, meta.label)
    if key not in _INSERT_SQL:
        qn = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        columns = ", ".join(qn(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        _INSERT_SQL[key] = (  # names from the model's meta, never from input
            f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks}) "  # noqa: S608
            f"ON CONFLICT DO NOTHING RETURNING {qn(meta.pk.column)}",
            fields,
        )
    sql, fields = _INSERT_SQL[key]
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return int(row[0])


#: PostgreSQL statements this module has prepared, per database connection (a prepared statement lives
#: as long as its session; a new connection prepares again).
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()

#: Above any real rate: the submission was already checked against the rate by its caller.
_NO_LIMIT = 2**62


def _execute_prepared(cursor: Any, sql: str, types: list[str], params: list[Any]) -> None:
    """PostgreSQL: run ``sql`` (placeholders ``$1`` … ``$n`` of these types) as a prepared statement of
    this connection, planned once per connection instead of once per request (planning the intake's
    statements cost PostgreSQL more than running them). Prepared on first use; ``PREPARE`` outlives a
    rolled-back transaction, so a connection keeps it until it closes. (A transaction-pooling proxy such
    as PgBouncer in transaction mode would need its prepared-statement support.)"""
    name = "hamkori_" + hashlib.sha256(sql.encode()).hexdigest()[:16]
    prepared = _PREPARED.setdefault(connection.connection, set())
    if name not in prepared:
        cursor.execute(f"PREPARE {name} ({', '.join(types)}) AS {sql}")
        prepared.add(name)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


@dataclass(frozen=True)
class _Submit:
    """The one statement of a PostgreSQL submission, and the fields whose values are its parameters."""

    sql: str
    types: list[str]
    concern_fields: list[Any]
    event_fields: list[Any]


_SUBMIT: list[_Submit] = []

#: A public submission's own values; every other column is the same for every public submission.
_PER_SUBMISSION = {"description", "language", "location_text", "intake_key", "receipt_code"}


def _varies(field: Any) -> bool:
    """Whether a column's value differs from one public submission to the next: its own values, and
    anything drawn when saved (a callable default, ``auto_now``)."""
    drawn = field.has_default() and callable(field.default)
    return field.attname in _PER_SUBMISSION or drawn or getattr(field, "auto_now", False)


def _pg_submit_statement() -> _Submit:
    """PostgreSQL: a whole public submission in ONE statement of data-modifying CTEs:
    - ``look``: the programme (by its code, accepting public reports) and the district (by its place code,
      one of its locations), and the client's count in the window under the limit; no row otherwise;
    - ``n``, ``c``: the concern's id drawn first (``nextval``) so that its reference (``C-000123``, as
      :func:`~hamkori.concerns.services.reference_for`) goes in the same insert; ``ON CONFLICT DO
      NOTHING``, so the unique client id and receipt code decide;
    - ``e``: the timeline's first row; ``r``: the rate count (when ``look`` found its row).
    It answers one row: the concern's id (NULL on a conflict) and the district's columns (NULL when
    ``look`` found nothing). One round trip, one implicit transaction, nothing held between statements.
    Columns come from the models' meta, so a new field is written without touching this: its value is a
    parameter when :func:`_varies`, otherwise the value every public submission has, written into the
    statement once (as SQL literals, from :func:`_new_public_concern` and the timeline's first row, never
    from input)."""
    if _SUBMIT:
        return _SUBMIT[0]
    connection.ensure_connection()  # the literals are quoted as this connection would
    qn = connection.ops.quote_name
    concern_meta, event_meta = Concern._meta, ConcernEvent._meta
    c_fields = [
        f for f in concern_meta.concrete_fields if f.attname not in ("id", "reference", "programme_id", "district_id")
    ]
    e_fields = [f for f in event_meta.concrete_fields if f.attname not in ("id", "concern_id", "to_status")]
    samples = ((c_fields, _new_public_concern()), (e_fields, _first_event()))
    p, pl, pc = Programme._meta, ProgrammeLocation._meta, Place._meta
    types: list[str] = []

    def mark(db_type: str) -> str:
        types.append(db_type)
        return f"${len(types)}"

    def of(field: Any) -> str:
        return str(field.db_type(connection))

    def value(field: Any, sample: Any) -> str:
        if _varies(field):
            return mark(of(field))
        constant = field.get_db_prep_save(field.pre_save(sample, True), connection)
        return f"{psycopg_sql.Literal(constant).as_string(connection.connection)}::{of(field)}"

    key_type = of(IntakeRate._meta.get_field("key"))
    programme_code, district_code = mark(of(p.get_field("code"))), mark(of(pc.get_field("code")))
    shard_keys, expires, limit, count_key = mark(f"{key_type}[]"), mark("bigint"), mark("bigint"), mark(key_type)
    concern_values, event_values = (", ".join(value(f, sample) for f in fields) for fields, sample in samples)
    rate, table = _rate_table(), qn(concern_meta.db_table)
    reference = "'C-' || CASE WHEN n.id < 1000000 THEN lpad(n.id::text, 6, '0') ELSE n.id::text END"
    sql = (  # names from the models' meta, never from input
        f"WITH look AS (SELECT p.{qn('id')} AS programme_id, pc.{qn('id')} AS place_id, "  # noqa: S608
        f"pc.{qn('code')} AS code, pc.{qn('name_tg')} AS name_tg, pc.{qn('name_ru')} AS name_ru, "
        f"pc.{qn('name_en')} AS name_en "
        f"FROM {qn(p.db_table)} p JOIN {qn(pc.db_table)} pc ON pc.{qn('code')} = {district_code} "
        f"JOIN {qn(pl.db_table)} pl ON pl.{qn(pl.get_field('programme').column)} = p.{qn('id')} "
        f"AND pl.{qn(pl.get_field('place').column)} = pc.{qn('id')} "
        f"WHERE p.{qn('code')} = {programme_code} AND p.{qn('public_reports')} "
        f"AND (SELECT COALESCE(SUM(hits), 0) FROM {rate} WHERE key = ANY({shard_keys}) AND expires = {expires}) "
        f"< {limit}), "
        f"n AS (SELECT nextval(pg_get_serial_sequence('{concern_meta.db_table}', 'id')) AS id FROM look), "
        f"c AS (INSERT INTO {table} ({qn('id')}, {qn('reference')}, {qn('programme_id')}, {qn('district_id')}, "
        f"{', '.join(qn(f.column) for f in c_fields)}) "
        f"SELECT n.id, {reference}, look.programme_id, look.place_id, {concern_values} FROM n, look "
        f"ON CONFLICT DO NOTHING RETURNING {qn('id')}, {qn('status')}), "
        f"e AS (INSERT INTO {qn(event_meta.db_table)} ({qn('concern_id')}, {qn('to_status')}, "
        f"{', '.join(qn(f.column) for f in e_fields)}) "
        f"SELECT c.{qn('id')}, c.{qn('status')}, {event_values} FROM c), "
        f"r AS (INSERT INTO {rate} (key, expires, hits) SELECT {count_key}, {expires}, 1 FROM look "
        f"ON CONFLICT (key) DO UPDATE SET hits = CASE WHEN {rate}.expires = excluded.expires "
        f"THEN {rate}.hits + 1 ELSE 1 END, expires = excluded.expires) "
        f"SELECT (SELECT {qn('id')} FROM c), look.* FROM (SELECT 1) one LEFT JOIN look ON true"
    )
    _SUBMIT.append(_Submit(sql, types, [f for f in c_fields if _varies(f)], [f for f in e_fields if _varies(f)]))
    return _SUBMIT[0]


def _first_event() -> ConcernEvent:
    """A public submission's first timeline row (its concern and status are the insert's)."""
    return ConcernEvent(actor=None, kind=ConcernEvent.Kind.CREATED)


def _pg_submit(
    concern: Concern, programme_code: str, district_code: str, counted: RateDecision, limit: int
) -> tuple[bool, Place | None]:
    """Write ``concern`` (its reference, first timeline row, the rate count) with the programme and district
    of these codes, in one prepared statement: ``(written, district)``. ``district`` is None (nothing
    written, nothing counted) when the programme does not take public reports there or the client's
    count has reached ``limit``; ``written`` is False when a unique constraint already holds the
    concern's client id or receipt code."""
    statement = _pg_submit_statement()
    event = _first_event()
    params = [programme_code[:100], district_code[:100], _rate_keys(counted.key), counted.expires, limit]
    params += _rate_count_params(counted)[:1]
    params += [f.get_db_prep_save(f.pre_save(concern, True), connection) for f in statement.concern_fields]
    params += [f.get_db_prep_save(f.pre_save(event, True), connection) for f in statement.event_fields]
    with connection.cursor() as cursor:
        _execute_prepared(cursor, statement.sql, statement.types, params)
        row = cursor.fetchone()
    if row[1] is None:
        return False, None
    district = _from_db(Place, ["id", "code", "name_tg", "name_ru", "name_en"], row[2:7])
    if row[0] is None:
        return False, district
    concern.pk, concern.programme_id, concern.district = row[0], row[1], district
    concern.reference = reference_for(concern.pk)
    concern._state.adding = False
    concern._state.db = connection.alias
    return True, district


def _new_public_concern(**values: Any) -> Concern:
    """A public submission's concern with ``values``: what nobody submitting can choose is set here."""
    if "reference" not in values:  # a placeholder until the id is known
        values["reference"] = "~" + secrets.token_hex(8)
    if "receipt_code" not in values:
        values["receipt_code"] = new_receipt_code()
    return Concern(source=Source.PUBLIC, sensitivity=Sensitivity.INTERNAL, status=Status.REPORTED, owner=None, **values)


def _record_in_one_statement(
    *,
    programme_code: str,
    district_code: str,
    description: str,
    location_text: str,
    language: str,
    intake_key: uuid.UUID,
    counted: RateDecision,
    limit: int = _NO_LIMIT,
) -> tuple[Concern, bool] | None:
    """:func:`_record` on PostgreSQL for a submission without contact details: one statement (a second
    only to draw another receipt code, or to find the concern a replayed client id made). None when
    the programme does not take public reports in that district, or the client's count reached
    ``limit``: nothing was written."""
    for _attempt in range(_CODE_ATTEMPTS):
        concern = _new_public_concern(
            description=description, language=language, location_text=location_text, intake_key=intake_key
        )
        written, district = _pg_submit(concern, programme_code, district_code, counted, limit)
        if district is None:
            return None
        if written:
            return concern, True
        existing = _replay(intake_key)
        if existing is not None:  # the same form again (it was counted by the statement)
            return existing, False
    raise RuntimeError("Could not draw a free receipt code.")  # pragma: no cover (31^8 codes)


@dataclass(frozen=True)
class _SqliteSubmit:
    """The two inserts of a SQLite submission; how each of their parameters is made, as ``(kind,
    what)``: ``given`` (``what`` the field: the submission's own value of it), ``now`` (the time of the
    submission) or ``value`` (``what`` the value: the same for every public submission, prepared once);
    and the concern as every public submission starts (:func:`_new_public_concern`)."""

    concern_sql: str
    concern_params: list[tuple[str, Any]]
    event_sql: str
    event_params: list[tuple[str, Any]]
    sample: Concern


_SQLITE_SUBMIT: list[_SqliteSubmit] = []
#: Fields a public submission's caller gives values for (the concern's own, and the event's concern).
_GIVEN = _PER_SUBMISSION | {"programme_id", "district_id", "concern_id"}


def _sqlite_submit_statements() -> _SqliteSubmit:
    """SQLite: a public submission's concern and first timeline row, each ONE prebuilt insert.

    The concern's id is drawn inside its own insert (the table's ``AUTOINCREMENT`` counter, or the
    highest id, plus one: a statement holds SQLite's one write lock throughout), so that its reference
    (``C-000123``, as :func:`~hamkori.concerns.services.reference_for`) is written with it, not by an
    update of the row and of the reference's unique index afterwards. ``ON CONFLICT DO NOTHING``: the
    unique client id and receipt code decide. Columns come from the models' meta, so a new field is
    written without touching this; values every public submission shares come from
    :func:`_new_public_concern` and :func:`_first_event` (prepared once, bound as parameters: nothing
    from input is ever part of the SQL)."""
    if _SQLITE_SUBMIT:
        return _SQLITE_SUBMIT[0]
    qn = connection.ops.quote_name

    def plan(fields: list[Any], sample: Any) -> list[tuple[str, Any]]:
        made: list[tuple[str, Any]] = []
        for field in fields:
            if field.attname in _GIVEN:
                made.append(("given", field))
                continue
            value = field.get_db_prep_save(field.pre_save(sample, True), connection)
            if isinstance(field, models.DateTimeField) and _varies(field):
                made.append(("now", field))
            elif _varies(field) and value != field.get_db_prep_save(field.pre_save(sample, True), connection):
                raise ImproperlyConfigured(f"{field} draws a new value each time: make it per submission.")
            else:  # the same for every submission (a callable default such as ``list`` too)
                made.append(("value", value))
        return made

    concern_meta, event_meta = Concern._meta, ConcernEvent._meta
    table = qn(concern_meta.db_table)
    c_fields = [f for f in concern_meta.concrete_fields if f.attname not in ("id", "reference")]
    e_fields = [f for f in event_meta.concrete_fields if f.attname != "id"]
    next_id = (  # names from the models' meta, never from input
        f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{concern_meta.db_table}'), 0), "  # noqa: S608
        f"COALESCE((SELECT MAX({qn('id')}) FROM {table}), 0)) + 1 AS id"
    )
    concern_sql = (
        f"INSERT INTO {table} ({qn('id')}, {qn('reference')}, {', '.join(qn(f.column) for f in c_fields)}) "  # noqa: S608
        f"SELECT n.id, 'C-' || printf('%%06d', n.id), {', '.join(['%s'] * len(c_fields))} FROM ({next_id}) n "
        f"WHERE true ON CONFLICT DO NOTHING RETURNING {qn('id')}"  # WHERE: SQLite's upsert after a SELECT
    )
    event_sql = (
        f"INSERT INTO {qn(event_meta.db_table)} ({', '.join(qn(f.column) for f in e_fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(e_fields))})"
    )
    concern, event = _new_public_concern(), _first_event()
    event.to_status = concern.status
    submit = _SqliteSubmit(concern_sql, plan(c_fields, concern), event_sql, plan(e_fields, event), concern)
    _SQLITE_SUBMIT.append(submit)
    return submit


def _sqlite_params(made: list[tuple[str, Any]], given: dict[str, Any], now: Any) -> list[Any]:
    return [
        what if kind == "value" else now if kind == "now" else what.get_db_prep_save(given[what.attname], connection)
        for kind, what in made
    ]


def _like(sample: Concern, **values: Any) -> Concern:
    """A saved concern: a copy of ``sample`` with ``values`` (the model's constructor, which sets every
    field again, is the slowest part of answering a submission otherwise)."""
    concern = Concern.__new__(Concern)
    concern.__dict__.update(sample.__dict__)
    concern._state = ModelState()
    concern._state.adding, concern._state.db = False, connection.alias
    concern.evidence_links = []
    for name, value in values.items():
        setattr(concern, name, value)
    return concern


_QUEUE = threading.local()


@contextlib.contextmanager
def _sqlite_writers_queue(name: str) -> Iterator[None]:
    """SQLite: wait in a queue of the intake's writers (an exclusive ``flock`` on ``<name>-queue`` next
    to the database file ``name``) before taking the database's write lock. A writer that finds SQLite's
    lock taken polls for it, asleep between tries (1, 2, 5, 10 ms …); one waiting in the queue is woken
    by the kernel the moment the writer before it is done. The queue only orders writers: what keeps
    them apart is SQLite's lock, so a database in memory goes without it. One handle on the queue's file
    per thread (``flock`` is per open file), kept open."""
    if name == ":memory:" or "mode=memory" in name:
        yield
        return
    handles = _QUEUE.__dict__.setdefault("handles", {})
    if name not in handles:
        handles[name] = os.open(name + "-queue", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(handles[name], fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handles[name], fcntl.LOCK_UN)


def _sqlite_record(
    *,
    programme: Programme,
    district: Place,
    description: str,
    location_text: str,
    language: str,
    intake_key: uuid.UUID,
    counted: RateDecision | None,
) -> tuple[Concern, bool]:
    """:func:`_record` on SQLite for a submission without contact details: its parameters made first,
    then, in one short transaction (SQLite's one write lock is held from ``BEGIN IMMEDIATE`` to the
    commit, and every other submission waits for it), the concern with its reference, the first
    timeline row and the rate count: three statements, nothing else."""
    statement = _sqlite_submit_statements()
    created_at = timezone.now()
    now = connection.ops.adapt_datetimefield_value(created_at)
    given = {
        "programme_id": programme.pk,
        "district_id": district.pk,
        "description": description,
        "language": language,
        "location_text": location_text,
        "intake_key": intake_key,
        "receipt_code": new_receipt_code(),
    }
    with _sqlite_writers_queue(str(connection.settings_dict["NAME"])), transaction.atomic():
        for _attempt in range(_CODE_ATTEMPTS):
            row = _hot(statement.concern_sql, _sqlite_params(statement.concern_params, given, now))
            if row is not None:
                break
            existing = _replay(intake_key)
            if existing is not None:  # the same form again: the concern it made, the same code
                if counted is not None:
                    rate_count(counted)
                return existing, False
            given["receipt_code"] = new_receipt_code()  # a code already drawn: draw again
        else:  # pragma: no cover (31^8 codes)
            raise RuntimeError("Could not draw a free receipt code.")
        given["concern_id"] = row[0]
        _hot(statement.event_sql, _sqlite_params(statement.event_params, given, now))
        if counted is not None:
            rate_count(counted)
    concern = _like(
        statement.sample,
        pk=row[0],
        reference=reference_for(row[0]),
        programme=programme,
        district=district,
        description=description,
        language=language,
        location_text=location_text,
        intake_key=intake_key,
        receipt_code=given["receipt_code"],
        created_at=created_at,
        updated_at=created_at,
        status_changed_at=created_at,
    )
    return concern, True


def _replay(intake_key: uuid.UUID) -> Concern | None:
    return Concern.objects.filter(intake_key=intake_key).select_related("district").first()


@transaction.atomic
def _record(
    *,
    programme: Programme,
    district: Place,
    description: str,
    location_text: str,
    language: str,
    intake_key: uuid.UUID,
    personal: PersonalData | None,
    counted: RateDecision | None,
) -> tuple[Concern, bool]:
    """The writes of :func:`concern_submit_public` (checked input), in one transaction: the concern
    (its client id and receipt code unique in the database: a conflict means the same form again, or a
    code already drawn), its reference, the timeline's first row, the contact in the vault, the count."""
    for _attempt in range(_CODE_ATTEMPTS):
        concern = _new_public_concern(
            programme=programme,
            description=description,
            language=language,
            district=district,
            location_text=location_text,
            intake_key=intake_key,
            reporter_key=uuid.uuid4() if personal is not None else None,
        )
        if _insert_ignoring_conflicts(concern) is not None:
            break
        existing = _replay(intake_key)
        if existing is not None:  # the same form again: the concern it made, the same code
            if counted is not None:
                rate_count(counted)
            return existing, False
        # a receipt code (or placeholder reference) already taken: draw again
    else:  # pragma: no cover (31^8 codes)
        raise RuntimeError("Could not draw a free receipt code.")

    token = audit.set_request_context(audit.RequestContext(ip_address=None))  # no address with a reporter
    try:
        concern.reference = reference_for(concern.pk)
        with connection.cursor() as cursor:  # one statement (``assign_reference`` without the ORM)
            cursor.execute(_reference_sql(), [concern.reference, concern.pk])
        _insert_ignoring_conflicts(
            ConcernEvent(concern=concern, actor=None, kind=ConcernEvent.Kind.CREATED, to_status=concern.status)
        )
        if personal is not None and concern.reporter_key is not None:
            vault_put(actor=None, subject_key=concern.reporter_key, data=personal, programme_id=programme.pk)
        # No audit event per submission: the hash chain's lock would make every submission wait for
        # the one before it to commit. The rows are sealed into the chain in batches instead
        # (seal_public_submissions, ADR 0009).
        if counted is not None:
            rate_count(counted)
    finally:
        audit.reset_request_context(token)
    return concern, True


# --- What the person with the code sees -------------------------------------------------------
@dataclass(frozen=True)
class PublicReceipt:
    """Everything the holder of a receipt code may know: nothing more."""

    code: str  # as shown: K7Q4-9MXP
    status: str  # PublicStatus value
    status_label: str
    district: str
    received_on: date
    note: str  # the published "what was done", or ""


def receipt_of(concern: Concern) -> PublicReceipt:
    """The public view of ``concern`` (a merged one shows the status and note of the concern it
    now lives in; the district and date are those of the submission)."""
    current = resolve_merged(concern) if concern.merged_into_id else concern
    status = PublicStatus(current.public_status)
    received = timezone.localtime(concern.created_at) if concern.created_at else timezone.localtime()
    return PublicReceipt(
        code=format_code(concern.receipt_code or ""),
        status=status.value,
        status_label=str(status.label),
        district=concern.district.name,
        received_on=received.date(),
        note=current.public_note if current.public_note_published_at else "",
    )


def public_receipt(code: str | None) -> PublicReceipt | None:
    """Look a receipt code up (any case, spaces, dashes); None when there is no such code."""
    normalized = normalize_code(code)
    if normalized is None:
        return None
    concern = (
        Concern.objects.select_related("district")
        .only(
            "receipt_code",
            "status",
            "created_at",
            "merged_into_id",
            "public_note",
            "public_note_published_at",
            "district__name_tg",
            "district__name_ru",
            "district__name_en",
        )
        .filter(receipt_code=normalized)
        .first()
    )
    return receipt_of(concern) if concern is not None else None


# --- Rate limits ------------------------------------------------------------------------------
RATE_SETTINGS = {"submit": "HAMKORI_INTAKE_RATE", "status": "HAMKORI_INTAKE_STATUS_RATE"}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd]?)\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 1}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


@functools.lru_cache(maxsize=16)
def parse_rate(text: str) -> Rate:
    """``30/10m`` → 30 per 600 s; ``60/m``, ``1000/3600``, ``5/s`` too."""
    match = _RATE.match(text or "")
    if not match:
        raise ValueError(f"A rate looks like 30/10m, not {text!r}.")
    count, number, unit = match.groups()
    return Rate(count=int(count), seconds=max(1, int(number or 1) * _UNIT[unit]))


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int = 0  # seconds until the window opens again
    key: str = ""
    expires: int = 0  # the end of the window, in Unix seconds


@_per_database
def _rate_table() -> str:
    return connection.ops.quote_name(IntakeRate._meta.db_table)


@_per_database
def _rate_count_sql() -> str:
    table = _rate_table()
    return (
        f"INSERT INTO {table} (key, expires, hits) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT (key) DO UPDATE SET hits = CASE WHEN {table}.expires = excluded.expires "
        f"THEN {table}.hits + 1 ELSE 1 END, expires = excluded.expires"
    )


def _rate_keys(prefix: str) -> list[str]:
    """A client's shard rows of a window (``submit:<digest>:0`` … ``:7``)."""
    return [f"{prefix}{shard}" for shard in range(RATE_SHARDS)]


def _rate_count_params(decision: RateDecision) -> list[Any]:
    return [decision.key + str(secrets.randbelow(RATE_SHARDS)), decision.expires]


def _rate_window(scope: str, address: str | None) -> tuple[Rate, str, int, int]:
    """The configured rate of ``scope``, the client's key prefix, the current window's end, now."""
    rate = parse_rate(getattr(settings, RATE_SETTINGS[scope]))
    now = int(time.time())
    expires = (now // rate.seconds + 1) * rate.seconds
    ident = hmac.new(settings.SECRET_KEY.encode(), (address or "-").encode(), hashlib.sha256).hexdigest()[:32]
    return rate, f"{scope}:{ident}:", expires, now


def rate_check(scope: str, address: str | None) -> RateDecision:
    """Whether one more request of ``scope`` (``submit`` or ``status``) from ``address`` is within
    the configured rate, in fixed windows of its period. Only reads (one indexed row):
    :func:`rate_count` counts it, a submission inside its own transaction, so a flood of refused or
    invalid requests writes nothing."""
    rate, key, expires, now = _rate_window(scope, address)
    row = _hot(_rate_sum_sql(), [*_rate_keys(key), expires])
    return RateDecision((row[0] if row else 0) < rate.count, expires - now, key, expires)


#: A client's count is spread over this many rows (summed when read), so that concurrent submissions
#: from one address (a village behind one connection) do not queue for one row's lock.
RATE_SHARDS = 8


def rate_count(decision: RateDecision) -> None:
    """Count the request ``decision`` allowed: one upsert, atomic in the database, so every worker
    (and every server on the same database) shares the count. (Django's database cache, which the
    API's throttle uses, needs five statements and a count of its whole table for each write.)"""
    _hot(_rate_count_sql(), _rate_count_params(decision))
    if secrets.randbelow(1000) == 0:  # now and then, forget the windows that are over
        _hot(_rate_forget_sql(), [int(time.time()) - 60])


@_per_database
def _rate_forget_sql() -> str:
    return f"DELETE FROM {_rate_table()} WHERE expires < %s"  # noqa: S608


def rate_hit(scope: str, address: str | None) -> RateDecision:
    """:func:`rate_check`, and count the request when it is allowed (status look-ups)."""
    decision = rate_check(scope, address)
    if decision.allowed:
        rate_count(decision)
    return decision


def client_id_from(value: Any) -> uuid.UUID | None:
    """A form's or request's client id as a UUID, or None."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


#: ``AuditEvent.action`` of a seal: the public submissions of one programme since its last seal.
SEAL_ACTION = "concern.intake_sealed"


def _digest(rows: list[tuple[Any, ...]]) -> str:
    sha = hashlib.sha256()
    for pk, intake_key, receipt_code, created_at, description in rows:
        sha.update(f"{pk}|{intake_key}|{receipt_code}|{created_at.isoformat()}|".encode())
        sha.update(hashlib.sha256(description.encode()).digest())
        sha.update(b"\n")
    return sha.hexdigest()


def _sealed_through() -> int:
    """The last concern id the seals have read (every concern up to it is sealed, if public)."""
    last = (
        AuditEvent.objects.filter(action=SEAL_ACTION)
        .order_by("-occurred_at", "-pk")
        .values_list("summary", flat=True)
        .first()
    ) or {}
    return int(last.get("scanned_through", last.get("through_id", 0)))


@transaction.atomic
def seal_public_submissions(*, limit: int = 500) -> int:
    """Seal the public submissions made since the last seal into the audit log's hash chain: one
    event per programme naming the range of ids, their number and a digest of what was submitted
    (id, client id, receipt code, time, the description's hash), and the last concern id read. A
    submission deleted or edited afterwards no longer matches its seal. Run after about one in fifty
    submissions and when staff open the triage queue; returns how many submissions it sealed.

    The public submissions since the last seal are read in id order, at most ``limit`` at a time, for
    every programme at once, with no condition on the programme: a filter on programme and source let
    PostgreSQL walk every public concern of the programme through an index on them when its statistics
    were stale; without it the primary key (or, where few concerns carry a client id, that unique index)
    finds them."""
    audit.lock_chain()  # one sealer at a time: two would seal the same rows
    rows = list(
        Concern.objects.filter(pk__gt=_sealed_through(), source=Source.PUBLIC, intake_key__isnull=False)
        .order_by("pk")
        .values_list("pk", "programme_id", "intake_key", "receipt_code", "created_at", "description")[:limit]
    )
    public: dict[int, list[tuple[Any, ...]]] = {}
    for pk, programme_id, *sealed in rows:
        public.setdefault(programme_id, []).append((pk, *sealed))
    for programme_id, mine in sorted(public.items()):
        audit.record(
            actor=None,
            action=SEAL_ACTION,
            programme=Programme(pk=programme_id),
            summary={
                "from_id": mine[0][0],
                "through_id": mine[-1][0],
                "count": len(mine),
                "digest": _digest(mine),
                "scanned_through": rows[-1][0],
            },
        )
    return len(rows)


def seal_now_and_then() -> None:
    """After a submission: seal the backlog about once in fifty submissions."""
    if secrets.randbelow(50) == 0:
        seal_public_submissions()
