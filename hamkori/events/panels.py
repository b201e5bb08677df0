"""Sections of an event's page, one per concern of this app (attendance, training scores, commitments,
files), so that each module renders its own part and the page stays one template with a loop
(like ``groups.panels``).

``register_event_panel(fn)``, ``fn(user, event) -> list[EventPanel]``, from ``EventsConfig.ready``. The
event page renders each panel's ``template`` with its ``context`` plus the request context and ``event``.
A source decides through the registry what the user may see, keeps a fixed number of queries and returns
``[]`` when it has nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EventPanel", "event_panels", "register_event_panel"]


@dataclass(frozen=True)
class EventPanel:
    priority: int
    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelSource = Callable[[Any, Any], list[EventPanel]]
_SOURCES: list[PanelSource] = []


def register_event_panel(fn: PanelSource) -> PanelSource:
    """Register ``fn(user, event) -> list[EventPanel]``; usable as a decorator. Idempotent."""
    if fn not in _SOURCES:
        _SOURCES.append(fn)
    return fn


def event_panels(user: Any, event: Any) -> list[EventPanel]:
    panels = [panel for source in _SOURCES for panel in source(user, event)]
    return sorted(panels, key=lambda panel: panel.priority)
