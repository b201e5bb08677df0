"""The calls and applications pages, mounted under ``/p/<code>/grants/`` (``hamkori/config/urls.py``): the calls
(open, upcoming, closed), a call's page, creating and editing a call, opening and closing it; a call's
applications, entering one on a group's behalf, an application's page (with the panels other modules register:
reviews, screening, the grant), completing, submitting and withdrawing it, taking on a public applicant's; and
the campaign vocabulary.

Thin views: parse, fetch through the scope (``get_for_user``, ``visible_to``), one service, render. A save sent
by ``static/hamkori/draft.js`` (header ``X-Hamkori-Draft``) is answered 204 with the next address instead of a
redirect, so the script knows the server has it and forgets its copy of what was typed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, deny, get_for_user
from hamkori.concerns.selectors import visible_concerns
from hamkori.concerns.views import vocabulary_page
from hamkori.core.roles import FIELD_ROLES
from hamkori.events.services import programme_zone
from hamkori.grants import applications, calls, uploads
from hamkori.grants.applications import EDITABLE
from hamkori.grants.calls import call_is_open
from hamkori.grants.forms_calls import (
    APPLICATION_FIELDS,
    BUDGET_MORE,
    CALL_FIELDS,
    ApplicationForm,
    CallForm,
    CallStatusForm,
    TakeOnForm,
    WithdrawForm,
    application_initial,
    initial_from_post,
    service_errors,
)
from hamkori.grants.models import (
    ApplicantKind,
    Application,
    ApplicationStatus,
    CallStatus,
    GrantCall,
    Language,
    Review,
)
from hamkori.grants.panels import application_panels
from hamkori.grants.vocabulary import GRANT_TERM_KINDS
from hamkori.kit.pages import errors_to_form, form_then_service, render_page
from hamkori.programmes.views_access import ProgrammeRequest, programme_view
from hamkori.vault.services import vault_get

PAGE_SIZE = 50
#: The header ``draft.js`` sends with a save; the answer then names the next page instead of redirecting.
DRAFT_HEADER = "X-Hamkori-Draft"
DRAFT_LOCATION = "X-Hamkori-Location"
DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)
#: A call's status in words of its own ("Open" alone is already translated as "not started" elsewhere).
CALL_STATUS = {
    CallStatus.DRAFT: pgettext_lazy("call for proposals", "In preparation"),
    CallStatus.OPEN: pgettext_lazy("call for proposals", "Open"),
    CallStatus.CLOSED: pgettext_lazy("call for proposals", "Closed"),
}


def saved_response(request: HttpRequest, url: str) -> HttpResponse:
    """After a save: a redirect to ``url``, or for ``draft.js`` 204 naming it (the script then forgets its copy)."""
    if request.headers.get(DRAFT_HEADER) == "1":
        response = HttpResponse(status=204)
        response[DRAFT_LOCATION] = url
        return response
    return redirect(url)


def labels(choices: Any, values: Any) -> list[str]:
    names = dict(choices)
    return [str(names.get(value, value)) for value in values]


def call_facts(call: GrantCall) -> dict[str, Any]:
    """What a call's pages (staff and public) show about it."""
    criteria = list(call.criteria.all())
    return {
        "call": call,
        "zone": programme_zone(call.programme),
        "criteria": criteria,
        "total_weight": sum(c.weight for c in criteria),
        "districts": list(call.districts.order_by("path")),
        "kinds": labels(ApplicantKind.choices, call.applicant_kinds),
        "languages": labels(Language.choices, call.languages),
        "is_open": call_is_open(call),
        "deadline_passed": call.deadline <= timezone.now(),
    }


def budget_of(application: Application) -> dict[str, Any]:
    lines = list(application.budget_lines.all())
    return {"lines": lines, "total": applications.budget_total(lines)}


def _call(request: ProgrammeRequest, call_id: int, action: str = "view") -> GrantCall:
    call = get_for_user(request.user, GrantCall, action, pk=call_id, programme=request.programme)
    return GrantCall.objects.select_related("programme").get(pk=call.pk)


def _application(request: ProgrammeRequest, application_id: int, action: str = "view") -> Application:
    found = get_for_user(request.user, Application, action, pk=application_id, programme=request.programme)
    return Application.objects.select_related("programme", "call", "call__programme", "district", "place", "owner").get(
        pk=found.pk
    )


def _call_url(call: GrantCall) -> str:
    return reverse("call_detail", args=[call.programme.code, call.pk])


def _application_url(application: Application, name: str = "application_detail") -> str:
    return reverse(name, args=[application.programme.code, application.pk])


# --- The calls ---------------------------------------------------------------------------------------------
def _application_counts(user: Any, call_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per call, the applications the user sees: submitted (anything past a draft) and drafts. One query."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"sent": 0, "drafts": 0})
    rows = (
        Application.objects.visible_to(user)
        .filter(call_id__in=call_ids)
        .values("call_id", "status")
        .annotate(n=Count("id"))
        .values_list("call_id", "status", "n")
    )
    for call_id, status, n in rows:
        counts[call_id]["drafts" if status == ApplicationStatus.DRAFT else "sent"] += n
    return dict(counts)


@programme_view(action="grants.view")
def grants_home(request: ProgrammeRequest) -> HttpResponse:
    """The programme's calls: open (soonest deadline first), upcoming (not opened yet) and closed."""
    programme, user = request.programme, request.user
    found = list(
        GrantCall.objects.visible_to(user)
        .filter(programme=programme)
        .prefetch_related("districts")
        .order_by("deadline")
    )
    counts = _application_counts(user, [c.pk for c in found])
    now = timezone.now()
    open_ = [c for c in found if c.status == CallStatus.OPEN and c.deadline > now]
    upcoming = [c for c in found if c.status == CallStatus.DRAFT]
    closed = [c for c in reversed(found) if c not in open_ and c not in upcoming]
    sections = [
        ("open", _("Open calls"), open_, _("No call is open at the moment.")),
        ("upcoming", _("Upcoming calls"), upcoming, _("No call is being prepared.")),
        ("closed", _("Closed calls"), closed, _("No call has closed yet.")),
    ]
    return render(
        request,
        "grants/call_list.html",
        {
            "sections": sections,
            "counts": counts,
            "zone": programme_zone(programme),
            "now": now,
            "may_create": bool(decide(user, "grantcall.change", programme)),
            "may_vocabulary": bool(decide(user, "grants.vocabulary", programme)),
        },
    )


def _call_initial(call: GrantCall) -> dict[str, Any]:
    deadline = timezone.localtime(call.deadline, programme_zone(call.programme))
    initial: dict[str, Any] = {
        "title": call.title,
        "text": call.text,
        "currency": call.currency,
        "envelope": call.envelope,
        "max_grant": call.max_grant if call.max_grant is not None else "",
        "deadline_on": deadline.date(),
        "deadline_time": deadline.time().replace(second=0, microsecond=0),
        "districts": [d.pk for d in call.districts.all()],
        "applicant_kinds": list(call.applicant_kinds),
        "languages": list(call.languages),
        "score_max": call.score_max,
        "blind_review": call.blind_review,
        "public_applications": call.public_applications,
    }
    for n, criterion in enumerate(call.criteria.all()):
        initial[f"criterion-{n}-name"] = criterion.name
        initial[f"criterion-{n}-weight"] = criterion.weight
        initial[f"criterion-{n}-guidance"] = criterion.guidance
    return initial


def _call_form_page(request: ProgrammeRequest, *, call: GrantCall | None) -> HttpResponse:
    programme = request.programme
    criteria = call.criteria.count() if call is not None else 0
    options: dict[str, Any] = {"programme": programme, "criteria": criteria}
    context: dict[str, Any] = {"call": call, "zone": programme_zone(programme)}
    if request.method == "POST" and "_more" in request.POST:
        # "More criteria": the form again with empty rows added, nothing judged or saved.
        initial = initial_from_post(request.POST, ("districts", "applicant_kinds", "languages"))
        for flag in ("blind_review", "public_applications"):
            initial[flag] = flag in request.POST
        form = CallForm(initial=initial, more=3, **options)
        return render(request, "grants/call_form.html", {**context, "form": form})
    initial = _call_initial(call) if call is not None else {"languages": ["tg", "ru"]}
    form = CallForm(request.POST if request.method == "POST" else None, initial=initial, **options)
    if request.method != "POST":
        return render(request, "grants/call_form.html", {**context, "form": form})

    def save(data: dict[str, Any]) -> GrantCall:
        try:
            return calls.call_save(actor=request.user, programme=programme, call=call, **form.service_values())
        except ValidationError as exc:
            raise service_errors(form, exc, CALL_FIELDS) from exc

    done = form_then_service(form, save)
    if done:
        messages.success(request, _("The call was saved.") if call is not None else _("The call was created."))
        return redirect(_call_url(done.value))
    return render(request, "grants/call_form.html", {**context, "form": form}, status=422)


@programme_view(action="grantcall.change")
def call_create(request: ProgrammeRequest) -> HttpResponse:
    return _call_form_page(request, call=None)


@programme_view(action="grantcall.change")
def call_edit(request: ProgrammeRequest, call_id: int) -> HttpResponse:
    return _call_form_page(request, call=_call(request, call_id, "change"))


def _call_detail_context(request: ProgrammeRequest, call: GrantCall, **extra: Any) -> dict[str, Any]:
    user, programme = request.user, request.programme
    may_change = bool(decide(user, "grantcall.change", call))
    applied = call.applications.exists() if may_change else True
    moves = []
    if may_change:
        if call.status != CallStatus.OPEN:
            moves.append((CallStatus.OPEN, _("Open the call") if call.status == CallStatus.DRAFT else _("Open again")))
        if call.status == CallStatus.OPEN:
            moves.append((CallStatus.CLOSED, _("Close the call")))
        if call.status != CallStatus.DRAFT and not applied:
            moves.append((CallStatus.DRAFT, _("Back to draft")))
    public_address = ""
    if call.public_applications and (may_change or call.status != CallStatus.DRAFT):
        public_address = request.build_absolute_uri(reverse("public_call", args=[call.public_key]))
    return {
        **call_facts(call),
        "status_label": CALL_STATUS[CallStatus(call.status)],
        "may_change": may_change,
        "moves": moves,
        "status_errors": [],
        "public_address": public_address,
        "counts": _application_counts(user, [call.pk]).get(call.pk, {"sent": 0, "drafts": 0}),
        "may_list": bool(decide(user, "application.view", programme)),
        "may_apply": bool(decide(user, "application.create", programme)) and call_is_open(call),
    } | extra


@programme_view(action="grantcall.view")
def call_detail(request: ProgrammeRequest, call_id: int) -> HttpResponse:
    call = _call(request, call_id)
    return render(request, "grants/call_detail.html", _call_detail_context(request, call))


@require_POST
@programme_view(action="grantcall.change")
def call_status(request: ProgrammeRequest, call_id: int) -> HttpResponse:
    call = _call(request, call_id, "change")
    form = CallStatusForm(request.POST)
    done = form_then_service(
        form, lambda data: calls.call_set_status(actor=request.user, call=call, status=data["status"])
    )
    if done:
        messages.success(
            request, _("The call is now: %(status)s.") % {"status": CALL_STATUS[CallStatus(done.value.status)]}
        )
        return redirect(_call_url(call))
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    return render(
        request, "grants/call_detail.html", _call_detail_context(request, call, status_errors=errors), status=422
    )


# --- A call's applications -------------------------------------------------------------------------------
def _identities(user: Any, call: GrantCall, rows: list[Application]) -> dict[int, bool]:
    """Whether the user sees each row's applicant (``application.view_identity``). On a blind call the rule asks
    whether the user reviews that application: only a reviewer of the call has rows to ask about one by one;
    for anyone else one row answers for all, so the list keeps a constant number of queries."""
    if not rows:
        return {}
    if call.blind_review and Review.objects.filter(reviewer=user, application__call=call).exists():
        return {a.pk: bool(decide(user, "application.view_identity", a)) for a in rows}
    shown = bool(decide(user, "application.view_identity", rows[0]))
    return dict.fromkeys((a.pk for a in rows), shown)


@programme_view(action="application.view")
def application_list(request: ProgrammeRequest, call_id: int) -> HttpResponse:
    """The applications to a call that the user sees, filtered by status and district, fifty to a page."""
    user = request.user
    call = _call(request, call_id)
    districts = list(call.districts.order_by("path"))
    status = request.GET.get("status", "")[:12]
    district_code = request.GET.get("district", "")[:80]
    found = Application.objects.visible_to(user).filter(call=call)
    if status in ApplicationStatus.values:
        found = found.filter(status=status)
    else:
        status = ""
    district = next((d for d in districts if d.code == district_code), None)
    if district is not None:
        found = found.filter(district=district)
    found = found.select_related("district", "place", "owner", "call").order_by("-submitted_at", "-created_at", "-id")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    params = {"status": status, "district": district.code if district else ""}
    return render_page(
        request,
        "grants/application_list.html",
        {
            "call": call,
            "page": page,
            "rows": rows,
            "identity": _identities(user, call, rows),
            "params": params,
            "filters": params,
            "districts": districts,
            "statuses": ApplicationStatus.choices,
            "zone": programme_zone(call.programme),
            "may_apply": bool(decide(user, "application.create", request.programme)) and call_is_open(call),
        },
        partial="rows",
    )


# --- The application form (staff) -----------------------------------------------------------------------
def application_form_context(form: ApplicationForm, *, action: str, scope: str, **extra: Any) -> dict[str, Any]:
    """What ``grants/application_fields.html`` needs (the staff and the public pages share it)."""
    call = form.call
    closed = not call_is_open(call)
    return {
        "form": form,
        "call": call,
        "zone": programme_zone(call.programme),
        "form_action": action,
        "draft_scope": scope,
        "closed": closed,
        # A closed call shows no form, except one sent back with its errors (what was typed, to copy).
        "show_form": not closed or form.is_bound,
    } | extra


def application_form_post(
    request: HttpRequest,
    *,
    call: GrantCall,
    user: Any,
    application: Application | None,
    save: Callable[[ApplicationForm], applications.Saved],
    submit: Callable[[applications.Saved], Application],
) -> tuple[ApplicationForm, applications.Saved | None, Application | None]:
    """Judge a posted application form and save it (then submit it when asked): ``(form, saved, submitted)``.
    A draft that saves but cannot be submitted yet is saved, and the form carries what submitting still needs."""
    data = request.POST.copy()
    if application is not None:
        data["client_key"] = str(application.client_key)
    else:
        try:
            uuid.UUID(str(data.get("client_key", "")))
        except ValueError:
            # Not a form we drew (or one cut short): a key of its own rather than an error nobody can act on.
            data["client_key"] = str(uuid.uuid4())
    form = ApplicationForm(data, call=call, user=user, application=application)

    def run(cleaned: dict[str, Any]) -> applications.Saved:
        try:
            return save(form)
        except ValidationError as exc:
            raise service_errors(form, exc, APPLICATION_FIELDS) from exc

    done = form_then_service(form, run)
    if not done:
        return form, None, None
    saved = done.value
    if request.POST.get("action") != "submit":
        return form, saved, None
    try:
        return form, saved, submit(saved)
    except ValidationError as exc:
        errors_to_form(form, service_errors(form, exc, APPLICATION_FIELDS))
        return form, saved, None


def redraw_application_form(
    request: HttpRequest, *, call: GrantCall, user: Any, application: Application | None
) -> Any:
    """The form again with what was posted (more budget lines, or the chosen district's jamoats), nothing judged."""
    initial = initial_from_post(request.POST, ApplicationForm.MULTI)
    if application is not None:
        initial["client_key"] = str(application.client_key)
    more = BUDGET_MORE if "_more" in request.POST else 0
    return ApplicationForm(initial=initial, call=call, user=user, application=application, more=more)


def _application_form_page(
    request: ProgrammeRequest, *, call: GrantCall, application: Application | None
) -> HttpResponse:
    user = request.user
    action = (
        _application_url(application, "application_edit")
        if application is not None
        else reverse("application_create", args=[call.programme.code, call.pk])
    )
    context: dict[str, Any] = {"application": application}
    if request.method == "POST" and ("_more" in request.POST or "_refresh" in request.POST):
        form = redraw_application_form(request, call=call, user=user, application=application)
        return render(
            request,
            "grants/application_form.html",
            application_form_context(form, action=action, scope=action, **context),
        )
    if request.method != "POST":
        initial = application_initial(application) if application is not None else {"client_key": str(uuid.uuid4())}
        form = ApplicationForm(initial=initial, call=call, user=user, application=application)
        return render(
            request,
            "grants/application_form.html",
            application_form_context(form, action=action, scope=action, **context),
        )
    form, saved, submitted = application_form_post(
        request,
        call=call,
        user=user,
        application=application,
        save=lambda f: applications.application_save(
            actor=user, call=call, client_key=f.cleaned_data["client_key"], draft=f.draft()
        ),
        submit=lambda s: applications.application_submit(actor=user, application=s.application),
    )
    if submitted is not None:
        messages.success(
            request, _("The application %(reference)s was submitted.") % {"reference": submitted.reference}
        )
        return saved_response(request, _application_url(submitted))
    if saved is not None and not form.errors:
        messages.success(
            request,
            _("The draft %(reference)s was saved. You can come back to it later from the call's applications.")
            % {"reference": saved.application.reference},
        )
        return saved_response(request, _application_url(saved.application, "application_edit"))
    if saved is not None:
        # Saved, but not complete enough to submit: the form now continues that draft.
        context["application"] = saved.application
        context["saved_not_sent"] = True
        action = _application_url(saved.application, "application_edit")
    return render(
        request,
        "grants/application_form.html",
        application_form_context(form, action=action, scope=action, **context),
        status=422,
    )


@programme_view(action="application.create")
def application_create(request: ProgrammeRequest, call_id: int) -> HttpResponse:
    """Partner staff enter an application on behalf of a community group or organisation."""
    return _application_form_page(request, call=_call(request, call_id), application=None)


def _refuse_hidden_identity(request: ProgrammeRequest, application: Application) -> None:
    """A reviewer of a blind call never opens the form, which shows who applied."""
    identity = decide(request.user, "application.view_identity", application)
    if not identity:
        deny(request.user, "application.change", application, identity.reason)


@programme_view(action="application.change")
def application_edit(request: ProgrammeRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id, "change")
    _refuse_hidden_identity(request, application)
    if application.status not in EDITABLE:
        messages.info(request, _("This application was submitted and can no longer be changed."))
        return redirect(_application_url(application))
    return _application_form_page(request, call=application.call, application=application)


# --- An application's page -------------------------------------------------------------------------------
def _files_of(user: Any, application: Application) -> dict[str, Any]:
    shown = bool(decide(user, "application.file.view", application))
    return {"show_files": shown, "files": list(application.files.order_by("uploaded_at", "id")) if shown else []}


def _detail_context(request: ProgrammeRequest, application: Application, **extra: Any) -> dict[str, Any]:
    user = request.user
    call = application.call
    identity = decide(user, "application.view_identity", application)
    change = decide(user, "application.change", application)
    may_change = bool(change) and bool(identity)
    contact = None
    if may_change and application.contact_key and request.GET.get("contact") == "1":
        contact = vault_get(
            actor=user,
            subject_key=application.contact_key,
            purpose=f"application {application.reference}: contact the applicant",
        )
    editable = application.status in EDITABLE and call_is_open(call)
    concern_ids = list(application.concerns.values_list("pk", flat=True))
    concerns = (
        list(visible_concerns(user, call.programme).filter(pk__in=concern_ids).order_by("reference"))
        if concern_ids
        else []
    )
    return {
        "application": application,
        "call": call,
        "zone": programme_zone(call.programme),
        **budget_of(application),
        "formats": list(application.formats.all()),
        "languages": labels(Language.choices, application.languages),
        "concerns": concerns,
        "hidden_concerns": len(concern_ids) - len(concerns),
        "show_identity": bool(identity),
        "identity_refusal": "" if identity else str(identity.reason),
        "contact": contact,
        "may_contact": may_change and application.contact_key is not None,
        "may_edit": may_change and editable,
        "may_withdraw": may_change and application.status not in DECIDED,
        "change_refusal": "" if change or request.role not in FIELD_ROLES else str(change.reason),
        "may_take_on": application.owner_id is None and bool(decide(user, "application.decide", application)),
        "take_on_form": TakeOnForm(programme=call.programme),
        "withdraw_form": WithdrawForm(),
        "status_errors": [],
        "reasons_shown": application.status in (*DECIDED, ApplicationStatus.CHANGES) and application.decision_reason,
        # Attachments: for those who may open them (never a blind call's reviewers: they may name the applicant).
        **_files_of(user, application),
        "may_attach": may_change and application.status in EDITABLE,
        "max_files": uploads.MAX_APPLICATION_FILES,
        "file_accept": ",".join("." + e for e in uploads.APPLICATION_EXTENSIONS),
        "upload_problem": "",
        "panels": [
            render_to_string(panel.template, {**panel.context, "application": application}, request=request)
            for panel in application_panels(user, application)
        ],
    } | extra


@programme_view(action="application.view")
def application_detail(request: ProgrammeRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id)
    return render(request, "grants/application_detail.html", _detail_context(request, application))


def _detail_with_errors(
    request: ProgrammeRequest, application: Application, errors: list[str], **extra: Any
) -> HttpResponse:
    context = _detail_context(request, application, status_errors=errors, **extra)
    return render(request, "grants/application_detail.html", context, status=422)


def _messages_of(exc: ValidationError, form: Any = None) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    fields = getattr(form, "fields", {}) if form is not None else {}
    out: list[str] = []
    for field, texts in exc.message_dict.items():
        label = fields[field].label if field in fields else ""
        out.extend(f"{label}: {t}" if label else t for t in texts)
    return out


@require_POST
@programme_view(action="application.change")
def application_submit(request: ProgrammeRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id, "change")
    _refuse_hidden_identity(request, application)
    try:
        applications.application_submit(actor=request.user, application=application)
    except ValidationError as exc:
        form = ApplicationForm(call=application.call, user=request.user, application=application)
        return _detail_with_errors(request, application, _messages_of(exc, form))
    messages.success(request, _("The application %(reference)s was submitted.") % {"reference": application.reference})
    return redirect(_application_url(application))


@require_POST
@programme_view(action="application.change")
def application_withdraw(request: ProgrammeRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id, "change")
    _refuse_hidden_identity(request, application)
    form = WithdrawForm(request.POST)
    done = form_then_service(
        form,
        lambda data: applications.application_withdraw(
            actor=request.user, application=application, reason=data.get("reason") or ""
        ),
    )
    if done:
        messages.success(request, _("The application was withdrawn."))
        return redirect(_application_url(application))
    return _detail_with_errors(request, application, [str(e) for e in form.non_field_errors()], withdraw_form=form)


@require_POST
@programme_view(action="application.decide")
def application_take_on(request: ProgrammeRequest, application_id: int) -> HttpResponse:
    """Staff take on a public applicant's application: an organisation supports it from now on."""
    application = _application(request, application_id, "decide")
    form = TakeOnForm(request.POST, programme=request.programme)
    done = form_then_service(
        form,
        lambda data: applications.application_take_on(actor=request.user, application=application, owner=data["owner"]),
    )
    if done:
        messages.success(
            request,
            _("%(organisation)s now supports this application.") % {"organisation": str(done.value.owner)},
        )
        return redirect(_application_url(application))
    errors = [str(e) for texts in form.errors.values() for e in texts]
    return _detail_with_errors(request, application, errors, take_on_form=form)


# --- Vocabulary ----------------------------------------------------------------------------------------
@programme_view(action="grants.vocabulary")
def grants_vocabulary(request: ProgrammeRequest) -> HttpResponse:
    """The programme's campaign formats and do-no-harm questions."""
    return vocabulary_page(
        request,
        kinds=GRANT_TERM_KINDS,
        url_name="grants_vocabulary",
        title=_("Campaign formats and do-no-harm questions"),
        lead=_(
            "The programme's own words for what campaigns produce and the questions of the do-no-harm screening, "
            "in Tajik, Russian and English. An entry is never deleted: take it out of use, and applications and "
            "screenings that carry it keep it."
        ),
    )
