"""Panels this module adds to other pages (registered in ``GrantsConfig.ready``):

- on an application's page (``grants.panels.register_application_panel``): the grant it became, with its amount,
  what was released and its status, linking to the grant's page;
- on an event's page (``events.panels.register_event_panel``): the grants whose campaign the event belongs to
  (linked from the grant's side: events never import grants).

Each decides through the registry and the grants' scope what the user may see, in one query, and returns ``[]``
when there is nothing to show."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from hamkori.access.policy import decide
from hamkori.events.panels import EventPanel
from hamkori.grants.models import ZERO, Grant, Tranche, TrancheStatus
from hamkori.grants.panels import Panel

AMOUNT: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)


def _with_released(grants: Any) -> Any:
    released = (
        Tranche.objects.filter(grant=OuterRef("pk"), status=TrancheStatus.RELEASED)
        .order_by()
        .values("grant")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return grants.annotate(released=Coalesce(Subquery(released, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT))


def application_grant_panel(user: Any, application: Any) -> list[Panel]:
    """The grant an approved application became."""
    if not decide(user, "grant.view", application.programme):
        return []
    grant = _with_released(Grant.objects.visible_to(user).filter(application=application)).first()
    if grant is None:
        return []
    return [Panel(priority=60, template="grants/_grant_application_panel.html", context={"the_grant": grant})]


def event_grants_panel(user: Any, event: Any) -> list[EventPanel]:
    """The grants whose campaign this event belongs to."""
    if not decide(user, "grant.view", event.programme):
        return []
    grants = list(
        _with_released(Grant.objects.visible_to(user).filter(events=event))
        .select_related("application", "district")
        .order_by("number")
    )
    if not grants:
        return []
    return [EventPanel(priority=70, template="grants/_grant_event_panel.html", context={"event_grants": grants})]
