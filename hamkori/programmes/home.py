"""The programme's home page (its overview) says what needs doing, for the user's role.

Apps above ``programmes`` (people, groups, later concerns, events, grants) contribute to it by
registering functions from their ``AppConfig.ready``; ``programmes`` never imports them (ADR 0007):

* :func:`register_home_items` ``fn(user, programme) -> list[HomeItem]``: entries of the "to do"
  panel at the top of the page (a group that lacks women, people without consent; later overdue
  actions, referrals awaiting an answer, reports due). Items are shown by ``priority``, lowest first.
* :func:`register_home_panels` ``fn(user, programme) -> list[HomePanel]``: a section of its own
  under the panel (a donor's protected results, a group member's balance), rendered from a template.

A contributor decides itself, through the permission registry and ``visible_to``, what the user may
see; it must keep a fixed number of queries whatever the number of rows (the page's query count is
tested), and return ``[]`` when it has nothing to say to that user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DONE",
    "INFO",
    "TODO",
    "HomeItem",
    "HomePanel",
    "home_items",
    "home_panels",
    "register_home_items",
    "register_home_panels",
]

#: ``HomeItem.kind``: something to do, something to know, something already in order.
TODO = "todo"
INFO = "info"
DONE = "done"


@dataclass(frozen=True)
class HomeItem:
    """One line of the "to do" panel.

    ``text`` is translated by the contributor; ``details`` (translated too) are listed under it, e.g.
    what a group lacks; ``url`` is where to act (required: every item leads somewhere useful);
    ``count`` is shown as a badge when given. Lower ``priority`` comes first (0-19: urgent, such as
    overdue actions; 20-39: the field's own work, such as unbalanced groups; 40+: for information).
    """

    priority: int
    text: str
    url: str
    count: int | None = None
    kind: str = TODO
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class HomePanel:
    """A section of the home page rendered from ``template`` with ``context`` (plus the page's)."""

    priority: int
    template: str
    context: dict[str, Any] = field(default_factory=dict)


ItemSource = Callable[[Any, Any], list[HomeItem]]
PanelSource = Callable[[Any, Any], list[HomePanel]]

_ITEM_SOURCES: list[ItemSource] = []
_PANEL_SOURCES: list[PanelSource] = []


def register_home_items(fn: ItemSource) -> ItemSource:
    """Register ``fn(user, programme) -> list[HomeItem]``; usable as a decorator. Idempotent."""
    if fn not in _ITEM_SOURCES:
        _ITEM_SOURCES.append(fn)
    return fn


def register_home_panels(fn: PanelSource) -> PanelSource:
    """Register ``fn(user, programme) -> list[HomePanel]``; usable as a decorator. Idempotent."""
    if fn not in _PANEL_SOURCES:
        _PANEL_SOURCES.append(fn)
    return fn


def home_items(user: Any, programme: Any) -> list[HomeItem]:
    """Every registered item for this user, by priority (then in registration order)."""
    items = [item for source in _ITEM_SOURCES for item in source(user, programme)]
    return sorted(items, key=lambda item: item.priority)


def home_panels(user: Any, programme: Any) -> list[HomePanel]:
    panels = [panel for source in _PANEL_SOURCES for panel in source(user, programme)]
    return sorted(panels, key=lambda panel: panel.priority)
