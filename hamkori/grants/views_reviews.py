"""Pages of the review of grant applications: my reviews (and, for the lead organisation, the applications
waiting for a decision), the reviewer's screen (the conflict-of-interest declaration, then the scores), the
reviewers of an application, the do-no-harm screening, the decision and a call's ranking.

Thin views: fetch through ``get_for_user`` or ``visible_to``, one service of ``grants.reviews``, a page. A review
is fetched through its application's scope (404 out of scope) and the ``review.view`` rule (403 with the reason).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from hamkori.access.policy import decide, deny, get_for_user, require
from hamkori.grants import reviews as services
from hamkori.grants.applications import budget_total
from hamkori.grants.forms_reviews import AssignForm, DecideForm, DeclareForm, ReviewForm, ScreeningForm
from hamkori.grants.models import (
    Application,
    ApplicationStatus,
    Conflict,
    GrantCall,
    Language,
    Review,
    Screening,
    ScreeningAnswer,
    ScreeningQuestion,
)
from hamkori.grants.money import committed
from hamkori.grants.review_panels import lead_context, own_review_pending, reviewer_candidates, state_of
from hamkori.kit.pages import form_then_service, render_page
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

PAGE_SIZE = 50
#: Submitted reviews listed on "my reviews" (the most recent).
SUBMITTED_SHOWN = 30
#: Statuses an application has once submitted (the ranking shows them; drafts and withdrawn ones stay out).
RANKED = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.CHANGES,
    ApplicationStatus.APPROVED,
    ApplicationStatus.REJECTED,
)


def _application(request: ProgrammeRequest, application_id: int, action: str = "view") -> Application:
    application = get_for_user(request.user, Application, action, pk=application_id, programme=request.programme)
    return Application.objects.select_related("call", "district", "programme").get(pk=application.pk)


def _review(request: ProgrammeRequest, review_id: int) -> Review:
    """A review whose application the user sees in this programme (else 404), that she may open (else 403)."""
    visible = Application.objects.visible_to(request.user).filter(programme=request.programme)
    review = (
        Review.objects.select_related("application__call", "application__district", "application__programme")
        .filter(pk=review_id, application__in=visible)
        .first()
    )
    if review is None:  # out of scope or absent: 404, audited
        deny(request.user, "review.view", request.programme, "not found or out of scope", hide=True)
    require(request.user, "review.view", review)
    return cast(Review, review)


def _reviews_url(request: ProgrammeRequest) -> str:
    return reverse("review_list", args=[request.programme.code])


# --- My reviews ---------------------------------------------------------------------------------------
@programme_view(action="grants.view")
def review_list(request: ProgrammeRequest) -> HttpResponse:
    """The user's reviews: to declare, to score, submitted (and blocked by a conflict); for the lead
    organisation also the submitted applications waiting for a decision. A fixed number of queries."""
    user, programme = request.user, request.programme
    visible = Application.objects.visible_to(user).filter(programme=programme)
    mine = Review.objects.filter(reviewer_id=user.pk, application__in=visible).select_related("application__call")
    pending = list(
        mine.filter(submitted_at__isnull=True, application__status=ApplicationStatus.SUBMITTED).order_by(
            "application__submitted_at", "pk"
        )
    )
    submitted_qs = mine.filter(submitted_at__isnull=False)
    submitted = list(
        submitted_qs.prefetch_related("scores", "application__call__criteria").order_by("-submitted_at", "-pk")[
            :SUBMITTED_SHOWN
        ]
    )
    context: dict[str, Any] = {
        "to_declare": [r for r in pending if r.conflict == Conflict.UNDECLARED],
        "to_score": [r for r in pending if r.conflict == Conflict.NONE],
        "blocked": [r for r in pending if r.conflict == Conflict.DECLARED],
        "submitted": [
            (
                r,
                services.weighted_score(
                    {s.criterion_id: s.score for s in r.scores.all()},
                    list(r.application.call.criteria.all()),
                    r.application.call.score_max,
                ),
            )
            for r in submitted
        ],
        "submitted_count": submitted_qs.count(),
        "submitted_shown": SUBMITTED_SHOWN,
        "lead": bool(decide(user, "application.decide", programme)),
        "params": {},
    }
    if context["lead"]:
        waiting = (
            visible.filter(status=ApplicationStatus.SUBMITTED)
            .select_related("call", "district")
            .annotate(
                reviewers=Count("reviews", distinct=True),
                reviewed=Count(
                    "reviews",
                    filter=Q(reviews__submitted_at__isnull=False, reviews__conflict=Conflict.NONE),
                    distinct=True,
                ),
                conflicts=Count("reviews", filter=Q(reviews__conflict=Conflict.DECLARED), distinct=True),
                screened=Exists(Screening.objects.filter(application=OuterRef("pk"))),
                risky=Exists(ScreeningAnswer.objects.filter(screening__application=OuterRef("pk"), ok=False)),
            )
            .order_by("submitted_at", "pk")
        )
        context["waiting"] = Paginator(waiting, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "grants/review_list.html", context)


# --- The reviewer's screen ----------------------------------------------------------------------------
def _proposal(user: Any, application: Application) -> dict[str, Any]:
    lines = list(application.budget_lines.all())
    return {
        "formats": list(application.formats.all()),
        "budget": lines,
        "budget_total": budget_total(lines),
        "languages": [Language(code).label for code in application.languages if code in Language.values],
        "show_identity": services.can_see_identity(user, application),
    }


@programme_view(action="grants.view")
def review_detail(request: ProgrammeRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id)
    application = review.application
    criteria = list(application.call.criteria.all())
    user = request.user
    own = review.reviewer_id == user.pk
    declare_form: DeclareForm | None = None
    review_form: ReviewForm | None = None
    status = 200
    if request.method == "POST":
        require(user, "review.change", review)
        if request.POST.get("step") == "declare":
            declare_form = DeclareForm(request.POST)
            done = form_then_service(
                declare_form,
                lambda d: services.review_declare(
                    actor=user, review=review, conflict=d["conflict"] == Conflict.DECLARED, note=d["conflict_note"]
                ),
            )
            if done:
                if done.value.conflict == Conflict.DECLARED:
                    messages.warning(request, _("Your conflict of interest was recorded: this review is blocked."))
                else:
                    messages.success(request, _("Thank you. You can now score the proposal."))
                return redirect(request.path)
        else:
            posted = review_form = ReviewForm(request.POST, review=review, criteria=criteria)
            submit = request.POST.get("action") == "submit"
            done = form_then_service(
                posted,
                lambda d: services.review_save(
                    actor=user, review=review, scores=posted.scores(), comment=d["comment"], submit=submit
                ),
            )
            if done:
                if submit:
                    messages.success(request, _("Your review was submitted. Thank you."))
                else:
                    messages.success(request, _("Your scores were saved. Submit the review when it is complete."))
                return redirect(request.path)
        status = done.status
    may_change = own and bool(decide(user, "review.change", review))
    if may_change and application.status != ApplicationStatus.SUBMITTED:
        may_change = False
    step = None
    if may_change:
        step = "declare" if review.conflict == Conflict.UNDECLARED else "score"
        if review_form is None:
            review_form = ReviewForm(review=review, criteria=criteria)
        if declare_form is None:
            declare_form = DeclareForm(initial={"conflict": Conflict.DECLARED} if step == "score" else None)
    saved = {s.criterion_id: s for s in review.scores.all()}
    context = {
        "review": review,
        "application": application,
        "call": application.call,
        "own": own,
        "state": state_of(review),
        "step": step,
        "declare_form": declare_form,
        "review_form": review_form,
        "scored": [(c, saved.get(c.pk)) for c in criteria],
        "total": services.weighted_score(
            {pk: s.score for pk, s in saved.items()}, criteria, application.call.score_max
        ),
        "closed": application.status != ApplicationStatus.SUBMITTED,
        **_proposal(user, application),
    }
    return render_page(request, "grants/review_detail.html", context, status=status)


# --- Reviewers of an application ----------------------------------------------------------------------
def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


@programme_view(action="application.decide")
def application_reviewers(request: ProgrammeRequest, application_id: int) -> HttpResponse:
    """The reviewers of an application with their state; POST assigns one (``reviewer``) or removes one
    (``remove``: the review's id)."""
    application = _application(request, application_id, "decide")
    form: AssignForm | None = None
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if "remove" in request.POST:
            review = (
                application.reviews.filter(pk=_int(request.POST.get("remove")) or 0).select_related("reviewer").first()
            )
            if review is None:
                errors = [_("This reviewer is not assigned to this application.")]
            else:
                try:
                    services.review_unassign(actor=request.user, review=review)
                except ValidationError as exc:
                    errors = exc.messages
                else:
                    messages.success(
                        request, _("%(who)s no longer reviews this application.") % {"who": review.reviewer}
                    )
                    return redirect(request.path)
        else:
            assigned = set(application.reviews.values_list("reviewer_id", flat=True))
            form = AssignForm(request.POST, candidates=reviewer_candidates(application, assigned))
            done = form_then_service(
                form,
                lambda d: services.review_assign(actor=request.user, application=application, reviewer=d["reviewer"]),
            )
            if done:
                messages.success(
                    request, _("%(who)s was asked to review this application.") % {"who": done.value.reviewer}
                )
                return redirect(request.path)
        status = 422
    context = {
        "application": application,
        "errors": errors,
        **lead_context(request.user, application, assign_form=form),
    }
    return render_page(request, "grants/review_reviewers.html", context, status=status)


# --- The do-no-harm screening -------------------------------------------------------------------------
@programme_view(action="application.decide")
def application_screening(request: ProgrammeRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id, "decide")
    questions = list(ScreeningQuestion.objects.filter(programme=request.programme, active=True))
    screening = Screening.objects.filter(application=application).prefetch_related("answers").first()
    form = ScreeningForm(request.POST or None, questions=questions, screening=screening)
    status = 200
    if request.method == "POST":
        done = form_then_service(
            form,
            lambda d: services.screening_save(
                actor=request.user, application=application, answers=form.answers(), note=d["note"]
            ),
        )
        if done:
            if done.value.passed:
                messages.success(request, _("The screening was saved: no risk found."))
            else:
                messages.warning(request, _("The screening was saved: deal with the risks before approving."))
            return redirect(request.path)
        status = done.status
    context = {
        "application": application,
        "form": form,
        "screening": screening,
        "risks": [a for a in screening.answers.all() if not a.ok] if screening is not None else [],
        "open": application.status == ApplicationStatus.SUBMITTED,
        "urls": {
            "decide": reverse("application_decide", args=[request.programme.code, application.pk]),
            "reviewers": reverse("application_reviewers", args=[request.programme.code, application.pk]),
        },
    }
    return render_page(request, "grants/screening.html", context, status=status)


# --- The decision -------------------------------------------------------------------------------------
@programme_view(action="application.decide")
def application_decide(request: ProgrammeRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id, "decide")
    form = DecideForm(request.POST or None, application=application)
    status = 200
    if request.method == "POST":
        done = form_then_service(
            form,
            lambda d: services.application_decide(
                actor=request.user,
                application=application,
                decision=d["decision"],
                reason=d["reason"],
                amount=d["amount"] or None,
            ),
        )
        if done:
            decided = done.value
            messages.success(
                request,
                _("The decision was recorded: %(status)s.") % {"status": decided.get_status_display()},
            )
            return redirect(request.path)
        status = done.status
        application.refresh_from_db()
    call = application.call
    context = {
        "application": application,
        "call": call,
        "form": form,
        "open": application.status == ApplicationStatus.SUBMITTED,
        "left": call.envelope - committed(call),
        "grant": getattr(application, "grant", None) if application.status == ApplicationStatus.APPROVED else None,
        "decided_by": application.decided_by if application.decided_by_id else None,
        **lead_context(request.user, application, assign=False),
    }
    return render_page(request, "grants/decide.html", context, status=status)


# --- A call's ranking ---------------------------------------------------------------------------------
@programme_view(action="application.decide")
def call_ranking(request: ProgrammeRequest, call_id: int) -> HttpResponse:
    """The call's submitted applications by the mean weighted total of their reviews, with the mean score per
    criterion, the number of reviews and of declared conflicts. An application the user herself still has to
    review shows no scores. A fixed number of queries."""
    user = request.user
    call = get_for_user(user, GrantCall, "view", pk=call_id, programme=request.programme)
    applications = list(
        Application.objects.visible_to(user)
        .filter(call=call, status__in=RANKED)
        .select_related("district")
        .order_by("pk")
    )
    criteria = list(call.criteria.all())
    pending = {
        r.application_id
        for r in Review.objects.filter(reviewer_id=user.pk, application__call=call).only(
            "application_id", "submitted_at", "conflict"
        )
        if own_review_pending(r)
    }
    ranked = services.ranking(call, applications)
    code = request.programme.code
    rows = []
    rank = 0
    for row in ranked:
        hidden = row.application.pk in pending
        if row.score is not None and not hidden:
            rank += 1
        rows.append(
            {
                "row": row,
                "hidden": hidden,
                "rank": rank if row.score is not None and not hidden else None,
                "means": [(c, None if hidden else row.by_criterion.get(c.pk)) for c in criteria],
                "url": reverse("application_decide", args=[code, row.application.pk]),
            }
        )
    context = {
        "call": call,
        "criteria": criteria,
        "rows": rows,
        "left": call.envelope - committed(call),
    }
    return render_page(request, "grants/ranking.html", context)
