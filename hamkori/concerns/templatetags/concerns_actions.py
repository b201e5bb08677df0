"""Template helpers of the action plan: ``{% action_plan_for concern as plan %}`` (what the plan section
shows to the signed-in user) and ``{{ pk|concern_href:code }}`` (the concern's page)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from hamkori.concerns.plan import concern_href as _concern_href
from hamkori.concerns.plan import plan_for

register = template.Library()


@register.simple_tag(takes_context=True)
def action_plan_for(context: Any, concern: Any) -> dict[str, Any]:
    """The plan of ``concern`` for the request's user; forms that came back with errors are taken from
    ``plan_bound`` in the context (the plan's own pages set it)."""
    user = getattr(context.get("request"), "user", None) or context.get("user")
    return plan_for(user, concern, context.get("plan_bound"))


@register.filter
def concern_href(pk: Any, code: str) -> str:
    return _concern_href(code, int(pk))


@register.filter
def days_late(due_on: Any) -> int:
    """Whole days since ``due_on`` (the overdue flag says "overdue by 4 days", not hours)."""
    return (timezone.localdate() - due_on).days
