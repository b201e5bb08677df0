"""The public intake pages: ``/report/`` (the form, then the receipt) and ``/report/status/``.

No account, no JavaScript: plain forms that work in a text browser and on a basic phone. The
receipt code never appears in an address: the receipt is the answer to the POST itself, and the
status page takes the code in a POST. The form pages are never cached (each carries its own
client id; a shared cache handing one form to two people would make them one submission).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hamkori.concerns.forms_public import ReportForm, StatusForm
from hamkori.concerns.intake import (
    RateDecision,
    accepting_programmes,
    client_id_from,
    concern_submit_public,
    public_receipt,
    rate_check,
    rate_hit,
    receipt_of,
)
from hamkori.concerns.models import TextLanguage
from hamkori.core.middleware import client_ip
from hamkori.core.views_access import public
from hamkori.kit.pages import form_then_service
from hamkori.vault.services import PersonalData


def _too_many(request: HttpRequest, decision: RateDecision, what: str) -> HttpResponse:
    minutes = max(1, -(-decision.retry_after // 60))
    response = render(request, "concerns/public/too_many.html", {"minutes": minutes, "what": what}, status=429)
    response["Retry-After"] = str(max(1, decision.retry_after))
    return response


def _language() -> str:
    language = (get_language() or "")[:2]
    return language if language in TextLanguage.values else TextLanguage.OTHER


@public
@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The form; on success, the receipt (the answer to the POST: the code is in no address)."""
    programmes = accepting_programmes()
    if request.method != "POST":
        form = ReportForm(initial={"client_id": uuid.uuid4()}, programmes=programmes)
        return render(request, "concerns/public/report.html", {"form": form, "programmes": programmes})

    decision = rate_check("submit", client_ip(request))  # counted with the concern, if one is made
    if not decision.allowed:
        return _too_many(request, decision, "submit")
    data = request.POST.copy()
    if client_id_from(data.get("client_id")) is None:
        # Not a form we rendered (or one cut short): give it an id of its own rather than an error
        # the person can do nothing about.
        data["client_id"] = str(uuid.uuid4())
    form = ReportForm(data, programmes=programmes)

    def submit(cleaned: dict[str, Any]) -> Any:
        programme, district = cleaned["district"]
        return concern_submit_public(
            programme=programme,
            district=district,
            description=cleaned["description"],
            location_text=cleaned["location_text"],
            language=_language(),
            intake_key=cleaned["client_id"],
            contact=PersonalData(
                full_name=cleaned["contact_name"], phone=cleaned["contact_phone"], email=cleaned["contact_email"]
            ),
            contact_consent=cleaned["contact_consent"],
            honeypot=cleaned["website"],
            counted=decision,
        )

    done = form_then_service(form, submit)
    if not done:
        return render(
            request, "concerns/public/report.html", {"form": form, "programmes": programmes}, status=done.status
        )
    concern, created = done.value
    context = {
        "receipt": receipt_of(concern),
        "created": created,
        "status_address": request.build_absolute_uri(reverse("public_report_status")),
    }
    return render(request, "concerns/public/receipt.html", context)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest) -> HttpResponse:
    """Type the receipt code (a POST: never in an address), read the public status."""
    if request.method != "POST":
        return render(request, "concerns/public/status.html", {"form": StatusForm()})
    decision = rate_hit("status", client_ip(request))
    if not decision.allowed:
        return _too_many(request, decision, "status")
    form = StatusForm(request.POST)
    receipt = None
    if form.is_valid():
        receipt = public_receipt(form.cleaned_data["code"])
        if receipt is None:
            form.add_error(
                "code",
                _("No concern was found with this code. Check the code on your receipt and try again."),
            )
    return render(
        request,
        "concerns/public/status.html",
        {"form": StatusForm() if receipt else form, "receipt": receipt},
        status=200 if receipt else 422,
    )
