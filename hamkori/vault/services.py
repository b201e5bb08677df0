"""Every read and write of the personal-data vault (ADR 0003).

Each write is keyword-only, atomic and audited; each read of personal data is audited with its
purpose. Audit summaries name the fields that changed and the purpose of a read, never the data.
Callers authorise before calling: the vault knows nothing about who may see whom.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from hamkori.core import audit, crypto, text
from hamkori.vault.models import NameToken, VaultRecord

OBJECT_TYPE = "vault.vaultrecord"
LIMITS = {"full_name": 200, "phone": 40, "email": 254, "address": 500}
_PHONE = re.compile(r"[0-9 +()\-]*")
# Ciphertexts are padded to a multiple of this many bytes so their length tells little.
_PAD = 128
# A search looks at no more than this many characters and name tokens of the query.
MAX_QUERY_LENGTH = 200
MAX_QUERY_TOKENS = 8


@dataclass(frozen=True, repr=False)
class PersonalData:
    """A person's identifying details. Its repr hides the values (tracebacks, logs)."""

    full_name: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""

    def __repr__(self) -> str:
        filled = ", ".join(f"{f.name}=<{'set' if getattr(self, f.name) else 'empty'}>" for f in fields(self))
        return f"PersonalData({filled})"

    def validated(self) -> PersonalData:
        """A stripped copy, or ValidationError ``{field: [message]}`` for each bad field."""
        values = {
            "full_name": " ".join(str(self.full_name or "").split()),
            "phone": " ".join(str(self.phone or "").split()),
            "email": str(self.email or "").strip(),
            "address": str(self.address or "").strip(),
        }
        errors: dict[str, list[str]] = {}
        for name, limit in LIMITS.items():
            if len(values[name]) > limit:
                errors.setdefault(name, []).append(
                    _("This must be at most %(limit)d characters long.") % {"limit": limit}
                )
        phone = values["phone"]
        if phone and (not _PHONE.fullmatch(phone) or not any(c.isdigit() for c in phone)):
            errors.setdefault("phone", []).append(_("A phone number may contain only digits, spaces and + ( ) -."))
        if values["email"] and "email" not in errors:
            try:
                EmailValidator()(values["email"])
            except ValidationError:
                errors.setdefault("email", []).append(_("Enter a valid email address."))
        if errors:
            raise ValidationError(errors)
        return replace(self, **values)

    def changed_fields(self, other: PersonalData | None) -> list[str]:
        before = other or PersonalData()
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(before, f.name)]


@dataclass(frozen=True)
class RotationResult:
    reencrypted: int = 0
    reindexed: int = 0
    totp_secrets: int = 0
    recovery_codes: int = 0


# --- Encryption and the blind index ------------------------------------------------------------


def _seal(data: PersonalData) -> str:
    payload = json.dumps(asdict(data), ensure_ascii=False, separators=(",", ":"))
    padding = -len(payload.encode("utf-8")) % _PAD
    return crypto.encrypt(payload + " " * padding)  # JSON ignores trailing white space


def _open(record: VaultRecord) -> PersonalData:
    values = json.loads(crypto.decrypt(record.ciphertext))
    return PersonalData(**{f.name: str(values.get(f.name, "")) for f in fields(PersonalData)})


def _digests(full_name: str) -> set[str]:
    return {crypto.blind_index(token) for token in text.name_tokens(full_name)}


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValueError("Every read of personal data needs a purpose.")
    return purpose[:200]


# --- Writes ------------------------------------------------------------------------------------


@transaction.atomic
def vault_put(*, actor: Any, subject_key: uuid.UUID, data: PersonalData) -> VaultRecord:
    """Store (create or replace) the details of ``subject_key``, and its name's blind index."""
    clean = data.validated()
    subject_key = _as_uuid(subject_key)
    record = VaultRecord.objects.select_for_update().filter(subject_key=subject_key).first()
    before: PersonalData | None = None
    if record is not None:
        try:
            before = _open(record)
        except ValueError:  # under a key no longer configured: everything is replaced
            before = None
    changed = clean.changed_fields(before)
    if record is not None and not changed:
        return record
    created = record is None
    if record is None:
        record = VaultRecord.objects.create(
            subject_key=subject_key, ciphertext=_seal(clean), key_id=crypto.current_key_id()
        )
    else:
        record.ciphertext = _seal(clean)
        record.key_id = crypto.current_key_id()
        record.save(update_fields=["ciphertext", "key_id", "updated_at"])
        record.tokens.all().delete()
    NameToken.objects.bulk_create(
        NameToken(record=record, digest=digest) for digest in sorted(_digests(clean.full_name))
    )
    audit.record(
        actor=actor,
        action="vault.put",
        obj=record,
        object_id=str(subject_key),
        summary={"created": created, "fields": changed},
    )
    return record


@transaction.atomic
def vault_erase(*, actor: Any, subject_key: uuid.UUID) -> bool:
    """Delete the details of ``subject_key`` and its blind index (consent withdrawn: from then on
    the rest of the system holds only the pseudonymous key). Whether anything was there."""
    subject_key = _as_uuid(subject_key)
    deleted, _counts = VaultRecord.objects.filter(subject_key=subject_key).delete()
    found = deleted > 0
    audit.record(
        actor=actor,
        action="vault.erase",
        object_type=OBJECT_TYPE,
        object_id=str(subject_key),
        object_repr=f"vault record {subject_key}",
        summary={"found": found},
    )
    return found


# --- Reads -------------------------------------------------------------------------------------


@transaction.atomic
def vault_get(*, actor: Any, subject_key: uuid.UUID, purpose: str) -> PersonalData | None:
    """The details of ``subject_key``, or None. Audited as ``vault.read`` with ``purpose``.

    The vault does not authorise: the caller must already have decided that ``actor`` may see
    this person's details for this purpose (and should say why in ``purpose``).
    """
    purpose = _purpose(purpose)
    subject_key = _as_uuid(subject_key)
    record = VaultRecord.objects.filter(subject_key=subject_key).first()
    audit.record(
        actor=actor,
        action="vault.read",
        object_type=OBJECT_TYPE,
        object_id=str(subject_key),
        object_repr=f"vault record {subject_key}",
        summary={"purpose": purpose, "found": record is not None},
    )
    return _open(record) if record is not None else None


@transaction.atomic
def vault_get_many(*, actor: Any, subject_keys: Iterable[uuid.UUID], purpose: str) -> dict[uuid.UUID, PersonalData]:
    """The details of each of ``subject_keys`` that has a record, in one query and one audit event
    (``vault.read``, with the purpose, the count and the pseudonymous keys that were read).

    As with :func:`vault_get`, the caller authorises first.
    """
    purpose = _purpose(purpose)
    keys = list(dict.fromkeys(_as_uuid(k) for k in subject_keys))
    if not keys:
        return {}
    records = list(VaultRecord.objects.filter(subject_key__in=keys))
    found = sorted(str(r.subject_key) for r in records)
    audit.record(
        actor=actor,
        action="vault.read",
        object_type=OBJECT_TYPE,
        object_repr=f"{len(records)} vault records",
        summary={
            "purpose": purpose,
            "requested": len(keys),
            "count": len(records),
            "subject_keys": found,
        },
    )
    return {r.subject_key: _open(r) for r in records}


def vault_search(query: str) -> set[uuid.UUID]:
    """Subject keys whose full name holds every token of ``query`` (whole tokens, after
    :func:`hamkori.core.text.name_key`, so Cyrillic and Latin spellings meet). One query.

    Not audited and reveals no details; a caller that shows the results reads them through
    :func:`vault_get_many`, which is.
    """
    tokens = list(dict.fromkeys(text.name_tokens((query or "")[:MAX_QUERY_LENGTH])))
    tokens = tokens[:MAX_QUERY_TOKENS]
    if not tokens:
        return set()
    # A record's tokens are all hashed under one key (the one that encrypted it), so each query
    # token matches at most one of its digests: counting distinct digests counts matched tokens.
    digests = {digest for token in tokens for digest in crypto.blind_indexes(token)}
    rows = (
        NameToken.objects.filter(digest__in=digests)
        .values("record__subject_key")
        .annotate(hits=Count("digest", distinct=True))
        .filter(hits=len(tokens))
        .values_list("record__subject_key", flat=True)
    )
    return set(rows)


def vault_key_status() -> dict[str, int]:
    """How many records each key (by fingerprint) encrypted: rotation progress."""
    rows = VaultRecord.objects.values("key_id").annotate(n=Count("pk")).order_by("key_id")
    return {row["key_id"]: row["n"] for row in rows}


# --- Key rotation ------------------------------------------------------------------------------


def vault_rotate(*, actor: Any, batch_size: int = 500, reindex_all: bool = False) -> RotationResult:
    """Re-encrypt under the newest key every record that is not, with its blind index, and every
    two-factor secret allauth keeps encrypted with our key (TOTP secrets, recovery-code seeds).

    Runs in batches, each in its own transaction, so it can be stopped and run again; a second run
    finds nothing to do. ``reindex_all`` also recomputes the blind index of records already under
    the newest key (after a change to :func:`hamkori.core.text.name_key`). Audited once.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    current = crypto.current_key_id()
    reencrypted = reindexed = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            records = VaultRecord.objects.select_for_update().filter(pk__gt=last_pk).order_by("pk")
            if not reindex_all:
                records = records.exclude(key_id=current)
            batch = list(records[:batch_size])
            if not batch:
                break
            last_pk = batch[-1].pk
            tokens: list[NameToken] = []
            for record in batch:
                if record.key_id != current or not crypto.is_current(record.ciphertext):
                    record.ciphertext = crypto.rotate(record.ciphertext)
                    record.key_id = current
                    reencrypted += 1
                tokens.extend(
                    NameToken(record=record, digest=digest) for digest in sorted(_digests(_open(record).full_name))
                )
            # Not save(): rotation is not a change of the data, so updated_at stays.
            VaultRecord.objects.bulk_update(batch, ["ciphertext", "key_id"])
            NameToken.objects.filter(record__in=batch).delete()
            NameToken.objects.bulk_create(tokens)
            reindexed += len(batch)
    totp, recovery = _rotate_mfa_secrets(batch_size)
    result = RotationResult(reencrypted=reencrypted, reindexed=reindexed, totp_secrets=totp, recovery_codes=recovery)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="vault.rotate",
            object_type=OBJECT_TYPE,
            summary={**asdict(result), "key_id": current, "reindex_all": reindex_all},
        )
    return result


def _rotate_mfa_secrets(batch_size: int) -> tuple[int, int]:
    """Re-encrypt allauth's secrets (see ``EncryptingMFAAdapter``); removing the old key would
    otherwise lock everyone with two-factor sign-in out."""
    totp = recovery = 0
    last_pk = 0
    kinds = [Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    while True:
        with transaction.atomic():
            batch = list(
                Authenticator.objects.select_for_update()
                .filter(pk__gt=last_pk, type__in=kinds)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            for auth in batch:
                data = dict(auth.data or {})
                changed = False
                for name in ("secret", "seed"):
                    value = data.get(name)
                    if isinstance(value, str) and not crypto.is_current(value):
                        data[name] = crypto.rotate(value)
                        changed = True
                codes = data.get("migrated_codes")
                if isinstance(codes, list) and not all(crypto.is_current(c) for c in codes):
                    data["migrated_codes"] = [crypto.rotate(c) for c in codes]
                    changed = True
                if changed:
                    auth.data = data
                    auth.save(update_fields=["data"])
                    if auth.type == Authenticator.Type.TOTP:
                        totp += 1
                    else:
                        recovery += 1
    return totp, recovery
