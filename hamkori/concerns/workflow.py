"""The one state machine of a concern: which moves exist, which permission each needs, and what must
be true first, each refusal with a reason a person can act on.

``reported → triaged → prioritised → planned → in progress → resolved | partly resolved |
not actionable | referred elsewhere → reviewed``; at triage a concern may be declined or merged into
another. Pages list :func:`moves_for` (the buttons, and why a move is not possible yet); the service
``concern_move`` asks :func:`check_move` again inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hamkori.access.policy import ALLOW, Decision, decide
from hamkori.concerns.models import Concern, SignOff, Status
from hamkori.orgs.models import Organisation

#: Organisations whose ownership of an action makes their sign-off necessary for resolution.
AUTHORITY_KINDS = frozenset({Organisation.Kind.POLICE, Organisation.Kind.AUTHORITY})


@dataclass(frozen=True)
class Move:
    action: str  # the permission in the registry
    check: Callable[[Concern], Decision] | None = None
    needs_reason: bool = False
    #: Only a service may make this move (a round's decision, a review, a merge): not a button.
    by_service: bool = False


def _has_actions(concern: Concern) -> Decision:
    if concern.actions.exclude(state="dropped").exists():
        return ALLOW
    return Decision(False, _("Agree at least one action first (the action plan)."))


def missing_signoffs(concern: Concern) -> list[str]:
    """Who still has to sign off the resolution: the owning working group, and every police or
    authority organisation that owns one of the concern's actions."""
    signed = set(SignOff.objects.filter(concern=concern).values_list("organisation_id", flat=True))
    missing: list[str] = []
    if None not in signed:
        missing.append(str(concern.group) if concern.group_id else str(_("the working group")))
    owners = (
        Organisation.objects.filter(
            kind__in=AUTHORITY_KINDS,
            pk__in=concern.actions.exclude(state="dropped").values("ownerships__organisation"),
        )
        .exclude(pk__in=[pk for pk in signed if pk is not None])
        .order_by("name_en")
    )
    missing.extend(str(org) for org in owners)
    return missing


def _signed_off(concern: Concern) -> Decision:
    missing = missing_signoffs(concern)
    if not missing:
        return ALLOW
    return Decision(
        False,
        ngettext(
            "Resolving needs the sign-off of %(who)s.",
            "Resolving needs the sign-offs of %(who)s.",
            len(missing),
        )
        % {"who": ", ".join(missing)},
    )


def _has_review(concern: Concern) -> Decision:
    if hasattr(concern, "review"):
        return ALLOW
    return Decision(False, _("Record the review first: do people feel the problem is better?"))


def _in_group(concern: Concern) -> Decision:
    if concern.group_id:
        return ALLOW
    return Decision(False, _("Choose the working group that takes this concern up first."))


_change = "concern.change"
_CLOSE: dict[str, Move] = {
    Status.NOT_ACTIONABLE: Move(_change, needs_reason=True),
    Status.REFERRED_ELSEWHERE: Move(_change, needs_reason=True),
}

MOVES: dict[str, dict[str, Move]] = {
    Status.REPORTED: {
        Status.TRIAGED: Move(_change),
        Status.DECLINED: Move(_change, needs_reason=True),
        Status.MERGED: Move(_change, by_service=True),
    },
    Status.TRIAGED: {
        Status.PRIORITISED: Move("concern.prioritise", check=_in_group, by_service=True),
        Status.DECLINED: Move(_change, needs_reason=True),
        Status.MERGED: Move(_change, by_service=True),
        **_CLOSE,
    },
    Status.PRIORITISED: {
        Status.PLANNED: Move(_change, check=_has_actions),
        Status.TRIAGED: Move(_change, needs_reason=True),
        **_CLOSE,
    },
    Status.PLANNED: {Status.IN_PROGRESS: Move(_change, check=_has_actions), **_CLOSE},
    Status.IN_PROGRESS: {
        Status.RESOLVED: Move(_change, check=_signed_off),
        Status.PARTLY_RESOLVED: Move(_change, check=_signed_off),
        **_CLOSE,
    },
    Status.RESOLVED: {
        Status.REVIEWED: Move("concern.review", check=_has_review, by_service=True),
        Status.IN_PROGRESS: Move(_change, needs_reason=True),
    },
    Status.PARTLY_RESOLVED: {
        Status.REVIEWED: Move("concern.review", check=_has_review, by_service=True),
        Status.IN_PROGRESS: Move(_change, needs_reason=True),
    },
    Status.NOT_ACTIONABLE: {
        Status.REVIEWED: Move("concern.review", check=_has_review, by_service=True),
        Status.TRIAGED: Move(_change, needs_reason=True),
    },
    Status.REFERRED_ELSEWHERE: {Status.REVIEWED: Move("concern.review", check=_has_review, by_service=True)},
    Status.DECLINED: {Status.TRIAGED: Move(_change, needs_reason=True)},
    Status.REVIEWED: {},
    Status.MERGED: {},
}


def check_move(user: Any, concern: Concern, to_status: str) -> Decision:
    """May ``user`` move ``concern`` to ``to_status`` now? (``user`` None: the system.)"""
    move = MOVES.get(concern.status, {}).get(to_status)
    if move is None:
        return Decision(
            False,
            _("A concern that is %(from)s cannot become %(to)s.")
            % {
                "from": str(Status(concern.status).label).lower(),
                "to": str(dict(Status.choices).get(to_status, to_status)).lower(),
            },
        )
    if user is not None:
        allowed = decide(user, move.action, concern)
        if not allowed:
            return allowed
    if move.check is not None:
        return move.check(concern)
    return ALLOW


def moves_for(user: Any, concern: Concern) -> list[tuple[str, Any, Decision, bool]]:
    """The moves a page offers: ``(status, label, decision, needs_reason)`` for each move the user's
    role may make by hand, allowed or with the reason it is not possible yet."""
    offered = []
    for to_status, move in MOVES.get(concern.status, {}).items():
        if move.by_service or not decide(user, move.action, concern):
            continue
        offered.append((to_status, Status(to_status).label, check_move(user, concern, to_status), move.needs_reason))
    return offered
