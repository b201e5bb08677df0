"""The review section of an application's page (``panels.register_application_panel``, from ``GrantsConfig.ready``),
and the reviewers page that shows the same section on its own.

The lead organisation sees the reviewers with their state (assigned, no conflict, conflict declared, submitted)
and the weighted total of each submitted review, the form to assign another reviewer, the do-no-harm screening's
result and the way to the decision. A reviewer sees only the link to her own review. Nobody sees the other
reviewers' scores while her own review of the application is still to be done. A fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from hamkori.access.policy import decide
from hamkori.accounts.models import RoleAssignment
from hamkori.core.roles import FIELD_ROLES, Role
from hamkori.grants.forms_reviews import AssignForm
from hamkori.grants.models import Application, ApplicationStatus, Conflict, Review, Screening
from hamkori.grants.panels import Panel
from hamkori.grants.reviews import weighted_score


@dataclass(frozen=True)
class ReviewerRow:
    review: Review
    state: str
    #: The weighted total (percent) of a submitted review; None when not submitted or hidden.
    total: Decimal | None
    may_remove: bool
    url: str | None


def state_of(review: Review) -> str:
    if review.conflict == Conflict.DECLARED:
        return _("Conflict of interest declared")
    if review.submitted_at is not None:
        return _("Submitted")
    if review.conflict == Conflict.NONE:
        return _("Scoring")
    return _("Assigned, not declared yet")


def own_review_pending(review: Review | None) -> bool:
    """The user's own review of the application is still to be done (the others' scores stay hidden)."""
    return review is not None and review.submitted_at is None and review.conflict != Conflict.DECLARED


def reviewer_candidates(application: Application, exclude: Collection[int] = ()) -> list[tuple[Any, str]]:
    """The programme's admin, staff and partner users who can see the application (partners: those working in
    its district), not yet assigned, with their role and organisation: two queries."""
    district = application.district
    assignments = (
        RoleAssignment.objects.filter(
            programme_id=application.programme_id,
            revoked_at__isnull=True,
            role__in=FIELD_ROLES,
            user__is_active=True,
            user__locked_at__isnull=True,
        )
        .exclude(user_id__in=exclude)
        .select_related("user", "organisation")
        .prefetch_related("places")
        .order_by("role", "user__display_name", "user__email")
    )
    out: list[tuple[Any, str]] = []
    for ra in assignments:
        if ra.role == Role.PARTNER and not any(district.path.startswith(p.path) for p in ra.places.all()):
            continue
        who = str(ra.user)
        label = f"{who} · {ra.get_role_display()}"
        if ra.organisation is not None:
            label += f" · {ra.organisation.name}"
        out.append((ra.user, label))
    return out


def _urls(application: Application) -> dict[str, str]:
    args = [application.programme.code, application.pk]
    return {
        "reviewers": reverse("application_reviewers", args=args),
        "screening": reverse("application_screening", args=args),
        "decide": reverse("application_decide", args=args),
        "ranking": reverse("call_ranking", args=[application.programme.code, application.call_id]),
    }


def lead_context(
    user: Any, application: Application, *, assign_form: AssignForm | None = None, assign: bool = True
) -> dict[str, Any]:
    """What the lead organisation sees of an application's review (the panel, the reviewers and decision pages);
    ``assign=False`` leaves out the form to assign a reviewer."""
    reviews = list(
        Review.objects.filter(application=application)
        .select_related("reviewer")
        .prefetch_related("scores")
        .order_by("pk")
    )
    own = next((r for r in reviews if r.reviewer_id == user.pk), None)
    hidden = own_review_pending(own)
    criteria = list(application.call.criteria.all())
    open_ = application.status == ApplicationStatus.SUBMITTED
    code = application.programme.code
    rows = []
    for r in reviews:
        total = None
        if r.submitted_at is not None and r.conflict == Conflict.NONE and not hidden:
            total = weighted_score(
                {s.criterion_id: s.score for s in r.scores.all()}, criteria, application.call.score_max
            )
        readable = r.reviewer_id == user.pk or (r.submitted_at is not None and not hidden)
        rows.append(
            ReviewerRow(
                review=r,
                state=state_of(r),
                total=total,
                may_remove=open_ and r.submitted_at is None,
                url=reverse("review_detail", args=[code, r.pk]) if readable else None,
            )
        )
    if assign_form is None and open_ and assign:
        assign_form = AssignForm(candidates=reviewer_candidates(application, {r.reviewer_id for r in reviews}))
    screening = Screening.objects.filter(application=application).prefetch_related("answers").first()
    return {
        "review_rows": rows,
        "review_hidden": hidden,
        "review_own": own,
        "review_open": open_,
        "review_assign_form": assign_form if open_ and assign else None,
        "review_submitted": sum(1 for r in reviews if r.submitted_at is not None and r.conflict == Conflict.NONE),
        "review_screening": screening,
        "review_risks": sum(1 for a in screening.answers.all() if not a.ok) if screening is not None else 0,
        "review_urls": _urls(application),
    }


def review_panel(user: Any, application: Application) -> list[Panel]:
    if decide(user, "application.decide", application):
        return [Panel(priority=20, template="grants/_review_panel.html", context=lead_context(user, application))]
    own = Review.objects.filter(application=application, reviewer=user).first()
    if own is None:
        return []
    return [
        Panel(
            priority=20,
            template="grants/_review_own.html",
            context={
                "review_own": own,
                "review_own_state": state_of(own),
                "review_own_url": reverse("review_detail", args=[application.programme.code, own.pk]),
            },
        )
    ]
