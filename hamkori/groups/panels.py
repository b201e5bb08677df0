"""Sections that apps above ``groups`` add to a working group's page (``groups`` never imports them,
ADR 0007), like ``programmes.home.register_home_panels`` for the home page.

``register_group_panel(fn)``, ``fn(user, group) -> list[GroupPanel]``, from the app's
``AppConfig.ready`` (concerns: what the group promised and what is late). The group page renders each
panel's ``template`` with its ``context`` (plus the page's request context and ``group``). A source
decides itself, through the registry and ``visible_to``, what the user may see; it keeps a fixed number
of queries and returns ``[]`` when it has nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GroupPanel", "group_panels", "register_group_panel"]


@dataclass(frozen=True)
class GroupPanel:
    priority: int
    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelSource = Callable[[Any, Any], list[GroupPanel]]
_SOURCES: list[PanelSource] = []


def register_group_panel(fn: PanelSource) -> PanelSource:
    """Register ``fn(user, group) -> list[GroupPanel]``; usable as a decorator. Idempotent."""
    if fn not in _SOURCES:
        _SOURCES.append(fn)
    return fn


def group_panels(user: Any, group: Any) -> list[GroupPanel]:
    panels = [panel for source in _SOURCES for panel in source(user, group)]
    return sorted(panels, key=lambda panel: panel.priority)
