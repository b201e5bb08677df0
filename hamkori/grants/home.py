"""What the review of grant applications puts on the home page (registered in ``GrantsConfig.ready``): a
reviewer's reviews still to declare or score, and for the lead organisation the submitted applications waiting
for a decision; both link to "my reviews". Two queries at most."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import ngettext

from hamkori.access.policy import decide, role_in
from hamkori.core.roles import FIELD_ROLES
from hamkori.grants.models import Application, ApplicationStatus, Conflict, Review
from hamkori.programmes.home import TODO, HomeItem


def review_items(user: Any, programme: Any) -> list[HomeItem]:
    if role_in(user, programme) not in FIELD_ROLES or not decide(user, "grants.view", programme):
        return []
    url = reverse("review_list", args=[programme.code])
    waiting = Application.objects.visible_to(user).filter(programme=programme, status=ApplicationStatus.SUBMITTED)
    counts = Review.objects.filter(reviewer=user, submitted_at__isnull=True, application__in=waiting).aggregate(
        declare=Count("pk", filter=Q(conflict=Conflict.UNDECLARED)), score=Count("pk", filter=Q(conflict=Conflict.NONE))
    )
    items: list[HomeItem] = []
    declare, score = counts["declare"] or 0, counts["score"] or 0
    if declare + score:
        details = []
        if declare:
            details.append(
                ngettext(
                    "%(n)s to declare a conflict of interest on", "%(n)s to declare conflicts of interest on", declare
                )
                % {"n": declare}
            )
        if score:
            details.append(ngettext("%(n)s to score", "%(n)s to score", score) % {"n": score})
        text = ngettext("%(n)s grant application to review", "%(n)s grant applications to review", declare + score) % {
            "n": declare + score
        }
        items.append(
            HomeItem(priority=25, text=text, url=url, count=declare + score, kind=TODO, details=tuple(details))
        )
    if decide(user, "application.decide", programme):
        n = waiting.count()
        if n:
            text = ngettext(
                "%(n)s grant application waits for a decision", "%(n)s grant applications wait for a decision", n
            ) % {"n": n}
            items.append(HomeItem(priority=30, text=text, url=f"{url}#waiting", count=n, kind=TODO))
    return items
