from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render

from hamkori.core.models import AuditEvent
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


@programme_view(action="auditevent.view")
def audit_list(request: ProgrammeRequest) -> HttpResponse:
    """The programme's audit trail: the events recorded in this programme only. What its users did
    elsewhere belongs to the other programmes' logs; installation-level events (sign-ins, tokens,
    shared organisations) are shown to installation administrators only."""
    programme = request.programme
    scope = Q(programme=programme)
    if request.user.is_superuser:
        scope |= Q(programme__isnull=True)
    events = AuditEvent.objects.filter(scope).select_related("actor")
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
        {
            "page": page,
            "action": action,
            "actor": actor,
            "outcome": outcome,
            "outcomes": AuditEvent.Outcome.choices,
            "params": {"action": action, "actor": actor, "outcome": outcome},
        },
    )
