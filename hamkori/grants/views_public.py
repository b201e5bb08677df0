"""The public pages of a call, mounted under ``/apply/`` (``hamkori/config/urls.py``): the call's page (in Tajik,
Russian or English, no account), its application form, and the applicant's private draft address, where she
continues and submits her draft and later reads its status and the decision's reasons.

No account and no JavaScript needed: plain forms that work in a text browser. ``static/hamkori/draft.js``, where
it runs, keeps what is typed on the phone until the server has it. The private address's token is shown once
in the address the applicant is sent to and on that page (only its digest is stored); the page is never
cached, not indexed, and its address goes to no other site as a referrer. Saves from one network share the public intake's rate limit
(``concerns.intake.rate_check`` / ``rate_count``, ``HAMKORI_INTAKE_RATE``): one budget for every public write.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hamkori.concerns.intake import RateDecision, rate_check, rate_count, rate_hit
from hamkori.core.middleware import client_ip
from hamkori.core.views_access import public
from hamkori.grants import applications
from hamkori.grants.applications import EDITABLE
from hamkori.grants.calls import call_is_open
from hamkori.grants.forms_calls import ApplicationForm, application_initial
from hamkori.grants.models import ApplicationStatus, CallStatus, GrantCall
from hamkori.grants.views_calls import (
    DECIDED,
    application_form_context,
    application_form_post,
    budget_of,
    call_facts,
    redraw_application_form,
    saved_response,
)


def _call(key: uuid.UUID) -> GrantCall:
    """A published call (open or closed) by its public key; a call still in preparation is not found."""
    call = GrantCall.objects.select_related("programme").filter(public_key=key).exclude(status=CallStatus.DRAFT).first()
    if call is None:
        raise Http404
    return call


def _too_many(request: HttpRequest, decision: RateDecision) -> HttpResponse:
    minutes = max(1, -(-decision.retry_after // 60))
    response = render(request, "grants/public/too_many.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(max(1, decision.retry_after))
    return response


def _private(response: HttpResponse) -> HttpResponse:
    """A page whose address is a secret: never indexed, and sent as a referrer to this site only (the site's
    ``same-origin`` policy; ``no-referrer`` would make browsers send ``Origin: null`` with the page's forms,
    which the CSRF check refuses)."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _draft_url(call: GrantCall, token: str) -> str:
    return reverse("public_draft", args=[call.public_key, token])


@public
@never_cache
@require_http_methods(["GET"])
def public_call(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """The call's text, criteria, districts, deadline and envelope, and the way to apply."""
    call = _call(key)
    return render(request, "grants/public/call.html", call_facts(call))


def _form_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return _private(render(request, "grants/public/apply.html", context, status=status))


@public
@never_cache
@require_http_methods(["GET", "POST"])
def public_apply(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """The application form without an account. The first save sends the applicant to her private address."""
    call = _call(key)
    action = reverse("public_apply", args=[call.public_key])
    base: dict[str, Any] = {
        "accepting": call.public_applications,
        "application": None,
        "address": "",
        "show_form": call.public_applications and call_is_open(call),
    }
    if request.method == "POST" and ("_more" in request.POST or "_refresh" in request.POST):
        form = redraw_application_form(request, call=call, user=None, application=None)
        return _form_page(request, application_form_context(form, action=action, scope=action, **base))
    if request.method != "POST":
        form = ApplicationForm(initial={"client_key": str(uuid.uuid4())}, call=call, user=None)
        return _form_page(request, application_form_context(form, action=action, scope=action, **base))
    decision = rate_check("submit", client_ip(request))
    if not decision.allowed:
        return _too_many(request, decision)
    form, saved, submitted = application_form_post(
        request,
        call=call,
        user=None,
        application=None,
        save=lambda f: applications.application_save(
            actor=None, call=call, client_key=f.cleaned_data["client_key"], draft=f.draft()
        ),
        submit=lambda s: applications.application_submit(actor=None, application=s.application, token=s.token),
    )
    if saved is None or saved.token is None:
        base["show_form"] = True  # sent back with its errors: what was typed stays in the form
        return _form_page(request, application_form_context(form, action=action, scope=action, **base), status=422)
    rate_count(decision)
    url = _draft_url(call, saved.token)
    if submitted is not None:
        messages.success(request, _("Your application was submitted. Keep this page's address to read the decision."))
        return saved_response(request, url)
    if not form.errors:
        messages.success(
            request,
            _(
                "Your draft is saved. This page's address is the only way back to it: bookmark it or copy it "
                "now, and keep it to yourself."
            ),
        )
        return saved_response(request, url)
    # Saved, not complete enough to submit: the form continues the draft at its private address.
    context = application_form_context(
        form,
        action=url,
        scope=url,
        accepting=True,
        application=saved.application,
        address=request.build_absolute_uri(url),
        saved_not_sent=True,
    )
    return _form_page(request, context, status=422)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def public_draft(request: HttpRequest, key: uuid.UUID, token: str) -> HttpResponse:
    """The applicant's private address: her draft to continue and submit while it is hers and the call is open;
    then its status and the decision's reasons."""
    call = _call(key)
    application = applications.application_by_token(call, token)
    if application is None:
        decision = rate_hit("status", client_ip(request))  # guessing addresses is slowed down with the look-ups
        if not decision.allowed:
            return _too_many(request, decision)
        raise Http404
    url = _draft_url(call, token)
    hers = application.owner_id is None and application.entered_by_id is None
    editable = hers and application.status in EDITABLE and call_is_open(call)
    context: dict[str, Any] = {
        "application": application,
        "address": request.build_absolute_uri(url),
        "accepting": True,
        "editable": editable,
        "show_form": editable,
        "handled": not hers,
        "reasons_shown": application.status in (*DECIDED, ApplicationStatus.CHANGES) and application.decision_reason,
        **budget_of(application),
    }
    redraw = request.method == "POST" and ("_more" in request.POST or "_refresh" in request.POST)
    if redraw and editable:
        form = redraw_application_form(request, call=call, user=None, application=application)
        return _form_page(request, application_form_context(form, action=url, scope=url, **context))
    if request.method != "POST" or redraw:
        form = ApplicationForm(initial=application_initial(application), call=call, user=None, application=application)
        return _form_page(request, application_form_context(form, action=url, scope=url, **context))
    decision = rate_check("submit", client_ip(request))
    if not decision.allowed:
        return _too_many(request, decision)
    form, saved, submitted = application_form_post(
        request,
        call=call,
        user=None,
        application=application,
        save=lambda f: applications.application_save(
            actor=None, call=call, client_key=application.client_key, draft=f.draft(), token=token
        ),
        submit=lambda s: applications.application_submit(actor=None, application=s.application, token=token),
    )
    if saved is not None:
        rate_count(decision)
    if submitted is not None:
        messages.success(request, _("Your application was submitted. Keep this page's address to read the decision."))
        return saved_response(request, url)
    if saved is not None and not form.errors:
        messages.success(request, _("Your draft is saved."))
        return saved_response(request, url)
    if saved is not None:
        context["saved_not_sent"] = True
    context["show_form"] = True  # sent back with its errors: what was typed stays in the form
    return _form_page(request, application_form_context(form, action=url, scope=url, **context), status=422)
