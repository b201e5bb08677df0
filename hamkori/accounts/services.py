"""Every write to accounts and roles: keyword-only, atomic, audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.accounts.models import RoleAssignment, User
from hamkori.core import audit
from hamkori.core.roles import Role
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: Which kinds of organisation a role may act for (None: no organisation needed).
ROLE_ORGANISATION_KINDS: dict[str, set[str] | None] = {
    Role.ADMIN: {Organisation.Kind.LEAD},
    Role.STAFF: {Organisation.Kind.LEAD},
    Role.PARTNER: {Organisation.Kind.PARTNER},
    Role.GROUP_MEMBER: None,
    Role.LIAISON: {Organisation.Kind.POLICE, Organisation.Kind.AUTHORITY},
    Role.DONOR: {Organisation.Kind.DONOR, Organisation.Kind.OTHER},
}
#: Roles whose scope is a set of places (the others see the whole programme).
PLACE_SCOPED_ROLES = {Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON}


@transaction.atomic
def user_create(
    *, actor: Any, email: str, password: str | None = None, display_name: str = "", preferred_language: str = "tg"
) -> User:
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": [_("A user with this email address already exists.")]})
    user = User.objects.create_user(
        email=email, password=password, display_name=display_name, preferred_language=preferred_language
    )
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    audit.record(actor=actor, action="user.create", obj=user, summary={"email": email})
    return user


def _validate_role(
    programme: Programme, role: str, organisation: Organisation | None, places: Sequence[Place]
) -> None:
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [_("Unknown role.")]
        raise ValidationError(errors)
    kinds = ROLE_ORGANISATION_KINDS[role]
    if kinds is not None and (organisation is None or organisation.kind not in kinds):
        errors["organisation"] = [_("This role must act on behalf of an organisation of the right kind.")]
    if role == Role.PARTNER and organisation is not None:
        if not programme.partnerships.filter(organisation=organisation).exists():
            errors["organisation"] = [_("This organisation is not a partner in the programme.")]
    if role in PLACE_SCOPED_ROLES:
        if not places:
            errors["places"] = [_("Choose at least one district for this role.")]
        allowed_paths = [loc.place.path for loc in programme.locations.select_related("place")]
        for place in places:
            if not any(place.path.startswith(path) for path in allowed_paths):
                errors["places"] = [_("%(place)s is not one of the programme's locations.") % {"place": place.name}]
    elif places:
        errors["places"] = [_("This role sees the whole programme; do not choose districts.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def role_assign(
    *,
    actor: Any,
    user: User,
    programme: Programme,
    role: str,
    organisation: Organisation | None = None,
    places: Sequence[Place] = (),
) -> RoleAssignment:
    """Give ``user`` this role in ``programme`` (replacing any role they held there)."""
    _validate_role(programme, role, organisation, places)
    current = RoleAssignment.objects.select_for_update().filter(user=user, programme=programme, revoked_at__isnull=True).first()
    if current is not None:
        same = (
            current.role == role
            and current.organisation_id == (organisation.pk if organisation else None)
            and set(current.places.values_list("pk", flat=True)) == {p.pk for p in places}
        )
        if same:
            return current
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
    assignment = RoleAssignment.objects.create(user=user, programme=programme, role=role, organisation=organisation)
    assignment.places.set(places)
    audit.record(
        actor=actor,
        action="role.assign",
        obj=user,
        programme=programme,
        summary={
            "role": role,
            "organisation": organisation.name_en if organisation else None,
            "places": sorted(p.code for p in places),
            "replaced": current.role if current else None,
        },
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: Any, user: User, programme: Programme) -> None:
    current = RoleAssignment.objects.select_for_update().filter(user=user, programme=programme, revoked_at__isnull=True).first()
    if current is None:
        return
    current.revoked_at = timezone.now()
    current.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="role.revoke", obj=user, programme=programme, summary={"role": current.role})


@transaction.atomic
def totp_activate(*, actor: Any, user: User, secret: str) -> None:
    """Turn on TOTP for ``user`` with a known secret, plus recovery codes (used by the demo)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return
    TOTP.activate(user, secret)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)
    audit.record(actor=actor, action="user.mfa_activate", obj=user)
