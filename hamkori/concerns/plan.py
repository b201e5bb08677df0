"""What the action plan section of a concern shows to one user: the actions, referrals, sign-offs and
review, each with the forms that user may use (the decisions come from the registry, the rows from
``visible_to``). Used by the concern page (``concerns/_plan.html`` through the ``action_plan_for``
template tag) and by the plan's own pages when a form comes back with errors."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import decide
from hamkori.concerns.actions import PLANNING_STATUSES, REFERRAL_STATUSES, REVIEW_STATUSES
from hamkori.concerns.forms_actions import (
    REFERRAL_WARNING,
    ActionForm,
    ActionUpdateForm,
    ReferralForm,
    ReviewForm,
    SignOffForm,
)
from hamkori.concerns.models import Action, ActionOwner, Concern, Referral, Review, SignOff, Status, overdue_q
from hamkori.concerns.workflow import AUTHORITY_KINDS, missing_signoffs
from hamkori.core.models import Sensitivity


def concern_href(code: str, pk: int) -> str:
    """The page of concern ``pk`` (``concern_detail``), or the plan's own page of it where the concern
    page is not installed."""
    try:
        return reverse("concern_detail", args=[code, pk])
    except NoReverseMatch:
        return reverse("plan_concern", args=[code, pk])


def concern_url(concern: Concern) -> str:
    return concern_href(concern.programme.code, concern.pk)


#: Referrals awaiting acknowledgement first, then awaiting an answer, then answered.
INBOX_ORDER = Case(
    When(state=Referral.State.SENT, then=Value(0)),
    When(state=Referral.State.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def action_counts(actions: QuerySet[Action]) -> dict[str, int]:
    """How many of ``actions`` are done, under way on time, late, dropped (and in all): one query."""
    today = timezone.localdate()
    return actions.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(state=Action.State.DONE)),
        late=Count("pk", filter=overdue_q()),
        on_time=Count("pk", filter=Q(state__in=[Action.State.OPEN, Action.State.IN_PROGRESS], due_on__gte=today)),
        dropped=Count("pk", filter=Q(state=Action.State.DROPPED)),
    )


def _signoff_form(bound: dict[str, Any], prefix: str) -> SignOffForm:
    form = bound.get("signoff_form")
    if form is not None and form.prefix == prefix:
        return form
    return SignOffForm(prefix=prefix)


def plan_for(user: Any, concern: Concern, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    """The context of the action plan of ``concern`` for ``user``. ``bound`` holds forms that came back
    with errors (keys ``action_form``, ``referral_form``, ``review_form``, ``signoff_form`` (known by
    its prefix), or ``update_form`` with ``update_action`` its action's pk)."""
    bound = bound or {}
    may_change = bool(decide(user, "concern.change", concern))
    actions = list(
        Action.objects.visible_to(user)
        .filter(concern=concern)
        .select_related("group")
        .prefetch_related("ownerships__organisation")
        .order_by("due_on", "pk")
    )
    rows = []
    for action in actions:
        may_update = bool(decide(user, "action.change", action))
        form = None
        if may_update:
            form = bound["update_form"] if bound.get("update_action") == action.pk else ActionUpdateForm(action=action)
        rows.append({"action": action, "owners": [o.organisation for o in action.ownerships.all()], "form": form})
    referrals = list(Referral.objects.visible_to(user).filter(concern=concern).select_related("organisation", "action"))
    signoffs = list(SignOff.objects.filter(concern=concern).select_related("organisation", "signed_by"))
    signed = {s.organisation_id for s in signoffs}
    in_progress = concern.status == Status.IN_PROGRESS
    authority_owners = {
        own.organisation_id: own.organisation
        for own in ActionOwner.objects.filter(action__concern=concern, organisation__kind__in=AUTHORITY_KINDS)
        .exclude(action__state=Action.State.DROPPED)
        .select_related("organisation")
    }
    code = concern.programme.code
    signoff_targets = []
    if in_progress and None not in signed and decide(user, "concern.signoff_group", concern):
        signoff_targets.append(
            {
                "who": str(concern.group) if concern.group_id else _("the working group"),
                "url": reverse("plan_signoff_group", args=[code, concern.pk]),
                "form": _signoff_form(bound, "sg"),
            }
        )
    if in_progress:
        for pk, org in sorted(authority_owners.items(), key=lambda item: str(item[1])):
            if pk not in signed and decide(user, "concern.signoff_authority", (concern, org)):
                signoff_targets.append(
                    {
                        "who": str(org),
                        "url": reverse("plan_signoff_authority", args=[code, concern.pk]),
                        "organisation": pk,
                        "form": _signoff_form(bound, f"so{pk}"),
                    }
                )
    review = Review.objects.filter(concern=concern).first()
    may_review = review is None and concern.status in REVIEW_STATUSES and bool(decide(user, "concern.review", concern))
    restricted = concern.sensitivity == Sensitivity.RESTRICTED
    may_refer = may_change and concern.status in REFERRAL_STATUSES
    return {
        "concern": concern,
        "action_rows": rows,
        "may_add_action": may_change and concern.status in PLANNING_STATUSES,
        "action_form": bound.get("action_form") or ActionForm(concern=concern),
        "referrals": referrals,
        "may_refer": may_refer and not restricted,
        "refer_blocked": may_refer and restricted,
        "referral_form": bound.get("referral_form") or (ReferralForm(concern=concern) if may_refer else None),
        "referral_warning": REFERRAL_WARNING,
        "signoffs": signoffs,
        "missing_signoffs": missing_signoffs(concern) if in_progress else [],
        "show_signoffs": in_progress or bool(signoffs),
        "signoff_targets": signoff_targets,
        "review": review,
        "may_review": may_review,
        "review_form": bound.get("review_form") or (ReviewForm() if may_review else None),
        "concern_url": concern_url(concern),
    }
