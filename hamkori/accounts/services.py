"""Every write to accounts and roles: keyword-only, atomic, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hamkori.access.policy import decide, role_in
from hamkori.accounts.models import ApiToken, Invitation, RoleAssignment, User, api_token_expiry
from hamkori.accounts.tokens import digest, new_token
from hamkori.core import audit
from hamkori.core.models import AuditEvent
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


def _require_manage(actor: Any, user: User) -> None:
    """Refuse unless ``actor`` may manage ``user`` (the ``user.manage`` rule). ``actor=None`` is the
    system (demo, management commands). The views check first and audit the refusal; this is the
    service's own guard, so no caller can skip the boundary."""
    if actor is None:
        return
    decision = decide(actor, "user.manage", user)
    if not decision:
        raise PermissionDenied(str(decision.reason))


def _require_programme_admin(actor: Any, programme: Programme) -> None:
    if actor is not None and role_in(actor, programme) != Role.ADMIN:
        raise PermissionDenied(_("Your role in this programme does not allow this."))


@transaction.atomic
def user_create(
    *,
    actor: Any,
    email: str,
    password: str | None = None,
    display_name: str = "",
    preferred_language: str = "tg",
    programme: Programme | None = None,
) -> User:
    """Create an account. ``programme``: the programme it is created for (its audit log lists it)."""
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": [_("A user with this email address already exists.")]})
    user = User.objects.create_user(
        email=email, password=password, display_name=display_name, preferred_language=preferred_language
    )
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    audit.record(actor=actor, action="user.create", obj=user, programme=programme, summary={"email": email})
    return user


def _validate_role(programme: Programme, role: str, organisation: Organisation | None, places: Sequence[Place]) -> None:
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [_("Unknown role.")]
        raise ValidationError(errors)
    kinds = ROLE_ORGANISATION_KINDS[role]
    if kinds is not None and (organisation is None or organisation.kind not in kinds):
        errors["organisation"] = [_("This role must act on behalf of an organisation of the right kind.")]
    if (
        role == Role.PARTNER
        and organisation is not None
        and not programme.partnerships.filter(organisation=organisation).exists()
    ):
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
    """Give ``user`` this role in ``programme`` (replacing any role they held there).

    The actor must administer ``programme``. Giving a first role in it to any account is allowed (that
    only opens this programme's data to them); replacing a role they hold needs ``user.manage``."""
    _require_programme_admin(actor, programme)
    _validate_role(programme, role, organisation, places)
    current = (
        RoleAssignment.objects.select_for_update()
        .filter(user=user, programme=programme, revoked_at__isnull=True)
        .first()
    )
    if current is not None:
        _require_manage(actor, user)
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
    _require_programme_admin(actor, programme)
    _require_manage(actor, user)
    current = (
        RoleAssignment.objects.select_for_update()
        .filter(user=user, programme=programme, revoked_at__isnull=True)
        .first()
    )
    if current is None:
        return
    current.revoked_at = timezone.now()
    current.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="role.revoke", obj=user, programme=programme, summary={"role": current.role})
    if not user.is_superuser and not RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).exists():
        api_tokens_revoke_all(actor=actor, user=user, reason="last role revoked")


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


# --- Invitations -----------------------------------------------------------------------------------
INVITATION_DAYS = 7


@dataclass(frozen=True)
class IssuedInvitation:
    """What inviting someone did. A new account (or a pending one the inviting administrator alone
    manages) gets a one-time link, shown to the administrator and mailed; an existing account of
    someone else gets the role added and a notice by mail, and no link (``invitation`` is None)."""

    user: User
    invitation: Invitation | None = None
    token: str = ""
    url: str = ""

    @property
    def existing_account(self) -> bool:
        return self.invitation is None


def _inviter(actor: Any) -> str:
    return (actor.display_name or actor.email) if actor else "Hamkori"


def _invitation_mail(*, user: User, programme: Programme, url: str, actor: Any) -> None:
    with translation.override(user.preferred_language or "tg"):
        subject = _("Your invitation to Hamkori")
        body = _(
            "%(inviter)s has invited you to the programme “%(programme)s” in Hamkori.\n\n"
            "Open this link within %(days)s days to choose your password:\n%(url)s\n\n"
            "If you did not expect this message, ignore it."
        ) % {
            "inviter": _inviter(actor),
            "programme": programme.title,
            "days": INVITATION_DAYS,
            "url": url,
        }
    send_mail(subject, body, None, [user.email])


def _role_added_mail(*, user: User, programme: Programme, role: str, actor: Any) -> None:
    """Tell an existing account it was given a role. No link: the account keeps its own password."""
    with translation.override(user.preferred_language or "tg"):
        subject = _("You have a new role in Hamkori")
        body = _(
            "%(inviter)s has given you the role “%(role)s” in the programme “%(programme)s” in Hamkori.\n\n"
            "Sign in with your existing account: your password and second factor stay as they are. "
            "If you have not chosen a password yet, use the invitation link you received earlier.\n\n"
            "If you did not expect this message, tell your administrator."
        ) % {"inviter": _inviter(actor), "role": Role(role).label, "programme": programme.title}
    send_mail(subject, body, None, [user.email])


def _may_manage(actor: Any, user: User) -> bool:
    return actor is None or bool(decide(actor, "user.manage", user))


def _invite_existing_account(
    *,
    actor: Any,
    user: User,
    programme: Programme,
    role: str,
    organisation: Organisation | None,
    places: Sequence[Place],
) -> IssuedInvitation:
    """Someone else's account (or one with a password): add the role, keep everything else, tell them."""
    if RoleAssignment.objects.filter(user=user, programme=programme, revoked_at__isnull=True).exists():
        if _may_manage(actor, user):
            message = _("This person already has a role in this programme: change it on their page.")
        else:
            message = _(
                "This person already has a role in this programme; only an installation administrator may change it."
            )
        raise ValidationError({"email": [message]})
    role_assign(actor=actor, user=user, programme=programme, role=role, organisation=organisation, places=places)
    audit.record(actor=actor, action="user.invite_existing", obj=user, programme=programme, summary={"role": role})
    transaction.on_commit(lambda: _role_added_mail(user=user, programme=programme, role=role, actor=actor))
    return IssuedInvitation(user=user)


@transaction.atomic
def invitation_create(
    *,
    actor: Any,
    programme: Programme,
    email: str,
    role: str,
    organisation: Organisation | None = None,
    places: Sequence[Place] = (),
    display_name: str = "",
    preferred_language: str = "tg",
    base_url: str = "",
) -> IssuedInvitation:
    """Invite someone to a programme: the account (without a password), its role, and a one-time link
    mailed to them (sent after the transaction commits).

    An address that already has an account is never handed over: unless the inviting administrator
    alone manages that account (``user.manage``) and it has no password yet, the account keeps its
    password, second factor and other programmes' invitations; it is given the role and told by mail,
    and no link is issued."""
    _require_programme_admin(actor, programme)
    email = User.objects.normalize_email(email).strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and not (_may_manage(actor, existing) and not existing.has_usable_password()):
        return _invite_existing_account(
            actor=actor, user=existing, programme=programme, role=role, organisation=organisation, places=places
        )
    user = existing or user_create(
        actor=actor,
        email=email,
        display_name=display_name,
        preferred_language=preferred_language,
        programme=programme,
    )
    role_assign(actor=actor, user=user, programme=programme, role=role, organisation=organisation, places=places)
    # Only this programme's earlier links die; another programme's invitation is never touched.
    Invitation.objects.filter(user=user, programme=programme, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token, token_digest = new_token()
    invitation = Invitation.objects.create(
        user=user,
        programme=programme,
        invited_by=actor if getattr(actor, "pk", None) else None,
        token_digest=token_digest,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
    )
    if existing is not None and preferred_language != existing.preferred_language:
        existing.preferred_language = preferred_language  # re-sent in another language
        existing.save(update_fields=["preferred_language"])
    # The link carries the language the mail is written in, so the page it opens speaks it too.
    query = urlencode({"lang": user.preferred_language}) if user.preferred_language else ""
    url = base_url.rstrip("/") + reverse("invitation_accept", args=[token]) + (f"?{query}" if query else "")
    audit.record(actor=actor, action="user.invite", obj=user, programme=programme, summary={"role": role})
    transaction.on_commit(lambda: _invitation_mail(user=user, programme=programme, url=url, actor=actor))
    return IssuedInvitation(user=user, invitation=invitation, token=token, url=url)


class InvitationInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def invitation_check(token: str) -> Invitation:
    """The usable invitation for ``token``, or InvitationInvalid with a reason a person understands."""
    invitation = (
        Invitation.objects.select_related("user", "programme").filter(token_digest=token_digest_of(token)).first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationInvalid(_("This invitation link is not valid. Ask your administrator for a new one."))
    if invitation.used_at is not None:
        raise InvitationInvalid(_("This invitation link has already been used. Sign in, or reset your password."))
    if invitation.expires_at < timezone.now():
        raise InvitationInvalid(_("This invitation link has expired. Ask your administrator for a new one."))
    if invitation.user.locked_at is not None or not invitation.user.is_active:
        raise InvitationInvalid(_("This account is locked. Ask your administrator."))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, language: str = "") -> User:
    """Set the invitee's password from a usable invitation link. ``language``: the one they chose the
    password in, kept as their preferred language (their mails are written in it)."""
    invitation = invitation_check(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.used_at is not None:  # a concurrent acceptance won
        raise InvitationInvalid(_("This invitation link has already been used. Sign in, or reset your password."))
    user = invitation.user
    validate_password(password, user)
    user.set_password(password)
    fields = ["password"]
    if language in dict(settings.LANGUAGES) and language != user.preferred_language:
        user.preferred_language = language
        fields.append("preferred_language")
    user.save(update_fields=fields)
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    audit.record(actor=user, action="user.invitation_accept", obj=user, programme=invitation.programme)
    return user


def token_digest_of(token: str) -> str:
    return digest(token)


# --- Locking, second factor, tokens ------------------------------------------------------------------
def _end_sessions(user: User) -> int:
    """Delete every stored session of ``user`` (database sessions)."""
    from django.contrib.sessions.models import Session

    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_lock(*, actor: Any, user: User, reason: str = "", programme: Programme | None = None) -> None:
    """Lock an account at once: it cannot sign in, every session ends, every API token dies.
    ``programme``: where the administrator acted from (the audit event is listed in its log)."""
    if getattr(actor, "pk", None) == user.pk:
        raise ValidationError(_("You cannot lock your own account."))
    _require_manage(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.locked_at is not None:
        return
    user.locked_at = timezone.now()
    user.locked_reason = reason[:200]
    user.is_active = False
    user.save(update_fields=["locked_at", "locked_reason", "is_active"])
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=user.locked_at)
    sessions = _end_sessions(user)
    audit.record(
        actor=actor,
        action="user.lock",
        obj=user,
        programme=programme,
        summary={"reason": reason[:200], "sessions": sessions, "tokens": tokens},
    )


@transaction.atomic
def user_unlock(*, actor: Any, user: User, programme: Programme | None = None) -> None:
    _require_manage(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.locked_at is None:
        return
    user.locked_at = None
    user.locked_reason = ""
    user.is_active = True
    user.save(update_fields=["locked_at", "locked_reason", "is_active"])
    audit.record(actor=actor, action="user.unlock", obj=user, programme=programme)


@transaction.atomic
def mfa_reset(*, actor: Any, user: User, programme: Programme | None = None) -> int:
    """Remove the user's authenticators (lost phone): they set up a new one at their next sign-in."""
    from allauth.mfa.models import Authenticator

    _require_manage(actor, user)

    removed, _detail = Authenticator.objects.filter(user=user).delete()
    sessions = _end_sessions(user)
    api_tokens_revoke_all(actor=actor, user=user, reason="second factor reset")
    audit.record(
        actor=actor,
        action="user.mfa_reset",
        obj=user,
        programme=programme,
        summary={"authenticators": removed, "sessions": sessions},
    )
    return removed


# --- Changes of sign-in credentials made inside allauth (email, password, second factor) --------------
@transaction.atomic
def user_email_sync(*, user: User) -> bool:
    """Record the sign-in address (``User.email``) as the account's verified, primary address in
    allauth's table. An administrator set it and the person proved it by opening the invitation
    mailed there (or by opening the confirmation link of a change), so it is verified; and while
    it is, allauth lets no unverified address become primary or replace it. True when it changed."""
    from allauth.account.models import EmailAddress

    addresses = list(EmailAddress.objects.select_for_update().filter(user=user))
    current = next((a for a in addresses if a.email.lower() == user.email.lower()), None)
    others_primary = [a for a in addresses if a.primary and a is not current]
    if current is not None and current.verified and current.primary and not others_primary:
        return False
    for address in others_primary:
        address.primary = False
        address.save(update_fields=["primary"])
    if current is None:
        current = EmailAddress.objects.create(user=user, email=user.email.lower(), verified=True, primary=True)
    else:
        current.verified = current.primary = True
        current.save(update_fields=["verified", "primary"])
    audit.record(actor=user, action="user.email_recorded", obj=user, summary={"email": current.email})
    return True


#: Credential changes after which every API token of the user is revoked.
TOKEN_REVOKING_CHANGES = {"password_change", "password_set", "password_reset", "second_factor_removed"}


@transaction.atomic
def user_credentials_changed(*, actor: Any, user: User, change: str, summary: dict[str, Any] | None = None) -> None:
    """allauth changed a sign-in credential of ``user`` (it has already mailed them a notice):
    audit it, and revoke every API token after a new password or a removed second factor."""
    audit.record(actor=actor, action=f"auth.{change}", obj=user, summary=summary or {})
    if change in TOKEN_REVOKING_CHANGES:
        api_tokens_revoke_all(actor=actor, user=user, reason=change)


@transaction.atomic
def api_token_create(*, actor: User, name: str) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationError({"name": [_("Give the token a name of at most 80 characters.")]})
    token, token_digest = new_token()
    api_token = ApiToken.objects.create(
        user=actor, name=name, prefix=token[:8], token_digest=token_digest, expires_at=api_token_expiry()
    )
    audit.record(
        actor=actor,
        action="api_token.create",
        obj=api_token,
        summary={"name": name, "expires": api_token.expires_at.isoformat()},
    )
    return api_token, token


@transaction.atomic
def api_token_revoke(*, actor: User, api_token: ApiToken) -> None:
    if api_token.revoked_at is None:
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="api_token.revoke", obj=api_token)


@transaction.atomic
def api_tokens_revoke_all(*, actor: Any, user: User, reason: str) -> int:
    """Revoke every live token of ``user`` (a new password, a removed or reset second factor)."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        audit.record(
            actor=actor, action="api_token.revoke_all", obj=user, summary={"reason": reason, "tokens": revoked}
        )
    return revoked


def _token_refusal(api_token: ApiToken | None, now: dt.datetime) -> str | None:
    if api_token is None:
        return "unknown"
    if api_token.revoked_at is not None:
        return "revoked"
    if api_token.expires_at <= now:
        return "expired"
    user = api_token.user
    if user.locked_at is not None or not user.is_active:
        return "locked"
    return None


@transaction.atomic
def api_token_authenticate(*, token: str) -> User | None:
    """The user a Bearer token stands for, or None. A refusal is audited with its reason and the first
    characters of the token's SHA-256 digest (never the token)."""
    token_digest = digest(token)
    api_token = ApiToken.objects.select_related("user").filter(token_digest=token_digest).first()
    now = timezone.now()
    reason = _token_refusal(api_token, now)
    if reason is not None:
        audit.record(
            actor=None,
            action="api.token_refused",
            outcome=AuditEvent.Outcome.DENIED,
            object_type="accounts.apitoken",
            object_id=str(api_token.pk) if api_token else "",
            object_repr=api_token.name if api_token else "",
            summary={"reason": reason, "sha256": token_digest[:12]},
        )
        return None
    if api_token is None:  # pragma: no cover - a missing token is refused above
        return None
    if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
    return api_token.user


def api_token_user(token: str) -> User | None:
    """The active, unlocked user owning a live token, or None (audited when refused)."""
    return api_token_authenticate(token=token)
