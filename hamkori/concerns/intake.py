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

Rate limits (:func:`rate_hit`) are counted per client address in Django's cache, which is a
database table every worker shares (``settings.CACHES``); the address is stored only as a keyed
digest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.concerns.models import Concern, ConcernEvent, PublicStatus, Source, Status, TextLanguage
from hamkori.concerns.services import assign_reference, clean_text, resolve_merged, timeline
from hamkori.core import audit
from hamkori.core.models import Sensitivity
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


# --- What is offered ---------------------------------------------------------------------------
def accepting_programmes() -> list[Programme]:
    """Programmes that accept concerns from the public, each with its locations prefetched
    (``programme.public_locations``, in the programme's order). Public knowledge by design: the
    form shows their titles and places, nothing else."""
    locations = ProgrammeLocation.objects.select_related("place").order_by("order", "pk")
    return list(
        Programme.objects.filter(public_reports=True)
        .order_by("code")
        .prefetch_related(Prefetch("locations", queryset=locations, to_attr="public_locations"))
    )


def _language_or_other(language: str) -> str:
    return language if language in TextLanguage.values else TextLanguage.OTHER


# --- The submission ----------------------------------------------------------------------------
def _validate_contact(contact: PersonalData | None, consent: bool) -> PersonalData | None:
    if contact is None or not any((contact.full_name.strip(), contact.phone.strip(), contact.email.strip())):
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


@transaction.atomic
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
) -> tuple[Concern, bool]:
    """Record a concern sent by the public: ``(concern, created)``. The same ``intake_key`` again
    answers the concern it created (``created`` false) with the same receipt code.

    Source public, sensitivity internal, no owner, status reported; nothing else can be set.
    Bad input raises ``ValidationError({field: [message]})`` and writes nothing."""
    errors: dict[str, list[str]] = {}
    if programme is None or not programme.public_reports:
        errors["programme"] = [_("This programme does not take reports from the public. Choose from the list.")]
    elif (
        district is None
        or not ProgrammeLocation.objects.filter(programme_id=programme.pk, place_id=district.pk).exists()
    ):
        errors["district"] = [_("Choose a district from the list.")]
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

    for _attempt in range(_CODE_ATTEMPTS):
        try:
            with transaction.atomic():  # a savepoint: the unique constraints decide, not a check here
                concern = Concern.objects.create(
                    programme=programme,
                    reference="~" + secrets.token_hex(8),
                    description=description,
                    language=language,
                    district=district,
                    location_text=location_text,
                    source=Source.PUBLIC,
                    sensitivity=Sensitivity.INTERNAL,
                    status=Status.REPORTED,
                    owner=None,
                    intake_key=intake_key,
                    receipt_code=new_receipt_code(),
                    reporter_key=uuid.uuid4() if personal is not None else None,
                )
        except IntegrityError:
            existing = Concern.objects.filter(intake_key=intake_key).first()
            if existing is not None:
                return existing, False  # the same form again: the concern it made, the same code
            continue  # a receipt code (or placeholder reference) already taken: draw again
        break
    else:  # pragma: no cover (31^8 codes)
        raise RuntimeError("Could not draw a free receipt code.")

    token = audit.set_request_context(audit.RequestContext(ip_address=None))  # no address with a reporter
    try:
        assign_reference(concern)
        timeline(concern, actor=None, kind=ConcernEvent.Kind.CREATED, to_status=concern.status)
        if personal is not None and concern.reporter_key is not None:
            vault_put(actor=None, subject_key=concern.reporter_key, data=personal, programme_id=programme.pk)
        audit.record(  # last: on PostgreSQL it takes the audit chain's lock until the commit
            actor=None,
            action="concern.submit_public",
            obj=concern,
            summary={"district": district.code, "source": Source.PUBLIC, "contact": personal is not None},
        )
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


def rate_hit(scope: str, address: str | None) -> RateDecision:
    """Count one request of ``scope`` (``submit`` or ``status``) from ``address``, in fixed windows
    of the configured period. Over the limit nothing more is written (a flood costs one read each).
    The cache is shared by every worker; two requests at the same instant may both count as one,
    which a generous limit can afford."""
    rate = parse_rate(getattr(settings, RATE_SETTINGS[scope]))
    now = int(time.time())
    window, left = divmod(now, rate.seconds)
    ident = hmac.new(settings.SECRET_KEY.encode(), (address or "-").encode(), hashlib.sha256).hexdigest()[:24]
    key = f"intake:{scope}:{ident}:{window}"
    seen = cache.get(key, 0)
    if seen >= rate.count:
        return RateDecision(False, rate.seconds - left)
    cache.set(key, seen + 1, rate.seconds + 1)
    return RateDecision(True)


def client_id_from(value: Any) -> uuid.UUID | None:
    """A form's or request's client id as a UUID, or None."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None
