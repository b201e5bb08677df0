"""Every write to working groups and memberships: keyword-only, atomic, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import decide, enforce, grant_in
from hamkori.core import audit
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.groups.balance import balance_of
from hamkori.groups.models import BalancePolicy, Membership, StatusChange, WorkingGroup, memberships_overlap
from hamkori.groups.selectors import host_organisations
from hamkori.orgs.models import Organisation
from hamkori.people.models import Person, Sector
from hamkori.people.services import person_create, place_in_programme, place_in_scope
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

GROUP_FIELDS = ["kind", "name", "district", "host_organisation"]


def _validate_group(
    *,
    actor: Any,
    programme: Programme,
    kind: str,
    name: str,
    district: Place | None,
    host_organisation: Organisation | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in WorkingGroup.Kind.values:
        errors["kind"] = [_("Unknown kind of group.")]
    if not name.strip():
        errors["name"] = [_("Give the group a name.")]
    if district is None or not place_in_programme(programme, district):
        errors["district"] = [_("Choose one of the programme's locations.")]
    elif actor is not None and not place_in_scope(actor, programme, district):
        errors["district"] = [_("You can only set up groups in your own districts.")]
    elif (
        host_organisation is not None
        and not host_organisations(programme, [district]).filter(pk=host_organisation.pk).exists()
    ):
        errors["host_organisation"] = [_("Choose an organisation of the group's district.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def group_create(
    *,
    actor: Any,
    programme: Programme,
    name: str,
    district: Place,
    kind: str = WorkingGroup.Kind.CWG,
    host_organisation: Organisation | None = None,
    owner: Organisation | None = None,
) -> WorkingGroup:
    name = " ".join(name.split())
    _validate_group(
        actor=actor, programme=programme, kind=kind, name=name, district=district, host_organisation=host_organisation
    )
    if WorkingGroup.objects.filter(programme=programme, district=district, name__iexact=name).exists():
        raise ValidationError({"name": [_("This district already has a group of that name.")]})
    grant = grant_in(actor, programme) if actor is not None else None
    if grant is not None and grant.role == Role.PARTNER:
        owner = Organisation.objects.filter(pk=grant.organisation_id or 0).first()
    group = WorkingGroup.objects.create(
        programme=programme, kind=kind, name=name, district=district, host_organisation=host_organisation, owner=owner
    )
    audit.record(
        actor=actor, action="workinggroup.create", obj=group, summary={"district": district.code, "kind": kind}
    )
    return group


@transaction.atomic
def group_update(*, actor: Any, group: WorkingGroup, **values: Any) -> WorkingGroup:
    unknown = set(values) - set(GROUP_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    enforce(actor, "workinggroup.change", group)
    before = audit.snapshot(group, GROUP_FIELDS)
    merged = {**before, **values}
    merged["name"] = " ".join(str(merged["name"]).split())
    _validate_group(
        actor=actor,
        programme=group.programme,
        kind=merged["kind"],
        name=merged["name"],
        district=merged["district"],
        # A host chosen before this rule stays until the host or the district changes.
        host_organisation=merged["host_organisation"]
        if (merged["host_organisation"], merged["district"]) != (before["host_organisation"], before["district"])
        else None,
    )
    for key in GROUP_FIELDS:
        setattr(group, key, merged[key])
    changes = audit.diff(group, GROUP_FIELDS, before)
    if changes:
        group.save()
        audit.record(actor=actor, action="workinggroup.update", obj=group, summary=changes)
    return group


@transaction.atomic
def group_transition(
    *, actor: Any, group: WorkingGroup, to_status: str, justification: str = "", on: dt.date | None = None
) -> WorkingGroup:
    """Move a group along its lifecycle. Activating a group below the programme's minimums needs a
    justification recorded by programme staff."""
    group = WorkingGroup.objects.select_for_update().get(pk=group.pk)
    if to_status not in WorkingGroup.TRANSITIONS.get(group.status, ()):
        raise ValidationError(
            {
                "to_status": [
                    _("A group that is %(from)s cannot become %(to)s.")
                    % {
                        "from": WorkingGroup.Status(group.status).label.lower(),
                        "to": str(dict(WorkingGroup.Status.choices).get(to_status, to_status)).lower(),
                    }
                ]
            }
        )
    justification = justification.strip()
    if to_status == WorkingGroup.Status.ACTIVE:
        balance = balance_of(group, on or timezone.localdate())
        if not balance.meets_minimums:
            if not justification:
                raise ValidationError(
                    {
                        "justification": [
                            _(
                                "This group is below the programme's minimums (%(issues)s). Fix its membership, or let programme staff record why it should start anyway."
                            )
                            % {"issues": "; ".join(balance.issues())}
                        ]
                    }
                )
            if not decide(actor, "workinggroup.justify_activation", group):
                raise ValidationError(
                    {"justification": [_("Only programme staff can activate a group below the minimums.")]}
                )
    StatusChange.objects.create(
        group=group,
        from_status=group.status,
        to_status=to_status,
        changed_by=actor if getattr(actor, "pk", None) else None,
        justification=justification,
    )
    old = group.status
    group.status = to_status
    group.status_changed_at = timezone.now()
    group.save(update_fields=["status", "status_changed_at"])
    audit.record(
        actor=actor,
        action="workinggroup.status",
        obj=group,
        summary={"from": old, "to": to_status, "justified": bool(justification)},
    )
    return group


def _overlapping(
    group: WorkingGroup, person: Person, joined: dt.date, left: dt.date | None, exclude: int | None = None
) -> bool:
    others = Membership.objects.filter(group=group, person=person)
    if exclude:
        others = others.exclude(pk=exclude)
    return any(memberships_overlap(m.joined_on, m.left_on, joined, left) for m in others)


@transaction.atomic
def membership_add(
    *,
    actor: Any,
    group: WorkingGroup,
    person: Person,
    joined_on: dt.date,
    role: str = Membership.Role.MEMBER,
    sector: Sector | None = None,
    left_on: dt.date | None = None,
) -> Membership:
    errors: dict[str, list[str]] = {}
    if person.programme_id != group.programme_id or person.merged_into_id:
        errors["person"] = [_("This person is not in the programme.")]
    if role not in Membership.Role.values:
        errors["role"] = [_("Unknown membership role.")]
    if sector is not None and not sector.active:
        errors["sector"] = [_("This sector is no longer in use.")]
    if left_on is not None and left_on < joined_on:
        errors["left_on"] = [_("A membership cannot end before it starts.")]
    if joined_on > timezone.localdate() + dt.timedelta(days=366):
        errors["joined_on"] = [_("The joining date is too far in the future.")]
    if not errors and _overlapping(group, person, joined_on, left_on):
        errors["person"] = [_("%(code)s is already a member of this group at that time.") % {"code": person.code}]
    if errors:
        raise ValidationError(errors)
    membership = Membership.objects.create(
        group=group, person=person, role=role, sector=sector, joined_on=joined_on, left_on=left_on
    )
    audit.record(
        actor=actor,
        action="membership.add",
        obj=group,
        summary={
            "person": person.code,
            "role": role,
            "sector": sector.code if sector else None,
            "joined_on": joined_on,
            "left_on": left_on,
        },
    )
    return membership


@transaction.atomic
def person_register_into_group(
    *, actor: Any, group: WorkingGroup, joined_on: dt.date, sector: Sector | None = None, **person: Any
) -> Person:
    """Record a new person in ``group``'s programme and make them a member from ``joined_on``, all
    or nothing: if the membership is refused, the person is not recorded either.

    ``person`` are the keywords of :func:`hamkori.people.services.person_create` (but ``actor`` and
    ``programme``). The sector represented defaults to the person's first sector."""
    created = person_create(actor=actor, programme=group.programme, **person)
    if sector is None:
        sector = next(iter(person.get("sectors") or ()), None)
    membership_add(actor=actor, group=group, person=created, joined_on=joined_on, sector=sector)
    return created


@transaction.atomic
def membership_end(*, actor: Any, membership: Membership, left_on: dt.date) -> Membership:
    if left_on < membership.joined_on:
        raise ValidationError({"left_on": [_("A membership cannot end before it starts.")]})
    if _overlapping(membership.group, membership.person, membership.joined_on, left_on, exclude=membership.pk):
        raise ValidationError({"left_on": [_("This would overlap another membership of the same person.")]})
    old = membership.left_on
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])
    audit.record(
        actor=actor,
        action="membership.end",
        obj=membership.group,
        summary={"person": membership.person.code, "membership": membership.pk, "left_on": [old, left_on]},
    )
    return membership


#: How long after ending a membership the ending can be undone (a slip of the thumb, not a way to
#: rewrite history: later, record the membership again from the date the person rejoined).
UNDO_WINDOW = dt.timedelta(minutes=15)


def may_reopen(membership: Membership) -> bool:
    """Whether :func:`membership_reopen` would accept ``membership`` now (for offering "Undo")."""
    return membership.left_on is not None and _last_end_is_recent(membership) and not _reopen_overlaps(membership)


def _last_end_is_recent(membership: Membership) -> bool:
    last = (
        AuditEvent.objects.filter(
            action="membership.end",
            object_id=str(membership.group_id),
            summary__membership=membership.pk,
            outcome=AuditEvent.Outcome.OK,
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return last is not None and timezone.now() - last <= UNDO_WINDOW


def _reopen_overlaps(membership: Membership) -> bool:
    return _overlapping(membership.group, membership.person, membership.joined_on, None, exclude=membership.pk)


@transaction.atomic
def membership_reopen(*, actor: Any, membership: Membership) -> Membership:
    """Undo the ending of ``membership``: it is current again (no ``left_on``).

    Only the last ending, within :data:`UNDO_WINDOW` of it, and only when the reopened membership
    would overlap no other membership of the same person in the group (they rejoined since)."""
    membership = Membership.objects.select_for_update().select_related("group", "person").get(pk=membership.pk)
    enforce(actor, "workinggroup.change", membership.group)
    if membership.left_on is None:
        raise ValidationError(_("This membership has not ended."))
    if not _last_end_is_recent(membership):
        raise ValidationError(
            _("Too late to undo (%(minutes)s minutes). Add the person to the group again instead.")
            % {"minutes": int(UNDO_WINDOW.total_seconds() // 60)}
        )
    if _reopen_overlaps(membership):
        raise ValidationError(_("This would overlap another membership of the same person."))
    old = membership.left_on
    membership.left_on = None
    membership.save(update_fields=["left_on"])
    audit.record(
        actor=actor,
        action="membership.reopen",
        obj=membership.group,
        summary={"person": membership.person.code, "membership": membership.pk, "left_on": [old, None]},
    )
    return membership


@transaction.atomic
def balance_policy_update(
    *,
    actor: Any,
    programme: Programme,
    women_target_percent: int,
    women_minimum_percent: int,
    youth_max_age: int,
    minimum_members: int,
    required_sectors: Sequence[Sector],
    kind: str = "",
) -> BalancePolicy:
    """Set the representation rules of one kind of group (``kind`` empty: the programme-wide rules,
    which every kind without rules of its own follows)."""
    errors: dict[str, list[str]] = {}
    if kind and kind not in WorkingGroup.Kind.values:
        errors["kind"] = [_("Unknown kind of group.")]
    if not 0 <= women_minimum_percent <= women_target_percent <= 100:
        errors["women_minimum_percent"] = [_("The minimum must lie between 0 and the target, at most 100.")]
    if not 14 <= youth_max_age <= 40:
        errors["youth_max_age"] = [_("The age limit for young people must lie between 14 and 40.")]
    if not 1 <= minimum_members <= 100:
        errors["minimum_members"] = [_("The minimum number of members must lie between 1 and 100.")]
    if errors:
        raise ValidationError(errors)
    policy, _created = BalancePolicy.objects.get_or_create(programme=programme, kind=kind)
    policy.women_target_percent = women_target_percent
    policy.women_minimum_percent = women_minimum_percent
    policy.youth_max_age = youth_max_age
    policy.minimum_members = minimum_members
    policy.save()
    policy.required_sectors.set(required_sectors)
    audit.record(
        actor=actor,
        action="balancepolicy.update",
        obj=programme,
        programme=programme,
        summary={
            "kind": kind,
            "women_target_percent": women_target_percent,
            "women_minimum_percent": women_minimum_percent,
            "youth_max_age": youth_max_age,
            "minimum_members": minimum_members,
            "required_sectors": sorted(s.code for s in required_sectors),
        },
    )
    return policy


def memberships_merge(*, actor: Any, keep: Person, drop: Person) -> dict[str, Any]:
    """The groups' step of merging ``drop`` into ``keep`` (registered with
    :func:`hamkori.people.merging.register_merge_step`; runs inside ``person_merge``'s transaction).

    Each of ``drop``'s memberships moves to ``keep``; where ``keep`` already has a membership of
    the same group that overlaps or meets it, the two become one, from the earlier start to the
    later end. Audited as part of ``person.merge`` (``memberships``: how many were moved or joined)."""
    moved = 0
    for membership in Membership.objects.select_for_update().filter(person=drop):
        overlapping = [
            m
            for m in Membership.objects.filter(group=membership.group, person=keep)
            if memberships_overlap(m.joined_on, m.left_on, membership.joined_on, membership.left_on, meeting=True)
        ]
        if overlapping:
            kept = overlapping[0]
            kept.joined_on = min(kept.joined_on, membership.joined_on)
            kept.left_on = (
                None if (kept.left_on is None or membership.left_on is None) else max(kept.left_on, membership.left_on)
            )
            kept.save(update_fields=["joined_on", "left_on"])
            membership.delete()
        else:
            membership.person = keep
            membership.save(update_fields=["person"])
        moved += 1
    return {"memberships": moved}


@transaction.atomic
def balance_policy_remove(*, actor: Any, programme: Programme, kind: str) -> None:
    """Drop one kind's own rules: its groups follow the programme-wide rules again."""
    if not kind:
        raise ValidationError({"kind": [_("The programme-wide rules cannot be removed.")]})
    deleted, _rows = BalancePolicy.objects.filter(programme=programme, kind=kind).delete()
    if deleted:
        audit.record(
            actor=actor, action="balancepolicy.remove", obj=programme, programme=programme, summary={"kind": kind}
        )
