"""Public intake in the API: ``POST /api/public/concerns`` and ``POST /api/public/concerns/status``.

Anonymous (no session, no token, so no CSRF token either: nothing of a signed-in user is at stake),
rate-limited per client address exactly like the pages (the same counters in the shared cache), and
answering in the one error format of ``hamkori.core.api_errors``. The receipt code is sent in the
body both ways, never in an address.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, Router, Schema, Status

from hamkori.concerns.intake import (
    CONTACT_FIELDS,
    PublicReceipt,
    RateDecision,
    concern_submit_public_by_code,
    public_receipt,
    rate_hit,
    receipt_of,
)
from hamkori.concerns.models import PublicStatus, TextLanguage
from hamkori.core.api_errors import PUBLIC, error_body, error_response, responses
from hamkori.core.middleware import client_ip
from hamkori.vault.services import PersonalData

router = Router(tags=["public intake"])


class ContactIn(Schema):
    """How the programme may contact the person: kept (in the vault) only with ``contact_consent``."""

    name: str = ""
    phone: str = ""
    email: str = ""


class ConcernIn(Schema):
    programme: str = Field(description="The programme's short code (it must accept reports from the public).")
    district: str = Field(description="The place code of one of the programme's locations, e.g. TJ-GB-VANJ.")
    description: str = Field(description="What the problem is, in any language; at most 5,000 characters.")
    location_text: str = Field("", description="Where exactly, in words (optional; at most 200 characters).")
    language: TextLanguage = Field(description="The language the description is written in.")
    client_id: uuid.UUID = Field(
        description="A fresh UUID the client makes for this submission: sending it again creates nothing "
        "new and answers 200 with the same receipt code."
    )
    contact: ContactIn | None = Field(None, description="Optional contact details; need contact_consent.")
    contact_consent: bool = Field(
        False, description="The person agrees that the programme keeps the contact details to contact them."
    )


class CodeIn(Schema):
    code: str = Field(description="The receipt code (any case; spaces and dashes ignored).")


class ReceiptOut(Schema):
    """What the holder of a receipt code may know, and nothing more."""

    receipt_code: str
    status: PublicStatus
    status_label: str
    district: str
    received_on: dt.date
    note: str = Field(description="The published note on what was done, or empty.")


def _out(receipt: PublicReceipt) -> dict[str, Any]:
    return {
        "receipt_code": receipt.code,
        "status": receipt.status,
        "status_label": receipt.status_label,
        "district": receipt.district,
        "received_on": receipt.received_on,
        "note": receipt.note,
    }


def _too_many(decision: RateDecision) -> HttpResponse:
    minutes = max(1, -(-decision.retry_after // 60))
    detail = ngettext(
        "Too many requests from your network: wait %(minutes)s minute and try again.",
        "Too many requests from your network: wait %(minutes)s minutes and try again.",
        minutes,
    ) % {"minutes": minutes}
    response = error_response(429, detail)
    response["Retry-After"] = str(max(1, decision.retry_after))
    return response


#: The service's field names → the request's.
_API_FIELDS = {form: f"contact.{form.removeprefix('contact_')}" for form in CONTACT_FIELDS.values()}


@router.post(
    "/concerns",
    response=responses({200: ReceiptOut, 201: ReceiptOut}, PUBLIC),
    auth=None,
    throttle=[],  # instead of the API's per-user rate: the intake's own, shared with /report/
    summary="Report a concern (anonymous)",
)
def submit_concern(request: HttpRequest, payload: ConcernIn) -> Any:
    """Report a concern to a programme that accepts reports from the public. Answers 201 with the
    receipt code and the public status; the same ``client_id`` again answers 200 with the same code."""
    contact = payload.contact
    try:
        decision, concern, created = concern_submit_public_by_code(
            address=client_ip(request),
            programme_code=payload.programme,
            district_code=payload.district,
            description=payload.description,
            location_text=payload.location_text,
            language=payload.language.value,
            intake_key=payload.client_id,
            contact=PersonalData(full_name=contact.name, phone=contact.phone, email=contact.email) if contact else None,
            contact_consent=payload.contact_consent,
        )
    except ValidationError as exc:
        raise ValidationError(
            {_API_FIELDS.get(field, field): messages for field, messages in exc.message_dict.items()}
        ) from None
    if concern is None:
        return _too_many(decision)
    return Status(201 if created else 200, _out(receipt_of(concern)))


@router.post(
    "/concerns/status",
    response=responses({200: ReceiptOut}, PUBLIC),
    auth=None,
    throttle=[],
    summary="The public status of a reported concern",
)
def concern_status(request: HttpRequest, payload: CodeIn) -> Any:
    """The public status of the concern with this receipt code (in the body, never in the address)."""
    decision = rate_hit("status", client_ip(request))
    if not decision.allowed:
        return _too_many(decision)
    receipt = public_receipt(payload.code)
    if receipt is None:
        return Status(404, error_body(404, _("No concern was found with this code.")))
    return _out(receipt)
