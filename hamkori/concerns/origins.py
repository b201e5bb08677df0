"""Where an action without a concern comes from (a commitment made at a dialogue, in the events app),
so that the action's page, the overdue list and the promises can say it and link back.

``concerns`` never imports the apps above it (docs/adr/0007-layers.md): they register a source from their
``AppConfig.ready``: ``register_action_origin(fn)``, ``fn(user, actions) -> {action_id: ActionOrigin}``,
called with the concern-less actions of one page. A source decides through the scopes what the user may
see (``url`` and ``title`` empty when the user may not see the origin), and keeps a fixed number of
queries whatever the number of actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["ActionOrigin", "action_origins", "register_action_origin"]


@dataclass(frozen=True)
class ActionOrigin:
    #: What the action is, in words ("Commitment made at"), translated by the source.
    label: str
    #: The origin's title ("Dialogue with the district"), empty when the user may not see it.
    title: str = ""
    #: Its page, empty when the user may not see it.
    url: str = ""
    #: A date or other short detail shown after the title (already formatted), may be empty.
    detail: str = ""


OriginSource = Callable[[Any, list[Any]], dict[int, ActionOrigin]]
_SOURCES: list[OriginSource] = []


def register_action_origin(fn: OriginSource) -> OriginSource:
    """Register ``fn(user, actions) -> {action_id: ActionOrigin}``; usable as a decorator. Idempotent."""
    if fn not in _SOURCES:
        _SOURCES.append(fn)
    return fn


def action_origins(user: Any, actions: Iterable[Any]) -> dict[int, ActionOrigin]:
    """The origins of the given actions that have no concern (no query when there are none)."""
    loose = [a for a in actions if a.concern_id is None]
    found: dict[int, ActionOrigin] = {}
    if not loose:
        return found
    for source in _SOURCES:
        found.update(source(user, loose))
    return found
