"""The people import's membership step: "add everyone to this working group".

Registered on the people import by :class:`hamkori.groups.apps.GroupsConfig` (people is a leaf and
never imports groups). It brings the membership columns (role, sector represented, joined, left),
the import form's ``group`` field, the row checks of those columns, and the write: after each
person is created, :func:`membership_add` adds them to the group, in the import's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hamkori.access.policy import decide
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.groups.services import membership_add
from hamkori.kit.imports import Column, RowContext
from hamkori.kit.spreadsheets import FileRejected, choice_map, norm, parse_date
from hamkori.people.models import Person, Sector
from hamkori.programmes.models import Programme

COLUMNS: tuple[Column, ...] = (
    Column(
        "member_role",
        gettext_lazy("role"),
        gettext_lazy("Only with a target working group: chair, secretary or member (the default)."),
    ),
    Column(
        "sector_represented",
        gettext_lazy("sector represented"),
        gettext_lazy("Only with a target working group: the one sector the person represents in it."),
    ),
    Column(
        "joined",
        gettext_lazy("joined"),
        gettext_lazy("Required with a target working group: the date the person joined (YYYY-MM-DD)."),
    ),
    Column(
        "left",
        gettext_lazy("left"),
        gettext_lazy("Only with a target working group, if the person has left: the date (YYYY-MM-DD)."),
    ),
)


@dataclass
class MembershipRow:
    role: str = Membership.Role.MEMBER
    sector: Sector | None = None
    joined: dt.date | None = None
    left: dt.date | None = None


class MembershipStep:
    """The :class:`hamkori.people.importers.ImportStep` of the groups app."""

    field_name = "group"
    columns = COLUMNS
    aliases = {"joined_on": "joined", "left_on": "left", "role": "member_role"}
    service_fields = {"role": "member_role", "sector": "sector_represented", "joined_on": "joined", "left_on": "left"}

    def form_field(self, user: Any, programme: Programme) -> forms.Field:
        groups = (
            WorkingGroup.objects.visible_to(user)
            .filter(programme=programme)
            .exclude(status=WorkingGroup.Status.CLOSED)
            .select_related("district")
            .order_by("district__path", "name")
        )
        return forms.ModelChoiceField(
            queryset=groups,
            required=False,
            label=gettext_lazy("Add everyone to this working group"),
            empty_label=gettext_lazy("(no group)"),
            help_text=gettext_lazy(
                "Optional. The membership columns (role, sector represented, joined, left) need it."
            ),
        )

    def preflight(self, actor: Any, programme: Programme, target: WorkingGroup) -> None:
        if target.programme_id != programme.pk or not decide(actor, "workinggroup.change", target):
            raise FileRejected(_("You cannot add members to this working group."))

    def row_checker(
        self, *, target: WorkingGroup | None, sectors: dict[str, Sector], today: dt.date
    ) -> Callable[[RowContext], MembershipRow]:
        roles = choice_map(Membership.Role.choices)

        def check(ctx: RowContext) -> MembershipRow:
            row = MembershipRow()
            text, ok, error = ctx.text, ctx.ok, ctx.error
            if target is None:
                for column in COLUMNS:
                    if text(column.key):
                        error(
                            column.key,
                            _("Choose a target working group to import memberships, or leave this column empty."),
                        )
                return row
            role = text("member_role")
            if ok("member_role") and role:
                if norm(role) in roles:
                    row.role = roles[norm(role)]
                else:
                    error(
                        "member_role", _("Unknown role %(value)s: write chair, secretary or member.") % {"value": role}
                    )
            represented = text("sector_represented")
            if ok("sector_represented") and represented:
                sector = sectors.get(norm(represented))
                if sector is None:
                    error("sector_represented", _("Unknown: %(values)s.") % {"values": represented})
                elif not sector.active:
                    error("sector_represented", _("This sector is no longer in use."))
                else:
                    row.sector = sector
            for key in ("joined", "left"):
                if ok(key) and text(key):
                    try:
                        setattr(row, key, parse_date(ctx.values.get(key)))
                    except ValueError:
                        error(key, _("Write the date as YYYY-MM-DD, for example 2019-03-08."))
            if ok("joined") and not text("joined"):
                error("joined", _("Give the date the person joined the group."))
            if row.joined and row.left and row.left < row.joined:
                error("left", _("A membership cannot end before it starts."))
            if row.joined and row.joined > today + dt.timedelta(days=366):
                error("joined", _("The joining date is too far in the future."))
            return row

        return check

    def conflicts(self, earlier: MembershipRow, later: MembershipRow) -> list[tuple[str, str]]:
        """The same person twice in one file: two memberships of one group must not overlap."""
        if earlier.joined is None or later.joined is None:
            return []
        if (earlier.left is None or later.joined <= earlier.left) and (
            later.left is None or earlier.joined <= later.left
        ):
            return [("joined", _("This membership overlaps the one in row %(row)s."))]
        return []

    def write(self, *, actor: Any, target: WorkingGroup, person: Person, data: MembershipRow) -> None:
        membership_add(
            actor=actor,
            group=target,
            person=person,
            joined_on=cast(dt.date, data.joined),  # checked with the row
            role=data.role,
            sector=data.sector,
            left_on=data.left,
        )

    def audit(self, target: WorkingGroup | None, written: int) -> dict[str, Any]:
        return {"group": target.pk if target else None, "memberships": written}

    def summary(self, target: WorkingGroup, written: int) -> str:
        return ngettext("(%(m)s added to the group %(group)s)", "(%(m)s added to the group %(group)s)", written) % {
            "m": written,
            "group": target.name,
        }

    def help_sections(self) -> list[tuple[str, list[str], list[list[Any]]]]:
        roles = [[str(label), value] for value, label in Membership.Role.choices]
        return [(_("Roles in a working group"), [_("Code")], roles)]
