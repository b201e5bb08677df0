"""Merging two records of one person: the steps other apps contribute.

``people`` is a leaf: it does not know which apps hold records about a person (group memberships,
attendance, concerns, grants). Each such app registers a merge step from its ``AppConfig.ready``::

    from hamkori.people.merging import register_merge_step

    def merge_memberships(*, actor, keep, drop) -> dict[str, object]:
        ...  # move drop's rows to keep, resolving clashes
        return {"memberships": moved}

    register_merge_step(merge_memberships)

:func:`hamkori.people.services.person_merge` calls every step inside its transaction (after checking
the merge is allowed, before moving consents and erasing ``drop``'s personal data), in the order they
were registered, and adds what each returns to the ``person.merge`` audit event's summary. A step
raises ``ValidationError`` to refuse the merge: the whole merge rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from hamkori.people.models import Person


class MergeStep(Protocol):
    def __call__(self, *, actor: Any, keep: Person, drop: Person) -> Mapping[str, Any] | None: ...


_steps: list[MergeStep] = []


def register_merge_step(step: MergeStep) -> MergeStep:
    """Add ``step`` to every merge (once: registering the same function again does nothing).
    Returns ``step``, so it can be used as a decorator."""
    if step not in _steps:
        _steps.append(step)
    return step


def merge_steps() -> list[MergeStep]:
    return list(_steps)


def run_merge_steps(*, actor: Any, keep: Person, drop: Person) -> dict[str, Any]:
    """Run the registered steps; their summaries, merged, for the audit event."""
    summary: dict[str, Any] = {}
    for step in _steps:
        summary.update(step(actor=actor, keep=keep, drop=drop) or {})
    return summary
