"""Sections of an application's page and of a grant's page, one per module of this app (reviews, screening
and decision; the grant's money; campaign products and reach), so each module renders its own part and the
page stays one template with a loop (like ``events.panels``).

``register_application_panel(fn)``, ``fn(user, application) -> list[Panel]``, and ``register_grant_panel(fn)``,
``fn(user, grant) -> list[Panel]``, from ``GrantsConfig.ready``. The page renders each panel's ``template``
with its ``context`` plus the request context and ``application`` / ``grant``. A source decides through the
registry what the user may see, keeps a fixed number of queries and returns ``[]`` when it has nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hamkori.events.panels import EventPanel as Panel

__all__ = ["Panel", "application_panels", "grant_panels", "register_application_panel", "register_grant_panel"]

PanelSource = Callable[[Any, Any], list[Panel]]
_APPLICATION: list[PanelSource] = []
_GRANT: list[PanelSource] = []


def register_application_panel(fn: PanelSource) -> PanelSource:
    """Register ``fn(user, application) -> list[Panel]``; usable as a decorator. Idempotent."""
    if fn not in _APPLICATION:
        _APPLICATION.append(fn)
    return fn


def register_grant_panel(fn: PanelSource) -> PanelSource:
    """Register ``fn(user, grant) -> list[Panel]``; usable as a decorator. Idempotent."""
    if fn not in _GRANT:
        _GRANT.append(fn)
    return fn


def application_panels(user: Any, application: Any) -> list[Panel]:
    return sorted((p for source in _APPLICATION for p in source(user, application)), key=lambda p: p.priority)


def grant_panels(user: Any, grant: Any) -> list[Panel]:
    return sorted((p for source in _GRANT for p in source(user, grant)), key=lambda p: p.priority)
