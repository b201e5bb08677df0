"""The staff-facing pages of the community security cycle: the list, the district board, a concern's
page (timeline, moves, notes, the public note), recording and editing, the triage queue and page
(with possible duplicates across Cyrillic and Latin), and the programme's vocabulary.

Thin views: parse, fetch through the scope (``get_for_user`` / ``selectors``), one service, render.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, get_for_user, require
from hamkori.concerns import selectors, services, vocabulary
from hamkori.concerns.forms import (
    ConcernForm,
    DeclineForm,
    MergeForm,
    MoveForm,
    NoteForm,
    PublishForm,
    TermForm,
    TriageForm,
    initial_from_post,
)
from hamkori.concerns.intake import seal_public_submissions
from hamkori.concerns.models import (
    Concern,
    Driver,
    PublicStatus,
    Source,
    Status,
)
from hamkori.concerns.workflow import moves_for
from hamkori.core.models import Sensitivity
from hamkori.core.roles import FIELD_ROLES
from hamkori.kit.pages import form_then_service, render_page
from hamkori.programmes.views_access import ProgrammeRequest, programme_view
from hamkori.vault.services import vault_get

PAGE_SIZE = 50


def _concern(request: ProgrammeRequest, pk: int, action: str = "view") -> Concern:
    concern = get_for_user(request.user, Concern, action, pk=pk, programme=request.programme)
    # Again with what the pages show beside it: the same queries whether or not it has a place or a group.
    return Concern.objects.select_related("programme", "district", "place", "group", "owner", "merged_into").get(
        pk=concern.pk
    )


def _detail_url(concern: Concern) -> str:
    return reverse("concern_detail", args=[concern.programme.code, concern.pk])


# --- The list and the board --------------------------------------------------------------------------
@programme_view(action="concern.view")
def concern_list(request: ProgrammeRequest) -> HttpResponse:
    """Concerns in the user's scope, newest first, fifty to a page, with filters."""
    programme, user = request.programme, request.user
    districts = selectors.scope_districts(programme, user)
    filters = selectors.read_filters(request.GET, programme, districts)
    concerns = selectors.filter_concerns(selectors.visible_concerns(user, programme), filters)
    cap = selectors.SEARCH_CAP if filters.params["q"] else selectors.COUNT_CAP
    page = selectors.concern_page(concerns, request.GET.get("page"), PAGE_SIZE, cap=cap)
    rows = list(page.object_list)
    context = {
        "page": page,
        "rows": rows,
        "capped": page.paginator.capped,
        "cap": cap,
        "overdue": selectors.overdue_ids(c.pk for c in rows),
        "params": filters.params,
        "filters": filters.params,
        "districts": districts,
        "statuses": [("open", _("Open (any stage before resolved)")), *Status.choices],
        "drivers": Driver.objects.filter(programme=programme).only("pk", "code", "name_tg", "name_ru", "name_en"),
        "sources": Source.choices,
        "sensitivities": Sensitivity.choices,
        "may_create": bool(decide(user, "concern.create", programme)),
        "may_triage": bool(decide(user, "concern.change", programme)),
        "may_vocabulary": bool(decide(user, "concern.vocabulary", programme)),
    }
    return render_page(request, "concerns/list.html", context, partial="rows")


@programme_view(action="concern.view")
def concern_board(request: ProgrammeRequest) -> HttpResponse:
    """One district's concerns by stage (``?district=CODE``; the first of the user's districts)."""
    programme, user = request.programme, request.user
    districts = selectors.scope_districts(programme, user)
    code = request.GET.get("district", "")[:80]
    district = next((d for d in districts if d.code == code), districts[0] if districts else None)
    columns = selectors.board(user, programme, district) if district is not None else []
    cards = [c.pk for column in columns for c in column.cards]
    return render(
        request,
        "concerns/board.html",
        {
            "district": district,
            "districts": districts,
            "columns": columns,
            "overdue": selectors.overdue_ids(cards),
            "total": sum(column.count for column in columns),
            "may_create": bool(decide(user, "concern.create", programme)),
        },
    )


# --- A concern's page ---------------------------------------------------------------------------------
def _moves(user: Any, concern: Concern) -> list[dict[str, Any]]:
    moves = []
    for status, label, decision, needs_reason in moves_for(user, concern):
        moves.append(
            {
                "status": status,
                "label": label,
                "allowed": bool(decision),
                "reason": str(decision.reason),
                "needs_reason": needs_reason,
                # Triage categorises as well as moves: it has its own page.
                "triage": concern.status == Status.REPORTED and status == Status.TRIAGED,
            }
        )
    return moves


def _detail_context(request: ProgrammeRequest, concern: Concern, **extra: Any) -> dict[str, Any]:
    user = request.user
    may_restricted = bool(decide(user, "concern.view_restricted", concern))
    change = decide(user, "concern.change", concern)
    events = concern.events.select_related("actor")
    if not may_restricted:
        events = events.filter(restricted=False)
    contact = None
    if may_restricted and concern.reporter_key and request.GET.get("contact") == "1":
        contact = vault_get(
            actor=user,
            subject_key=concern.reporter_key,
            purpose=f"concern {concern.reference}: contact the person who reported it",
        )
    return {
        "concern": concern,
        "public_status": PublicStatus(concern.public_status).label,
        "drivers": list(concern.drivers.all()),
        "affected_groups": list(concern.affected_groups.all()),
        "events": list(events),
        "moves": _moves(user, concern) if change else [],
        "may_change": bool(change),
        "change_refusal": "" if change or request.role not in FIELD_ROLES else str(change.reason),
        "may_restricted": may_restricted,
        "may_publish": bool(decide(user, "concern.publish", concern)),
        "contact": contact,
        "merged_here": selectors.merged_into(user, concern),
        "note_form": NoteForm(may_restrict=may_restricted),
        "publish_form": PublishForm(initial={"text": concern.public_note}),
        "move_form": None,
    } | extra


@programme_view(action="concern.view")
def concern_detail(request: ProgrammeRequest, pk: int) -> HttpResponse:
    concern = _concern(request, pk)
    return render(request, "concerns/detail.html", _detail_context(request, concern))


@require_POST
@programme_view(action="concern.change")
def concern_move(request: ProgrammeRequest, pk: int) -> HttpResponse:
    """A move along the lifecycle (a button of the concern's page)."""
    concern = _concern(request, pk, "change")
    form = MoveForm(request.POST)
    if form_then_service(
        form,
        lambda data: services.concern_move(
            actor=request.user, concern=concern, to_status=data["to_status"], reason=data["reason"]
        ),
    ):
        messages.success(
            request,
            _("%(ref)s is now: %(status)s.")
            % {"ref": concern.reference, "status": str(Status(form.cleaned_data["to_status"]).label).lower()},
        )
        return redirect(_detail_url(concern))
    concern.refresh_from_db()
    return render(request, "concerns/detail.html", _detail_context(request, concern, move_form=form), status=422)


@require_POST
@programme_view(action="concern.view")
def concern_note(request: ProgrammeRequest, pk: int) -> HttpResponse:
    concern = _concern(request, pk)
    may_restrict = bool(decide(request.user, "concern.view_restricted", concern))
    form = NoteForm(request.POST, may_restrict=may_restrict)
    if form_then_service(
        form,
        lambda data: services.concern_note(
            actor=request.user, concern=concern, text=data["text"], restricted=bool(data.get("restricted"))
        ),
    ):
        messages.success(request, _("The note was added to the timeline."))
        return redirect(f"{_detail_url(concern)}#timeline")
    return render(request, "concerns/detail.html", _detail_context(request, concern, note_form=form), status=422)


@require_POST
@programme_view(action="concern.publish")
def concern_publish_note(request: ProgrammeRequest, pk: int) -> HttpResponse:
    """Publish the public "what was done" note after the do-no-harm check, or withdraw it."""
    concern = _concern(request, pk, "publish")
    withdraw = "withdraw" in request.POST
    form = PublishForm(request.POST)
    if form_then_service(
        form,
        lambda data: services.concern_publish_note(
            actor=request.user,
            concern=concern,
            text="" if withdraw else data["text"],
            do_no_harm_checked=data["do_no_harm_checked"],
        ),
    ):
        messages.success(
            request, _("The public note was withdrawn.") if withdraw else _("The public note is published.")
        )
        return redirect(f"{_detail_url(concern)}#public-note")
    return render(request, "concerns/detail.html", _detail_context(request, concern, publish_form=form), status=422)


# --- Recording and editing ----------------------------------------------------------------------------
def _concern_form_page(
    request: ProgrammeRequest, *, concern: Concern | None, initial: dict[str, Any], may_restrict: bool
) -> HttpResponse:
    programme = request.programme
    options: dict[str, Any] = {
        "programme": programme,
        "user": request.user,
        "may_restrict": may_restrict,
        "concern": concern,
    }
    if request.method == "POST" and "_refresh" in request.POST:
        # "Show its places" (or htmx on choosing a district): show the form again, nothing saved.
        form = ConcernForm(initial=initial_from_post(request.POST), **options)
        return render_page(request, "concerns/form.html", {"form": form, "concern": concern}, partial="form")
    form = ConcernForm(request.POST if request.method == "POST" else None, initial=initial, **options)

    def save(data: dict[str, Any]) -> Concern:
        values = form.service_values()
        if concern is None:
            return services.concern_create(actor=request.user, programme=programme, **values)
        drivers, affected = values.pop("drivers"), values.pop("affected_groups")
        return services.concern_update(
            actor=request.user, concern=concern, drivers=drivers, affected_groups=affected, **values
        )

    if request.method == "POST":
        done = form_then_service(form, save)
        if done:
            messages.success(
                request,
                _("%(ref)s was recorded.") % {"ref": done.value.reference}
                if concern is None
                else _("The changes were saved."),
            )
            return redirect(_detail_url(done.value))
        return render_page(
            request, "concerns/form.html", {"form": form, "concern": concern}, partial="form", status=422
        )
    return render_page(request, "concerns/form.html", {"form": form, "concern": concern}, partial="form")


@programme_view(action="concern.create")
def concern_create(request: ProgrammeRequest) -> HttpResponse:
    require(request.user, "concern.create", request.programme)
    # Whoever records a concern may see its restricted notes (their organisation records it).
    return _concern_form_page(request, concern=None, initial={}, may_restrict=True)


@programme_view(action="concern.change")
def concern_edit(request: ProgrammeRequest, pk: int) -> HttpResponse:
    concern = _concern(request, pk, "change")
    initial = {
        "description": concern.description,
        "language": concern.language,
        "district": concern.district_id,
        "place": concern.place_id,
        "location_text": concern.location_text,
        "drivers": [d.pk for d in concern.drivers.all()],
        "affected_groups": [a.pk for a in concern.affected_groups.all()],
        "source": concern.source,
        "sensitivity": concern.sensitivity,
        "evidence_links": concern.evidence_links,
        "restricted_notes": concern.restricted_notes,
        "group": concern.group_id,
    }
    may_restrict = bool(decide(request.user, "concern.view_restricted", concern))
    return _concern_form_page(request, concern=concern, initial=initial, may_restrict=may_restrict)


# --- Triage -------------------------------------------------------------------------------------------
@programme_view(action="concern.change")
def concern_triage_queue(request: ProgrammeRequest) -> HttpResponse:
    """New concerns to verify: public submissions first, oldest first."""
    programme, user = request.programme, request.user
    seal_public_submissions()  # what arrived since the last seal joins the audit log's chain first
    districts = selectors.scope_districts(programme, user)
    code = request.GET.get("district", "")[:80]
    district = next((d for d in districts if d.code == code), None)
    queue = selectors.triage_queue(user, programme, district)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    return render(
        request,
        "concerns/triage_queue.html",
        {
            "page": page,
            "rows": rows,
            "capped": queue.capped,
            "cap": selectors.TRIAGE_CAP,
            "overdue": set(),
            "params": {"district": district.code if district else ""},
            "districts": districts,
            "district": district,
        },
    )


def _triage_context(request: ProgrammeRequest, concern: Concern, **extra: Any) -> dict[str, Any]:
    return {
        "concern": concern,
        "form": TriageForm(concern=concern, user=request.user),
        "decline_form": DeclineForm(),
        "similar": [
            (similar, round(score * 100))
            for similar, score in selectors.similar_concerns(concern, user=request.user, limit=5)
        ],
        "may_restricted": bool(decide(request.user, "concern.view_restricted", concern)),
    } | extra


@programme_view(action="concern.change")
def concern_triage(request: ProgrammeRequest, pk: int) -> HttpResponse:
    """Verify a new concern: categorise, set its sensitivity, place and group (or decline, or merge)."""
    concern = _concern(request, pk, "change")
    if concern.status != Status.REPORTED:
        messages.info(
            request,
            _("%(ref)s is already %(status)s: nothing to triage.")
            % {"ref": concern.reference, "status": str(Status(concern.status).label).lower()},
        )
        return redirect(_detail_url(concern))
    if request.method == "POST":
        form = TriageForm(request.POST, concern=concern, user=request.user)
        if form_then_service(
            form,
            lambda data: services.concern_triage(
                actor=request.user,
                concern=concern,
                drivers=list(data["drivers"]),
                affected_groups=list(data["affected_groups"]),
                sensitivity=data["sensitivity"],
                place=data["place"],
                group=data["group"],
                note=data["note"],
            ),
        ):
            messages.success(request, _("%(ref)s is triaged.") % {"ref": concern.reference})
            return redirect("concern_triage_queue", request.programme.code)
        return render(request, "concerns/triage.html", _triage_context(request, concern, form=form), status=422)
    return render(request, "concerns/triage.html", _triage_context(request, concern))


@require_POST
@programme_view(action="concern.change")
def concern_decline(request: ProgrammeRequest, pk: int) -> HttpResponse:
    concern = _concern(request, pk, "change")
    form = DeclineForm(request.POST)
    if form_then_service(
        form,
        lambda data: services.concern_move(
            actor=request.user, concern=concern, to_status=Status.DECLINED, reason=data["reason"]
        ),
    ):
        messages.success(request, _("%(ref)s was declined.") % {"ref": concern.reference})
        return redirect("concern_triage_queue", request.programme.code)
    concern.refresh_from_db()
    return render(request, "concerns/triage.html", _triage_context(request, concern, decline_form=form), status=422)


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 10 else None


@programme_view(action="concern.change")
def concern_merge(request: ProgrammeRequest, pk: int) -> HttpResponse:
    """Merge this concern into another (``?into=<id>``): both shown side by side, then a confirmation."""
    duplicate = _concern(request, pk, "change")
    into_pk = _int(request.POST.get("into") if request.method == "POST" else request.GET.get("into"))
    if into_pk is None:
        raise Http404
    into = _concern(request, into_pk, "change")
    form = MergeForm(request.POST if request.method == "POST" else None, initial={"into": into.pk})
    if request.method == "POST" and form_then_service(
        form,
        lambda data: services.concern_merge(actor=request.user, duplicate=duplicate, into=into, note=data["note"]),
    ):
        messages.success(
            request, _("%(dup)s was merged into %(into)s.") % {"dup": duplicate.reference, "into": into.reference}
        )
        return redirect(_detail_url(into))
    return render(
        request,
        "concerns/merge.html",
        {"duplicate": duplicate, "into": into, "form": form},
        status=422 if form.errors else 200,
    )


# --- Vocabulary ---------------------------------------------------------------------------------------
def _term_initial(term: Any, spec: vocabulary.TermKind) -> dict[str, Any]:
    names = ("name_tg", "name_ru", "name_en", "order", "active", *spec.extra)
    return {name: getattr(term, name) for name in names}


def vocabulary_page(
    request: ProgrammeRequest, *, kinds: Sequence[str], url_name: str, title: Any, lead: Any
) -> HttpResponse:
    """A page of the programme's vocabulary: for each kind of term (keys of ``vocabulary.TERM_KINDS``),
    its entries with an edit form each and an "Add" form. Used by the cycle's page below and by other
    apps' vocabulary pages (``events``); each kind's rule decides who may see and change it."""
    programme, user = request.programme, request.user
    specs = [vocabulary.TERM_KINDS[kind] for kind in kinds]
    for spec in specs:
        require(user, spec.rule, programme)
    posted_kind = request.POST.get("kind", "") if request.method == "POST" else ""
    posted_term = _int(request.POST.get("term")) if request.method == "POST" else None
    if request.method == "POST" and posted_kind not in kinds:
        raise Http404
    bound: TermForm | None = None
    if request.method == "POST":
        model = vocabulary.TERM_KINDS[posted_kind].model
        if posted_term is None:
            bound = TermForm(request.POST, kind=posted_kind, adding=True, prefix=f"{posted_kind}-new")
            done = form_then_service(
                bound,
                lambda data: vocabulary.term_create(actor=user, programme=programme, kind=posted_kind, **data),
            )
        else:
            found = model.objects.filter(programme=programme, pk=posted_term).first()
            if found is None:
                raise Http404
            term: Any = found
            bound = TermForm(request.POST, kind=posted_kind, adding=False, prefix=f"{posted_kind}-{term.pk}")
            done = form_then_service(bound, lambda data: vocabulary.term_update(actor=user, term=term, **data))
        if done:
            messages.success(request, _("Saved: %(name)s.") % {"name": done.value.name or done.value.code})
            return redirect(f"{reverse(url_name, args=[programme.code])}#{posted_kind}")
    sections = []
    for spec in specs:
        extras = [(name, spec.model._meta.get_field(name)) for name in spec.extra]
        terms = []
        for term in spec.model.objects.filter(programme=programme).order_by("order", "code"):
            prefix = f"{spec.key}-{term.pk}"
            form = bound if bound is not None and bound.prefix == prefix else None
            values = [
                getattr(term, f"get_{name}_display")() if field.choices else getattr(term, name)
                for name, field in extras
            ]
            terms.append(
                (
                    term,
                    form or TermForm(kind=spec.key, adding=False, prefix=prefix, initial=_term_initial(term, spec)),
                    values,
                )
            )
        add_prefix = f"{spec.key}-new"
        add = bound if bound is not None and bound.prefix == add_prefix else None
        sections.append(
            {
                "kind": spec.key,
                "label": spec.label,
                "extras": [field.verbose_name for _name, field in extras],
                "terms": terms,
                "add_form": add or TermForm(kind=spec.key, adding=True, prefix=add_prefix),
                "open_add": add is not None,
            }
        )
    return render(
        request,
        "concerns/vocabulary.html",
        {"sections": sections, "failed": bound, "title": title, "lead": lead},
        status=422 if bound is not None else 200,
    )


@programme_view(action="concern.vocabulary")
def concern_vocabulary(request: ProgrammeRequest) -> HttpResponse:
    """The programme's drivers, affected groups and criteria: add, rename, reorder, take out of use."""
    return vocabulary_page(
        request,
        kinds=vocabulary.CYCLE_KINDS,
        url_name="concern_vocabulary",
        title=_("Vocabulary of the cycle"),
        lead=_(
            "The programme's own words for drivers of insecurity, affected groups and prioritisation criteria, "
            "in Tajik, Russian and English. An entry is never deleted: take it out of use, and concerns that "
            "carry it keep it."
        ),
    )
