from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, get_for_user, grant_in, place_q, require
from hamkori.core.roles import LEAD_ROLES
from hamkori.groups import services
from hamkori.groups.balance import (
    balance_by_group,
    district_rows,
    history,
    policies_for,
    policy_for,
    protected_tables,
    reporting_date,
    reporting_dates,
    required_sectors,
)
from hamkori.groups.forms import BalancePolicyForm, EndMembershipForm, GroupForm, MembershipForm, StatusForm
from hamkori.groups.models import Membership, WorkingGroup, current_q
from hamkori.groups.panels import group_panels
from hamkori.kit.pages import errors_to_form, form_then_service
from hamkori.people.models import Person
from hamkori.people.selectors import names_for
from hamkori.people.views import person_create_page, person_fields, picker_context
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

PAGE_SIZE = 50


def as_of(request: HttpRequest) -> dt.date:
    """The date asked for (``?on=YYYY-MM-DD``), else today. A date that is not one (``2019-02-30``,
    ``yesterday``) answers today, with a message saying so."""
    raw = request.GET.get("on", "").strip()
    if raw:
        try:
            day = parse_date(raw)
        except ValueError:  # well formed but impossible, e.g. 30 February
            day = None
        if day is not None:
            return day
        messages.error(
            request,
            _("“%(value)s” is not a valid date (year-month-day): showing today instead.") % {"value": raw[:20]},
        )
    return timezone.localdate()


def _group(request: ProgrammeRequest, pk: int, action: str = "view") -> WorkingGroup:
    return get_for_user(request.user, WorkingGroup, action, pk=pk, programme=request.programme)


@programme_view(action="workinggroup.view")
def group_list(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    on = as_of(request)
    groups = (
        WorkingGroup.objects.visible_to(request.user)
        .filter(programme=programme)
        .select_related("district", "host_organisation")
    )
    filters = {k: request.GET.get(k, "").strip()[:40] for k in ("district", "kind", "status")}
    if filters["district"]:
        groups = groups.filter(district__code=filters["district"])
    if filters["kind"] in WorkingGroup.Kind.values:
        groups = groups.filter(kind=filters["kind"])
    if filters["status"] in WorkingGroup.Status.values:
        groups = groups.filter(status=filters["status"])
    page = Paginator(groups.order_by("district__path", "name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    group_rows = list(page.object_list)
    balances = balance_by_group(programme, group_rows, on)
    return render(
        request,
        "groups/list.html",
        {
            "rows": [(g, balances[g.pk]) for g in group_rows],
            "page": page,
            "params": {**filters, "on": on.isoformat()},
            "filters": filters,
            "on": on,
            "districts": [loc.place for loc in programme.locations.select_related("place")],
            "kinds": WorkingGroup.Kind.choices,
            "statuses": WorkingGroup.Status.choices,
            "may_create": bool(decide(request.user, "workinggroup.change", programme)),
        },
    )


@programme_view(action="workinggroup.change")
def group_create(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    require(request.user, "workinggroup.change", programme)
    form = GroupForm(request.POST or None, programme=programme, user=request.user)
    if request.method == "POST" and (
        done := form_then_service(
            form, lambda data: services.group_create(actor=request.user, programme=programme, **data)
        )
    ):
        messages.success(request, _("The group was set up. Now add its members."))
        return redirect("group_detail", programme.code, done.value.pk)
    return render(request, "groups/form.html", {"form": form})


@programme_view(action="workinggroup.change")
def group_edit(request: ProgrammeRequest, pk: int) -> HttpResponse:
    group = _group(request, pk, "change")
    form = GroupForm(
        request.POST or None,
        programme=group.programme,
        user=request.user,
        initial={
            "name": group.name,
            "kind": group.kind,
            "district": group.district_id,
            "host_organisation": group.host_organisation_id,
        },
    )
    if request.method == "POST" and form_then_service(
        form, lambda data: services.group_update(actor=request.user, group=group, **data)
    ):
        return redirect("group_detail", group.programme.code, group.pk)
    return render(request, "groups/form.html", {"form": form, "group": group})


def _person_label(user: Any, person: Person, purpose: str) -> str:
    """ "Зарина Мирзоева (P-000123)" when ``user`` may see the name (audited), else "P-000123"."""
    name = names_for(user, [person], purpose).get(person.pk)
    return f"{name} ({person.code})" if name else person.code


def _ended(request: ProgrammeRequest, group: WorkingGroup) -> dict[str, Any] | None:
    """The membership just ended (``?ended=<id>``, where ending redirects to): what to say, and
    whether it can still be undone."""
    raw = request.GET.get("ended", "")
    membership = (
        Membership.objects.filter(group=group, pk=int(raw), left_on__isnull=False).select_related("person").first()
        if raw.isdigit() and len(raw) < 12
        else None
    )
    if membership is None or membership.left_on is None:
        return None
    return {
        "membership": membership,
        "text": _("%(person)s left %(group)s on %(day)s.")
        % {
            "person": _person_label(request.user, membership.person, "membership ended"),
            "group": group.name,
            "day": date_format(membership.left_on, "SHORT_DATE_FORMAT"),
        },
        "may_undo": services.may_reopen(membership),
    }


MEMBERS_PER_PAGE = 50


def _detail_context(request: HttpRequest, group: WorkingGroup, **extra: Any) -> dict[str, Any]:
    on = as_of(request)
    show_past = request.GET.get("past") == "1"
    memberships = group.memberships.select_related("person", "sector").order_by("role", "joined_on")
    if not show_past:
        memberships = memberships.filter(current_q(on))
    # A page of members at a time, like the people list (a national-scale group has hundreds).
    member_page = Paginator(memberships, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    members = list(member_page.object_list)
    may_change = bool(decide(request.user, "workinggroup.change", group))
    people = [m.person for m in members]
    points = history(group, on)
    return {
        "group": group,
        "on": on,
        "show_past": show_past,
        "memberships": members,
        "member_page": member_page,
        "member_params": {key: value for key in ("on", "past") if (value := request.GET.get(key, "")[:20])},
        "names": names_for(request.user, people, "group members") if may_change else {},
        "balance": points[-1][1],  # the history ends with the balance on ``on``
        "history": points,
        "status_changes": group.status_changes.select_related("changed_by"),
        "next_statuses": [(s, WorkingGroup.Status(s).label) for s in WorkingGroup.TRANSITIONS[group.status]],
        "may_change": may_change,
        "may_justify": bool(decide(request.user, "workinggroup.justify_activation", group)),
        "member_form": MembershipForm(),
        "status_form": StatusForm(),
        "picker": picker_context(request, excluding={"group": group.pk}, label=_("Who joins?"))
        if may_change and group.status != WorkingGroup.Status.CLOSED
        else None,
        "ended": _ended(request, group) if may_change else None,
        "panels": [
            render_to_string(panel.template, {**panel.context, "group": group}, request=request)
            for panel in group_panels(request.user, group)
        ],
    } | extra


@programme_view(action="workinggroup.view")
def group_detail(request: ProgrammeRequest, pk: int) -> HttpResponse:
    group = _group(request, pk)
    return render(request, "groups/detail.html", _detail_context(request, group))


@require_POST
@programme_view(action="workinggroup.change")
def group_status(request: ProgrammeRequest, pk: int) -> HttpResponse:
    group = _group(request, pk, "change")
    form = StatusForm(request.POST)
    if form_then_service(form, lambda data: services.group_transition(actor=request.user, group=group, **data)):
        messages.success(
            request,
            _("The group is now %(status)s.")
            % {"status": WorkingGroup.Status(form.cleaned_data["to_status"]).label.lower()},
        )
        return redirect("group_detail", group.programme.code, group.pk)
    return render(request, "groups/detail.html", _detail_context(request, group, status_form=form), status=422)


@programme_view(action="person.create")
def group_person_create(request: ProgrammeRequest, pk: int) -> HttpResponse:
    """Register a new person and add them to the group from today (one service: all or nothing)."""
    programme = request.programme
    require(request.user, "person.create", programme)
    group = get_for_user(request.user, WorkingGroup, "change", pk=pk, programme=programme)
    return person_create_page(
        request,
        save=lambda data: services.person_register_into_group(
            actor=request.user, group=group, joined_on=timezone.localdate(), **person_fields(data)
        ),
        done=lambda _person: redirect("group_detail", programme.code, group.pk),
        initial={"place": group.district_id},
        context={"group": group},
    )


@require_POST
@programme_view(action="workinggroup.change")
def membership_add(request: ProgrammeRequest, pk: int) -> HttpResponse:
    group = _group(request, pk, "change")
    form = MembershipForm(request.POST)

    def add(data: dict[str, Any]) -> Person | None:
        person = (
            Person.objects.visible_to(request.user)
            .filter(programme=group.programme, code=data["person"].strip().upper(), merged_into__isnull=True)
            .first()
        )
        if person is None:
            form.add_error("person", _("No person with this code in your scope."))
            return None
        services.membership_add(
            actor=request.user,
            group=group,
            person=person,
            role=data["role"],
            sector=data["sector"],
            joined_on=data["joined_on"],
            left_on=data["left_on"],
        )
        return person

    if (done := form_then_service(form, add)) and done.value is not None:
        messages.success(
            request,
            _("%(person)s joined the group.") % {"person": _person_label(request.user, done.value, "membership added")},
        )
        return redirect("group_detail", group.programme.code, group.pk)
    picker = picker_context(
        request, excluding={"group": group.pk}, selected=str(request.POST.get("person", "")), label=_("Who joins?")
    )
    context = _detail_context(request, group, member_form=form, picker=picker)
    return render(request, "groups/detail.html", context, status=422)


@programme_view(action="workinggroup.change")
def membership_end(request: ProgrammeRequest, pk: int, membership_id: int) -> HttpResponse:
    """End a membership: a confirmation page (who, which group, the date: today or a day before,
    not before joining), then POST; the group page then says who left and offers Undo."""
    group = _group(request, pk, "change")
    membership = Membership.objects.filter(group=group, pk=membership_id).select_related("person", "group").first()
    if membership is None:
        raise Http404
    form = EndMembershipForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form_then_service(
        form,
        lambda data: services.membership_end(actor=request.user, membership=membership, left_on=data["left_on"]),
    ):
        url = reverse("group_detail", args=[group.programme.code, group.pk])
        return redirect(f"{url}?ended={membership.pk}#ended")
    context = {
        "group": group,
        "membership": membership,
        "person_label": _person_label(request.user, membership.person, "end membership"),
        "form": form,
    }
    return render(request, "groups/end_membership.html", context, status=422 if form.errors else 200)


@require_POST
@programme_view(action="workinggroup.change")
def membership_reopen(request: ProgrammeRequest, pk: int, membership_id: int) -> HttpResponse:
    """Undo ending a membership (see :func:`services.membership_reopen` for when it is allowed)."""
    group = _group(request, pk, "change")
    membership = Membership.objects.filter(group=group, pk=membership_id).select_related("person", "group").first()
    if membership is None:
        raise Http404
    try:
        services.membership_reopen(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Undone: %(person)s is a member of the group again.")
            % {"person": _person_label(request.user, membership.person, "membership reopened")},
        )
    return redirect("group_detail", group.programme.code, group.pk)


def _balance_date(request: HttpRequest, programme: Any) -> tuple[dt.date, list[dt.date] | None]:
    """The date of the balance page, and the reporting dates offered (None: any date).

    The lead organisation chooses any date. Everyone else sees counts as of the programme's
    reporting dates (quarter ends) only: two nearby dates would otherwise be subtracted to single
    out the person who joined or left in between. Another date answers the reporting date before it.
    """
    wanted = as_of(request)
    if decide(request.user, "workinggroup.balance_any_date", programme):
        return wanted, None
    today = timezone.localdate()
    dates = reporting_dates(programme, today)
    on = reporting_date(programme, wanted, today)
    if request.GET.get("on") and on != wanted and parse_iso(request.GET["on"]) is not None:
        messages.info(
            request,
            _("Counts are published as of reporting dates (quarter ends) only: showing %(day)s.")
            % {"day": date_format(on, "DATE_FORMAT")},
        )
    return on, dates


def parse_iso(value: str) -> dt.date | None:
    try:
        return parse_date(value.strip())
    except ValueError:
        return None


@programme_view(action="workinggroup.view_balance")
def programme_balance(request: ProgrammeRequest) -> HttpResponse:
    """Representation across districts and the programme (counts of members, no individuals).

    Each role sees the districts of its grant (the lead organisation and donors: the whole
    programme); roles outside the field see protected counts only, as of reporting dates."""
    programme = request.programme
    on, reporting = _balance_date(request, programme)
    groups = WorkingGroup.objects.filter(programme=programme).exclude(status=WorkingGroup.Status.CLOSED)
    grant = grant_in(request.user, programme)
    if request.role not in LEAD_ROLES and not (grant is not None and grant.whole_programme):
        groups = groups.filter(place_q("district", grant.place_paths if grant is not None else ()))
    rows, total = district_rows(programme, groups.select_related("district"), on)
    protected = not decide(request.user, "workinggroup.balance_detail", programme)
    return render(
        request,
        "groups/balance.html",
        {
            "on": on,
            "reporting_dates": reporting,
            "rows": [] if protected else rows,
            "total": None if protected else total,
            "policy": policy_for(programme),
            "protected": protected,
            "may_edit_policy": bool(decide(request.user, "balancepolicy.change", programme)),
        }
        | (protected_tables(rows) if protected else {}),
    )


@programme_view(action="balancepolicy.change")
def balance_policy(request: ProgrammeRequest) -> HttpResponse:
    """The representation rules, per kind of group (``?kind=``; none: the programme-wide rules)."""
    programme = request.programme
    require(request.user, "balancepolicy.change", programme)
    kind = request.GET.get("kind", "")
    if kind and kind not in WorkingGroup.Kind.values:
        raise Http404
    policies = policies_for(programme)
    policy = policies.get(kind) or policies[""]
    form = BalancePolicyForm(
        request.POST or None,
        kind=kind,
        initial={
            "follow_default": kind not in policies,
            "women_target_percent": policy.women_target_percent,
            "women_minimum_percent": policy.women_minimum_percent,
            "youth_max_age": policy.youth_max_age,
            "minimum_members": policy.minimum_members,
            "required_sectors": required_sectors(policy),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if data.pop("follow_default", False):
                services.balance_policy_remove(actor=request.user, programme=programme, kind=kind)
            else:
                services.balance_policy_update(actor=request.user, programme=programme, kind=kind, **data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("The representation rules were saved."))
            return redirect("programme_balance", programme.code)
    kinds = [
        ("", _("All kinds of group"), True),
        *((k, label, k in policies) for k, label in WorkingGroup.Kind.choices),
    ]
    return render(request, "groups/policy.html", {"form": form, "kind": kind, "kinds": kinds})
