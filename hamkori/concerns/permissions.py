"""Who may do what in the community security cycle (docs/adr/0002-access-control.md).

Seeing is decided by the scopes on the models (a liaison sees only what was referred to their
organisation, a group member their groups' concerns); these rules decide acting. A partner changes
only concerns her organisation recorded, or unassigned ones (public submissions) in her districts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ALLOW, Decision, grant_in, role_in, roles_rule, rule
from hamkori.core.roles import FIELD_ROLES, LEAD_ROLES, Role

NOT_YOUR_ROLE = Decision(False, _("Your role in this programme does not allow this."))

#: The pages of the cycle (obj: the programme or a concern; the scope decides which concerns).
rule("concern.view")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON))
rule("concern.create")(roles_rule(*FIELD_ROLES))
#: The programme overview across districts (donors: counts under disclosure control).
rule("concern.view_overview")(roles_rule(Role.ADMIN, Role.STAFF, Role.PARTNER, Role.DONOR))
#: Publishing anything (a "what was done" note, an action's public wording, a district's public
#: page) follows a do-no-harm check by the lead organisation's staff.
rule("concern.publish")(roles_rule(*LEAD_ROLES))
#: The programme's vocabulary: drivers, affected groups, prioritisation criteria.
rule("concern.vocabulary")(roles_rule(Role.ADMIN))
#: A liaison's inbox of referrals to their organisation.
rule("referral.inbox")(roles_rule(Role.LIAISON, Role.ADMIN, Role.STAFF))


def _programme_of(obj: Any) -> Any:
    return obj if obj is None or obj._meta.model_name == "programme" else obj.programme


def _lead_or_owning_partner(user: Any, concern: Any, message: Any) -> Decision:
    role = role_in(user, concern.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    if role == Role.PARTNER:
        grant = grant_in(user, concern.programme_id)
        if concern.owner_id is None or (grant is not None and grant.organisation_id == concern.owner_id):
            return ALLOW
        return Decision(False, message)
    return NOT_YOUR_ROLE


@rule("concern.change")
def _change(user: Any, concern: Any) -> Decision:
    """Triage, edit, merge, decline, move, plan actions, refer: lead roles, and a partner for the
    concerns her organisation recorded or nobody has (public submissions in her districts)."""
    if concern is None or concern._meta.model_name == "programme":
        return roles_rule(*FIELD_ROLES)(user, concern)
    return _lead_or_owning_partner(
        user,
        concern,
        _("Only the lead organisation and the organisation that recorded this concern can change it."),
    )


@rule("concern.view_restricted")
def _restricted(user: Any, concern: Any) -> Decision:
    """Restricted notes and the reporter's contact details: never a liaison, donor or group member."""
    return _lead_or_owning_partner(
        user, concern, _("Only the lead organisation and the organisation that recorded this concern can see this.")
    )


def _group_member_of_concern(user: Any, concern: Any) -> bool:
    """A group member acts on the concerns of their own groups (the scope already holds them to those)."""
    return role_in(user, concern.programme_id) == Role.GROUP_MEMBER and concern.group_id is not None


@rule("concern.prioritise")
def _prioritise(user: Any, obj: Any) -> Decision:
    """Scoring a shortlist: field roles and members of the group (obj: programme, concern or round)."""
    role = role_in(user, _programme_of(obj))
    if role in FIELD_ROLES or role == Role.GROUP_MEMBER:
        return ALLOW
    return NOT_YOUR_ROLE


@rule("concern.review")
def _review(user: Any, concern: Any) -> Decision:
    if _group_member_of_concern(user, concern):
        return ALLOW
    return _change(user, concern)


@rule("concern.signoff_group")
def _signoff_group(user: Any, concern: Any) -> Decision:
    """The working group's sign-off: a member of the group, or the lead or owning partner recording it."""
    if _group_member_of_concern(user, concern):
        return ALLOW
    return _change(user, concern)


#: Apps above ``concerns`` whose records own actions without a concern (events: a dialogue's
#: commitments) decide who among partners may change them: ``fn(user, action) -> Decision | None``.
_ACTION_PARENTS: list[Callable[[Any, Any], Decision | None]] = []


def register_action_parent(fn: Callable[[Any, Any], Decision | None]) -> Callable[[Any, Any], Decision | None]:
    if fn not in _ACTION_PARENTS:
        _ACTION_PARENTS.append(fn)
    return fn


@rule("action.change")
def _action_change(user: Any, action: Any) -> Decision:
    """Updating an action (progress, status, notes): lead roles; the partner who may change its
    concern (or, for an action without one, any partner of its district); a liaison of an owner
    organisation; a member of the group when the group owns it."""
    role = role_in(user, action.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    grant = grant_in(user, action.programme_id)
    if role == Role.PARTNER:
        if action.concern_id is None:
            for parent in _ACTION_PARENTS:
                decision = parent(user, action)
                if decision is not None:
                    return decision
            return ALLOW
        return _change(user, action.concern)
    if role == Role.LIAISON and grant is not None and grant.organisation_id:
        if action.ownerships.filter(organisation_id=grant.organisation_id).exists():
            return ALLOW
        return Decision(False, _("Only the owners of this action can update it."))
    if role == Role.GROUP_MEMBER and action.group_owns and action.group_id:
        return ALLOW
    return Decision(False, _("Only the owners of this action can update it."))


@rule("referral.respond")
def _respond(user: Any, referral: Any) -> Decision:
    """Acknowledging and answering a referral: the liaison of the organisation it went to, or the
    lead organisation recording an answer received on paper."""
    role = role_in(user, referral.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    grant = grant_in(user, referral.programme_id)
    if role == Role.LIAISON and grant is not None and grant.organisation_id == referral.organisation_id:
        return ALLOW
    return Decision(False, _("Only the organisation this was referred to can answer it."))


@rule("concern.signoff_authority")
def _signoff_authority(user: Any, obj: Any) -> Decision:
    """An authority's sign-off (obj: ``(concern, organisation)``): its liaison, or the lead recording it."""
    concern, organisation = obj
    role = role_in(user, concern.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    grant = grant_in(user, concern.programme_id)
    if role == Role.LIAISON and grant is not None and grant.organisation_id == organisation.pk:
        return ALLOW
    return Decision(False, _("Only that organisation can sign off for itself."))


# --- Prioritisation rounds (hamkori/concerns/rounds.py) --------------------------------------------
def _facilitates(user: Any, group: Any, message: Any) -> Decision:
    role = role_in(user, group.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    if role == Role.PARTNER:
        grant = grant_in(user, group.programme_id)
        if group.owner_id is None or (grant is not None and grant.organisation_id == group.owner_id):
            return ALLOW
        return Decision(False, message)
    return NOT_YOUR_ROLE


@rule("round.change")
def _round_change(user: Any, obj: Any) -> Decision:
    """Setting up a round, changing its shortlist and deciding it (obj: the programme, a working group
    or a round): lead roles, and a partner of the organisation that facilitates the group, as for
    ``workinggroup.change``. Group members score; they do not set up or decide."""
    if obj is None or obj._meta.model_name == "programme":
        return roles_rule(*FIELD_ROLES)(user, obj)
    group = obj if obj._meta.model_name == "workinggroup" else obj.group
    return _facilitates(
        user,
        group,
        _(
            "Only the lead organisation and the organisation that facilitates this group can run its prioritisation rounds."
        ),
    )


@rule("round.score")
def _round_score(user: Any, round_: Any) -> Decision:
    """Entering scores in an open round: whoever may change it, and the members of its group today."""
    if role_in(user, round_.programme_id) == Role.GROUP_MEMBER:
        from hamkori.groups.models import WorkingGroup

        if WorkingGroup.objects.visible_to(user).filter(pk=round_.group_id).exists():
            return ALLOW
        return Decision(False, _("Only the members of this group can score its shortlist."))
    return _round_change(user, round_)
