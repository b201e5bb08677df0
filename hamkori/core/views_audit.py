from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hamkori.accounts.models import RoleAssignment
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.core.views_access import programme_view


@programme_view(Role.ADMIN)
def audit_list(request: HttpRequest) -> HttpResponse:
    """The programme's audit trail: its records' events and everything its users did."""
    programme = request.programme  # type: ignore[attr-defined]
    members = RoleAssignment.objects.filter(programme=programme).values("user_id")
    events = AuditEvent.objects.filter(Q(programme=programme) | Q(actor__in=members)).select_related("actor")
    action = request.GET.get("action", "").strip()[:80]
    actor = request.GET.get("actor", "").strip()[:254]
    outcome = request.GET.get("outcome", "")
    if action:
        events = events.filter(action__icontains=action)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if outcome in AuditEvent.Outcome.values:
        events = events.filter(outcome=outcome)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_list.html",
        {"page": page, "action": action, "actor": actor, "outcome": outcome, "outcomes": AuditEvent.Outcome.choices},
    )
