"""What the cycle puts on the home page and on a working group's page (registered in
``ConcernsConfig.ready``).

* Overdue actions: the field (admin, staff, partners in their districts) and a liaison (their
  organisation's actions) get one line to the overdue list; a group member one line per group of theirs.
* Referrals: a liaison "3 referrals await your answer" (or that none does); the lead's staff the
  referrals whose answer is overdue.
* New concerns to triage, for the field (when the triage queue is installed).
* On a group's page: what the group promised and what is late.

Each source runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hamkori.access.policy import decide, role_in
from hamkori.concerns.models import Action, Concern, Referral, Status, overdue_q, referral_late_q
from hamkori.concerns.plan import action_counts
from hamkori.core.roles import Role
from hamkori.groups.panels import GroupPanel
from hamkori.programmes.home import DONE, TODO, HomeItem

#: At most this many groups get a line of their own.
MAX_GROUP_ITEMS = 5
#: Overdue actions listed on a group's page (the promises page has them all).
MAX_PANEL_ROWS = 5


def overdue_items(user: Any, programme: Any) -> list[HomeItem]:
    if not decide(user, "concern.view", programme):
        return []
    code = programme.code
    overdue = Action.objects.visible_to(user).filter(programme=programme).filter(overdue_q())
    role = role_in(user, programme)
    if role == Role.GROUP_MEMBER:
        rows = list(
            overdue.order_by()
            .values("group_id", "group__name")
            .annotate(n=Count("pk"))
            .order_by("group__name", "group_id")[:MAX_GROUP_ITEMS]
        )
        return [
            HomeItem(
                priority=5,
                text=ngettext(
                    "%(group)s: %(n)s promised action is overdue",
                    "%(group)s: %(n)s promised actions are overdue",
                    row["n"],
                )
                % {"group": row["group__name"], "n": row["n"]},
                url=reverse("group_promises", args=[code, row["group_id"]]) + "?show=late",
                count=row["n"],
            )
            for row in rows
            if row["group_id"] is not None
        ]
    n = overdue.count()
    if not n:
        return []
    if role == Role.LIAISON:
        text = ngettext(
            "%(n)s action your organisation owns is overdue", "%(n)s actions your organisation owns are overdue", n
        )
    else:
        text = ngettext("%(n)s action is overdue", "%(n)s actions are overdue", n)
    return [HomeItem(priority=5, text=text % {"n": n}, url=reverse("actions_overdue", args=[code]), count=n)]


def referral_items(user: Any, programme: Any) -> list[HomeItem]:
    if not decide(user, "referral.inbox", programme):
        return []
    inbox = reverse("referral_inbox", args=[programme.code])
    waiting = Q(state__in=[Referral.State.SENT, Referral.State.ACKNOWLEDGED])
    counts = (
        Referral.objects.visible_to(user)
        .filter(programme=programme)
        .aggregate(
            waiting=Count("pk", filter=waiting),
            sent=Count("pk", filter=Q(state=Referral.State.SENT)),
            late=Count("pk", filter=referral_late_q()),
        )
    )
    if role_in(user, programme) == Role.LIAISON:
        n = counts["waiting"]
        if not n:
            return [HomeItem(priority=45, text=_("No referral awaits your answer."), url=inbox, kind=DONE)]
        details = []
        if counts["sent"]:
            details.append(
                ngettext("%(n)s not acknowledged yet", "%(n)s not acknowledged yet", counts["sent"])
                % {"n": counts["sent"]}
            )
        if counts["late"]:
            details.append(
                ngettext("%(n)s past the date asked", "%(n)s past the date asked", counts["late"])
                % {"n": counts["late"]}
            )
        return [
            HomeItem(
                priority=3,
                text=ngettext("%(n)s referral awaits your answer", "%(n)s referrals await your answer", n) % {"n": n},
                url=inbox,
                count=n,
                kind=TODO,
                details=tuple(details),
            )
        ]
    n = counts["late"]
    if not n:
        return []
    return [
        HomeItem(
            priority=8,
            text=ngettext(
                "%(n)s referral has not been answered by the date asked",
                "%(n)s referrals have not been answered by the date asked",
                n,
            )
            % {"n": n},
            url=f"{inbox}?late=1",
            count=n,
        )
    ]


def triage_items(user: Any, programme: Any) -> list[HomeItem]:
    """New concerns waiting for triage (public submissions included), for those who triage them."""
    if not decide(user, "concern.change", programme):
        return []
    try:
        url = reverse("concern_triage_queue", args=[programme.code])
    except NoReverseMatch:  # the concern pages are a separate module of this app
        return []
    n = Concern.objects.visible_to(user).filter(programme=programme, status=Status.REPORTED).count()
    if not n:
        return []
    return [
        HomeItem(
            priority=10,
            text=ngettext("%(n)s new concern to triage", "%(n)s new concerns to triage", n) % {"n": n},
            url=url,
            count=n,
        )
    ]


def group_promise_panels(user: Any, group: Any) -> list[GroupPanel]:
    """On a group's page: how many of its actions are done, on time and late, the late ones, and the
    way to everything it promised."""
    actions = Action.objects.visible_to(user).filter(group=group)
    counts = action_counts(actions)
    late = list(actions.filter(overdue_q()).order_by("due_on", "pk")[:MAX_PANEL_ROWS])
    return [
        GroupPanel(
            priority=10,
            template="concerns/_group_promises_panel.html",
            context={"promise_counts": counts, "late_actions": late, "more_late": counts["late"] > len(late)},
        )
    ]
