from __future__ import annotations

from typing import Any

from django.http import HttpRequest

SESSION_PROGRAMME = "hamkori_programme"

#: URL name (or its prefix) -> the navigation item it belongs to (``aria-current="page"``).
NAV_SECTIONS = (
    ("programme_overview", "overview"),
    ("group_", "groups"),
    ("concern_", "concerns"),
    ("event_", "events"),
    ("campaign_", "campaigns"),
    ("product_", "campaigns"),
    ("reach_", "campaigns"),
    ("grants_", "grants"),
    ("grant_", "grants"),
    ("call_", "grants"),
    ("application_", "grants"),
    ("review_", "grants"),
    ("tranche_", "grants"),
    ("report_", "grants"),
    ("person_", "people"),
    ("people_", "people"),
    ("programme_balance", "balance"),
    ("referral_", "referrals"),
    ("user_", "users"),
    ("programme_", "settings"),
    ("audit_", "audit"),
    ("place_", "places"),
    ("account_", "account"),
    ("api_tokens", "account"),
    ("mfa_", "account"),
)


def _section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    name = (match.url_name or "") if match else ""
    return next((section for prefix, section in NAV_SECTIONS if name.startswith(prefix)), "")


def programme_nav(request: HttpRequest) -> dict[str, Any]:
    """The navigation of the user's programme on pages outside it (account pages): the programme
    they last opened, or their only one; and which navigation item is the current page."""
    context: dict[str, Any] = {"nav_current": _section(request)}
    programme = getattr(request, "programme", None)
    user = getattr(request, "user", None)
    if programme is not None:
        if hasattr(request, "session") and request.session.get(SESSION_PROGRAMME) != programme.code:
            request.session[SESSION_PROGRAMME] = programme.code
        return context
    if user is None or not user.is_authenticated:
        return context
    from hamkori.access.policy import role_in
    from hamkori.programmes.models import Programme

    visible = Programme.objects.visible_to(user)
    code = request.session.get(SESSION_PROGRAMME) if hasattr(request, "session") else None
    chosen = visible.filter(code=code).first() if code else None
    if chosen is None:
        first_two = list(visible[:2])
        chosen = first_two[0] if len(first_two) == 1 else None
    if chosen is not None:
        context.update(current_programme=chosen, current_role=role_in(user, chosen))
    return context
