"""What the grants' money puts on the home page (registered in ``GrantsConfig.ready``), for those who move the
money (``grant.manage``: the lead organisation): reports waiting for their review, and tranches whose
condition holds and can be released. Two queries, whatever the number of grants.

``releasable(tranches)`` is ``awards.condition_holds`` as one query (the home item, the list's filter)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import ngettext

from hamkori.access.policy import decide
from hamkori.grants.models import (
    Condition,
    Grant,
    GrantReport,
    GrantStatus,
    ReportStatus,
    Tranche,
    TrancheStatus,
)
from hamkori.programmes.home import TODO, HomeItem


def releasable(tranches: QuerySet[Tranche]) -> QuerySet[Tranche]:
    """The planned tranches of open grants whose condition holds: the agreement is signed, every earlier
    tranche was released, and the report the tranche waits for (if any) is approved."""
    earlier = Tranche.objects.filter(
        grant=OuterRef("grant"), number__lt=OuterRef("number"), status=TrancheStatus.PLANNED
    )
    approved = GrantReport.objects.filter(
        grant=OuterRef("grant"), number=OuterRef("report_number"), status=ReportStatus.APPROVED
    )
    return (
        tranches.filter(
            status=TrancheStatus.PLANNED,
            grant__status=GrantStatus.AGREED,
            grant__agreement_signed_on__isnull=False,
        )
        .filter(~Exists(earlier))
        .filter(Q(condition=Condition.SIGNED) | Exists(approved))
    )


def waiting_reports(grants: QuerySet[Grant]) -> QuerySet[GrantReport]:
    return GrantReport.objects.filter(grant__in=grants, status=ReportStatus.SUBMITTED)


def money_items(user: Any, programme: Any) -> list[HomeItem]:
    if not decide(user, "grant.manage", programme):
        return []
    grants = Grant.objects.visible_to(user).filter(programme=programme, status=GrantStatus.AGREED)
    url = reverse("grant_list", args=[programme.code])
    items = []
    reports = waiting_reports(grants).count()
    if reports:
        text = ngettext(
            "%(n)s grant report waits for your review", "%(n)s grant reports wait for your review", reports
        ) % {"n": reports}
        items.append(HomeItem(priority=20, text=text, url=f"{url}?todo=review", count=reports, kind=TODO))
    tranches = releasable(Tranche.objects.filter(grant__in=grants)).count()
    if tranches:
        text = ngettext(
            "%(n)s tranche can be released: its condition holds",
            "%(n)s tranches can be released: their condition holds",
            tranches,
        ) % {"n": tranches}
        items.append(HomeItem(priority=21, text=text, url=f"{url}?todo=release", count=tranches, kind=TODO))
    return items
