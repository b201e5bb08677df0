"""What working groups put on the programme's home page (registered in ``GroupsConfig.ready``).

* Field roles (admin, staff, partner): one item per group they may see that lacks something
  (below the minimum share of women, a required sector missing, no young people, too few or no
  members), in the words of the balance panel, linking to the group.
* A group member: their own groups' balance (the group page's panel).
* A donor: results under disclosure control (members by district x sex as of the reporting date,
  active groups by district, the share of women) and the aggregate exports.

Each source runs a fixed number of queries, whatever the number of groups.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hamkori.access.policy import decide, grant_in, place_q
from hamkori.core.disclosure import DisclosureError, SafeSeries, SafeTable, protect_series
from hamkori.groups.balance import balance_by_group, district_rows, protected_tables, reporting_date
from hamkori.groups.models import WorkingGroup
from hamkori.programmes.home import TODO, HomeItem, HomePanel

#: At most this many groups are listed one by one; the rest are one line linking to the group list.
MAX_GROUP_ITEMS = 8


def _open_groups(user: Any, programme: Any) -> Any:
    return (
        WorkingGroup.objects.visible_to(user)
        .filter(programme=programme)
        .exclude(status=WorkingGroup.Status.CLOSED)
        .select_related("district")
        .order_by("district__path", "name", "pk")
    )


def group_items(user: Any, programme: Any) -> list[HomeItem]:
    """Groups below their minimums, for those who run the groups (scoped: a partner, her districts)."""
    if not decide(user, "workinggroup.balance_detail", programme):
        return []
    groups = list(_open_groups(user, programme))
    balances = balance_by_group(programme, groups, timezone.localdate())
    short = []
    for group in groups:
        balance = balances[group.pk]
        if balance.members == 0:
            detail: tuple[str, ...] = (_("no members yet"),)
        else:
            detail = tuple(balance.issues())
        if detail:
            short.append((not balance.meets_minimums, group, detail))
    short.sort(key=lambda entry: not entry[0])  # below the minimums first, else in the list's order
    code = programme.code
    items = [
        HomeItem(
            priority=20 if below else 30,
            text=_("%(group)s lacks:") % {"group": group.name},
            url=reverse("group_detail", args=[code, group.pk]),
            kind=TODO,
            details=detail,
        )
        for below, group, detail in short[:MAX_GROUP_ITEMS]
    ]
    if len(short) > MAX_GROUP_ITEMS:
        more = len(short) - MAX_GROUP_ITEMS
        items.append(
            HomeItem(
                priority=31,
                text=ngettext(
                    "%(n)s more group lacks members of some kind",
                    "%(n)s more groups lack members of some kind",
                    more,
                )
                % {"n": more},
                url=reverse("group_list", args=[code]),
            )
        )
    return items


def member_panels(user: Any, programme: Any) -> list[HomePanel]:
    """A group member (who may see groups, but not the field's detail): their own groups' balance."""
    if decide(user, "workinggroup.balance_detail", programme) or not decide(user, "workinggroup.view", programme):
        return []
    groups = list(_open_groups(user, programme))
    on = timezone.localdate()
    balances = balance_by_group(programme, groups, on)
    return [
        HomePanel(
            priority=10,
            template="groups/_home_member.html",
            context={"member_groups": [(g, balances[g.pk]) for g in groups], "on": on},
        )
    ]


def _active_groups_by_district(groups: list[WorkingGroup]) -> SafeSeries | None:
    active = sorted((g for g in groups if g.status == WorkingGroup.Status.ACTIVE), key=lambda g: g.district.path)
    counts: dict[str, int] = {}
    for group in active:
        counts[group.district.name] = counts.get(group.district.name, 0) + 1
    try:
        return protect_series(counts) if counts else None
    except DisclosureError:
        return None


def _women_share(table: SafeTable | None) -> int | None:
    """The share of women, only when both published totals give it (never from hidden cells)."""
    if table is None or table.grand_total is None:
        return None
    women, everyone = table.column_totals[0], table.grand_total
    if women.suppressed or everyone.suppressed or not everyone.value:
        return None
    return round(100 * (women.value or 0) / everyone.value)


def donor_panels(user: Any, programme: Any) -> list[HomePanel]:
    """A donor's results: protected counts as of the last reporting date, and the exports."""
    if not decide(user, "workinggroup.view_results", programme):
        return []
    today = timezone.localdate()
    on = reporting_date(programme, today, today)
    groups = WorkingGroup.objects.filter(programme=programme).exclude(status=WorkingGroup.Status.CLOSED)
    grant = grant_in(user, programme)
    if grant is None or not grant.whole_programme:
        groups = groups.filter(place_q("district", grant.place_paths if grant is not None else ()))
    group_list = list(groups.select_related("district"))
    rows, _total = district_rows(programme, group_list, on)
    tables = protected_tables(rows)
    code = programme.code
    exports = []
    if decide(user, "programme.export", programme):
        exports = [
            (
                _("People by district and sex"),
                reverse("people_export", args=[code, "xlsx"]),
                reverse("people_export", args=[code, "csv"]),
            ),
            (
                _("Working-group members by district and sex"),
                reverse("groups_export", args=[code, "xlsx"]),
                reverse("groups_export", args=[code, "csv"]),
            ),
        ]
    return [
        HomePanel(
            priority=10,
            template="groups/_home_donor.html",
            context={
                "results_on": on,
                "members_table": tables["safe"],
                "members_withheld": tables["withheld"],
                "women_share": _women_share(tables["safe"]),
                "active_groups": _active_groups_by_district(group_list),
                "exports": exports,
                "balance_url": reverse("programme_balance", args=[code]),
            },
        )
    ]
