"""What ``groups`` adds to ``people`` (a leaf that does not import it): the people list's "group"
filter and "Groups" column, and the groups' step of merging two records of one person.
Registered from :meth:`hamkori.groups.apps.GroupsConfig.ready`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hamkori.groups.models import Membership, WorkingGroup
from hamkori.groups.services import memberships_merge
from hamkori.people.merging import register_merge_step
from hamkori.people.models import Person
from hamkori.people.selectors import register_person_column, register_person_filter
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

MAX_GROUP_CHOICES = 100


def group_choices(user: Any, programme: Programme, filters: Mapping[str, Any]) -> list[WorkingGroup] | None:
    """Groups for the list's group filter: those of the chosen district, or all when there are few;
    None when there are too many to list (choose a district first)."""
    groups = WorkingGroup.objects.visible_to(user).filter(programme=programme).order_by("name").only("pk", "name")
    if filters.get("district"):
        groups = groups.filter(
            district__path__startswith=Place.objects.filter(code=filters["district"]).values("path")[:1]
        )
    choices = list(groups[: MAX_GROUP_CHOICES + 1])
    return None if len(choices) > MAX_GROUP_CHOICES else choices


def _group_options(*, actor: Any, programme: Programme, filters: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    groups = group_choices(actor, programme, filters)
    return None if groups is None else [(str(g.pk), g.name) for g in groups]


def filter_by_group(
    *, actor: Any, programme: Programme, queryset: QuerySet[Person], value: Any, today: dt.date
) -> QuerySet[Person]:
    """The current members (on ``today``) of the group ``value`` (an id), if ``actor`` may see it."""
    if not str(value or "").isdigit():
        return queryset
    groups = WorkingGroup.objects.visible_to(actor).filter(pk=int(value))
    current = Membership.objects.current(today).filter(group__in=groups).values("person_id")
    return queryset.filter(pk__in=current)


def current_groups(*, actor: Any, programme: Programme, people: list[Person], today: dt.date) -> dict[int, str]:
    """{person pk: "Group A, Group B"}: the groups each of ``people`` is a current member of."""
    names: dict[int, list[str]] = {}
    for m in Membership.objects.current(today).filter(person__in=people).select_related("group"):
        names.setdefault(m.person_id, []).append(m.group.name)
    return {pk: ", ".join(groups) for pk, groups in names.items()}


def register() -> None:
    register_person_filter(
        "group", _("Group"), filter_by_group, _group_options, hint=_("Choose a district to filter by group.")
    )
    register_person_column("groups", _("Groups"), current_groups)
    register_merge_step(memberships_merge)
