"""Who may manage whom. The programme boundary: a programme administrator manages only accounts whose
every role lies in programmes they administer; an account shared with another programme (or an
installation administrator's account) is managed by installation administrators only."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ALLOW, Decision, Grant, grants_for, roles_rule, rule
from hamkori.core.roles import Role

#: Invite someone into a programme (obj: the programme).
rule("user.invite")(roles_rule(Role.ADMIN))
#: The programme's user pages (obj: the programme); changing an account is ``user.manage``.
rule("user.list")(roles_rule(Role.ADMIN))
#: The programme's audit log (obj: the programme).
rule("auditevent.view")(roles_rule(Role.ADMIN))


def administered_programme_ids(user: Any) -> set[int]:
    return {grant.programme_id for grant in grants_for(user) if grant.role == Role.ADMIN}


def held_programme_ids(user: Any) -> set[int]:
    """The programmes an account's roles lie in: its active roles, or, when it has none left, every
    role it ever held (so revoking a role never hands an account to another programme's admin)."""
    from hamkori.accounts.models import RoleAssignment

    rows = list(RoleAssignment.objects.filter(user=user).values_list("programme_id", "revoked_at"))
    active = {programme_id for programme_id, revoked_at in rows if revoked_at is None}
    return active or {programme_id for programme_id, _revoked in rows}


@rule("user.manage")
def may_manage_user(actor: Any, target: Any) -> Decision:
    """Lock, unlock, reset the second factor, change or revoke roles of ``target`` (a User)."""
    if actor.is_superuser:
        return ALLOW
    if target is None or getattr(target, "is_superuser", False):
        return Decision(False, _("Only an installation administrator may manage this account."))
    administered = administered_programme_ids(actor)
    if not administered:
        return Decision(False, _("Your role in this programme does not allow this."))
    held = held_programme_ids(target)
    if not held:
        return Decision(False, _("This person holds no role in a programme you administer."))
    if not held <= administered:
        return Decision(
            False,
            _(
                "This person also holds a role in another programme: only an installation administrator "
                "may change their account or roles."
            ),
        )
    return ALLOW


def load_grants(user: Any) -> list[Grant]:
    """A user's grants: their active role assignments (registered with access in ``AccountsConfig.ready``)."""
    from hamkori.accounts.models import RoleAssignment

    return [
        Grant(
            programme_id=ra.programme_id,
            role=ra.role,
            organisation_id=ra.organisation_id,
            place_paths=tuple(sorted(p.path for p in ra.places.all())),
        )
        for ra in RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).prefetch_related("places")
    ]
