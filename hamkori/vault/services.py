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


@dataclass(frozen=True)
class _Sealed:
    """What a record's ciphertext holds: the details, and (inside the encryption only) the subject
    key and the programme whose index the name is in."""

    data: PersonalData
    subject: uuid.UUID | None
    programme_id: int | None


def _seal(data: PersonalData, subject_key: uuid.UUID | None = None, programme_id: int | None = None) -> str:
    values: dict[str, Any] = asdict(data)
    if subject_key is not None:
        values["s"] = str(subject_key)
        values["p"] = programme_id
    payload = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    padding = -len(payload.encode("utf-8")) % _PAD
    return crypto.encrypt(payload + " " * padding)  # JSON ignores trailing white space


def _unseal(record: VaultRecord) -> _Sealed:
    values = json.loads(crypto.decrypt(record.ciphertext))
    data = PersonalData(**{f.name: str(values.get(f.name, "")) for f in fields(PersonalData)})
    subject = uuid.UUID(values["s"]) if values.get("s") else None
    programme_id = values.get("p")
    return _Sealed(data=data, subject=subject, programme_id=int(programme_id) if programme_id is not None else None)


def _open(record: VaultRecord) -> PersonalData:
    return _unseal(record).data


def _digests(full_name: str, programme_id: int | None = None) -> set[str]:
    return {crypto.blind_index(token, programme_id) for token in text.name_tokens(full_name)}


def _check_all_keys_configured() -> None:
    """A subject not found may be under a key no longer configured: say so rather than "nobody"."""
    if VaultRecord.objects.exclude(key_id__in=crypto.configured_key_ids()).exists():
        raise ValueError("Some vault records were encrypted under a key that is no longer configured.")


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValueError("Every read of personal data needs a purpose.")
    return purpose[:200]


# --- Writes ------------------------------------------------------------------------------------


@transaction.atomic
def vault_put(
    *, actor: Any, subject_key: uuid.UUID, data: PersonalData, programme_id: int | None = None
) -> VaultRecord:
    """Store (create or replace) the details of ``subject_key``, and its name's blind index in the
    index of ``programme_id`` (the programme the person belongs to: search finds them only there;
    None keeps a replaced record's programme, or is an index of its own)."""
    clean = data.validated()
    subject_key = _as_uuid(subject_key)
    record = VaultRecord.objects.select_for_update().filter(subject_key=subject_key).first()
    before: _Sealed | None = None
    if record is not None:
        try:
            before = _unseal(record)
        except ValueError:  # under a key no longer configured: everything is replaced
            before = None
    if programme_id is None and before is not None:
        programme_id = before.programme_id
    changed = clean.changed_fields(before.data if before else None)
    same_place = before is not None and (before.subject, before.programme_id) == (subject_key, programme_id)
    if record is not None and not changed and same_place:
        record.subject_key = subject_key
        return record
    created = record is None
    if record is None:
        record = VaultRecord.objects.create(
            subject_key=subject_key,
            ciphertext=_seal(clean, subject_key, programme_id),
            key_id=crypto.current_key_id(),
        )
    else:
        record.subject_key = subject_key  # stored as its reference under the newest key
        record.ciphertext = _seal(clean, subject_key, programme_id)
        record.key_id = crypto.current_key_id()
        record.save(update_fields=["subject_key", "ciphertext", "key_id"])
        record.tokens.all().delete()
    NameToken.objects.bulk_create(
        NameToken(record=record, digest=digest) for digest in sorted(_digests(clean.full_name, programme_id))
    )
    audit.record(
        actor=actor,
        action="vault.put",
        obj=record,
        object_id=str(subject_key),
        object_repr=f"vault record {subject_key}",
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
    if record is None:
        _check_all_keys_configured()
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
    wanted = set(keys)
    opened: dict[uuid.UUID, PersonalData] = {}
    for record in VaultRecord.objects.filter(subject_key__in=keys):
        sealed = _unseal(record)
        if sealed.subject in wanted:
            opened[sealed.subject] = sealed.data
    records = list(opened)
    found = sorted(str(k) for k in opened)
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
    return opened


def vault_search(query: str, programme_id: int | None = None) -> set[uuid.UUID]:
    """Subject keys of ``programme_id`` whose full name holds every token of ``query`` (whole
    tokens, after :func:`hamkori.core.text.name_key`, so Cyrillic and Latin spellings meet).

    One query finds the candidates by their digests' buckets; as a bucket holds many names, each
    candidate is decrypted and kept only if its name really holds every token and it is in
    ``programme_id``. Not audited and reveals no details; a caller that shows the results reads
    them through :func:`vault_get_many`, which is.
    """
    tokens = list(dict.fromkeys(text.name_tokens((query or "")[:MAX_QUERY_LENGTH])))
    tokens = tokens[:MAX_QUERY_TOKENS]
    if not tokens:
        return set()
    # A record's tokens are all hashed under one key (the one that encrypted it). Two query
    # tokens may share a bucket, so a true match holds at least as many distinct buckets as the
    # query has under its key; the smallest such count over the keys loses no true match.
    per_key = crypto.blind_bucket_sets(tokens, programme_id)
    digests = set().union(*per_key)
    candidates = (
        NameToken.objects.filter(digest__in=digests)
        .values("record")
        .annotate(hits=Count("digest", distinct=True))
        .filter(hits__gte=min(len(b) for b in per_key))
        .values("record")
    )
    wanted = set(tokens)
    found: set[uuid.UUID] = set()
    for record in VaultRecord.objects.filter(pk__in=candidates):
        try:
            sealed = _unseal(record)
        except ValueError:  # under a key no longer configured: it cannot be a match
            continue
        if sealed.subject is None or sealed.programme_id != programme_id:
            continue
        if wanted <= set(text.name_tokens(sealed.data.full_name)):
            found.add(sealed.subject)
    return found


def vault_key_status() -> dict[str, int]:
    """How many records each key (by fingerprint) encrypted: rotation progress."""
    rows = VaultRecord.objects.values("key_id").annotate(n=Count("pk")).order_by("key_id")
    return {row["key_id"]: row["n"] for row in rows}


# --- Key rotation ------------------------------------------------------------------------------


def vault_rotate(*, actor: Any, batch_size: int = 500, reindex_all: bool = False) -> RotationResult:
    """Re-encrypt under the newest key every record that is not, with its blind index, and every
    two-factor secret allauth keeps encrypted with our key (TOTP secrets, recovery-code seeds).

    Runs in batches, each in its own transaction, so it can be stopped and run again; a second run
    finds nothing to do. With the key, the reference to the subject key and the blind index (per
    programme, both derived from the key) are recomputed. ``reindex_all`` also recomputes them for
    records already under the newest key (after a change to :func:`hamkori.core.text.name_key` or to
    :data:`hamkori.core.crypto.BUCKET_BITS`). Audited once.
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
                sealed = _unseal(record)
                if sealed.subject is not None:
                    record.subject_key = sealed.subject  # its reference under the newest key
                tokens.extend(
                    NameToken(record=record, digest=digest)
                    for digest in sorted(_digests(sealed.data.full_name, sealed.programme_id))
                )
            VaultRecord.objects.bulk_update(batch, ["ciphertext", "key_id", "subject_key"])
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
