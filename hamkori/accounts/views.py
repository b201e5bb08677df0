from __future__ import annotations

from typing import Any

from allauth.account import views as allauth_views
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hamkori.access.policy import deny, require
from hamkori.accounts import services
from hamkori.accounts.forms import ApiTokenForm, InviteForm, LockForm, RoleForm, SetPasswordForm
from hamkori.accounts.language import set_language_cookie
from hamkori.accounts.middleware import SESSION_AFTER_SECOND_FACTOR
from hamkori.accounts.models import ApiToken, RoleAssignment, User
from hamkori.core.views_access import public, signed_in
from hamkori.kit.pages import form_then_service
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


@signed_in
def account_settings(request: HttpRequest) -> HttpResponse:
    roles = (
        request.user.role_assignments.filter(revoked_at__isnull=True)  # type: ignore[union-attr]
        .select_related("programme", "organisation")
        .prefetch_related("places")
    )
    has_totp = Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
    return render(request, "accounts/settings.html", {"roles": roles, "has_totp": has_totp})


@signed_in
def api_tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    new_token = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST":
        if "revoke" in request.POST:
            raw = request.POST.get("revoke", "")
            token_id = int(raw) if raw.isdigit() and len(raw) < 19 else None
            token = ApiToken.objects.filter(user=user, pk=token_id).first() if token_id else None
            if token is None:
                messages.error(request, _("This token was not found: nothing was revoked."))
            else:
                services.api_token_revoke(actor=user, api_token=token)
                messages.success(request, _("The token was revoked."))
            return redirect("api_tokens")
        if form.is_valid():
            _token, new_token = services.api_token_create(actor=user, name=form.cleaned_data["name"])
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=user)
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "tokens": tokens,
            "form": form,
            "new_token": new_token,
            "now": timezone.now(),
            "token_days": settings.HAMKORI_API_TOKEN_DAYS,
        },
    )


class _EmailView(allauth_views.EmailView):
    """allauth's email page (changing the sign-in address: reauthentication, a link mailed to the new
    address, a notice to the old one), after recording the current address as verified, so that no
    unverified address can become primary or take its place (security review finding 6)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            services.user_email_sync(user=request.user)
        return super().dispatch(request, *args, **kwargs)


_email_view = _EmailView.as_view()


@signed_in
def account_email(request: HttpRequest) -> HttpResponse:
    return _email_view(request)


@signed_in
def account_continue(request: HttpRequest) -> HttpResponse:
    """The end of the second-factor set-up: on to the page the person was going to when they were
    sent to set it up (their programme's home when they were signing in)."""
    target = request.session.pop(SESSION_AFTER_SECOND_FACTOR, "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return redirect(target if target and safe and target.startswith("/") else "home")


@public
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Choosing a password from an invitation link. The link carries the language the invitation was
    written in (``?lang=tg``): it becomes the browser's language, so the page, the sign-in, the
    second-factor set-up and the first landing page all speak it; the person may still switch."""
    language = request.GET.get("lang", "")
    if request.method == "GET" and language in dict(settings.LANGUAGES):
        return set_language_cookie(redirect(request.path), language)  # type: ignore[return-value]
    try:
        invitation = services.invitation_check(token)
    except services.InvitationInvalid as exc:
        return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=410)
    form = SetPasswordForm(request.POST or None, user=invitation.user)
    if request.method == "POST":
        try:
            accepted = form_then_service(
                form,
                lambda data: services.invitation_accept(
                    token=token, password=data["password1"], language=translation.get_language()
                ),
            )
        except services.InvitationInvalid as exc:
            return render(request, "accounts/invitation_invalid.html", {"message": exc.message}, status=410)
        if accepted:
            messages.success(request, _("Your password is set. Sign in to continue."))
            return redirect("account_login")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})


# --- User management (programme administrators) --------------------------------------------------
def _member(request: ProgrammeRequest, user_id: int) -> User:
    """A user the administrator may manage. Someone who never held a role in the current programme
    (or an installation administrator, to a programme administrator) answers 404: their existence does
    not leak. A member of this programme who also holds a role elsewhere answers 403 with the reason
    (the ``user.manage`` rule): the administrator already sees them in the programme's user list."""
    programme = request.programme
    user = User.objects.filter(pk=user_id, role_assignments__programme=programme).distinct().first()
    if user is None or (user.is_superuser and not request.user.is_superuser):
        deny(request.user, "user.manage", programme, "not a member of this programme", hide=True)
    require(request.user, "user.manage", user)
    return user  # type: ignore[return-value]


@programme_view(action="user.list")
def user_list(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    assignments = (
        RoleAssignment.objects.filter(programme=programme, revoked_at__isnull=True)
        .select_related("user", "organisation")
        .prefetch_related("places")
        .order_by("role", "user__email")
    )
    with_totp = set(
        Authenticator.objects.filter(
            type=Authenticator.Type.TOTP, user__role_assignments__programme=programme
        ).values_list("user_id", flat=True)
    )
    return render(request, "accounts/user_list.html", {"assignments": assignments, "with_totp": with_totp})


@programme_view(action="user.invite")
def user_invite(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    require(request.user, "user.invite", programme)
    form = InviteForm(request.POST or None, programme=programme)
    if request.method == "POST" and (
        done := form_then_service(
            form,
            lambda data: services.invitation_create(
                actor=request.user,
                programme=programme,
                email=data["email"],
                role=data["role"],
                organisation=data["organisation"],
                places=list(data["places"]),
                display_name=data["display_name"],
                preferred_language=data["preferred_language"],
                base_url=request.build_absolute_uri("/"),
            ),
        )
    ):
        return render(request, "accounts/user_invited.html", {"issued": done.value})
    return render(request, "accounts/user_invite.html", {"form": form})


@programme_view(action="user.list")
def user_detail(request: ProgrammeRequest, user_id: int) -> HttpResponse:
    programme = request.programme
    member = _member(request, user_id)
    current = (
        RoleAssignment.objects.filter(user=member, programme=programme, revoked_at__isnull=True)
        .prefetch_related("places")
        .first()
    )
    initial = (
        {"role": current.role, "organisation": current.organisation_id, "places": list(current.places.all())}
        if current
        else {}
    )
    form = RoleForm(request.POST or None, programme=programme, initial=initial)
    if request.method == "POST" and form_then_service(
        form,
        lambda data: services.role_assign(
            actor=request.user,
            user=member,
            programme=programme,
            role=data["role"],
            organisation=data["organisation"],
            places=list(data["places"]),
        ),
    ):
        messages.success(request, _("The role was saved."))
        return redirect("user_detail", programme.code, member.pk)
    history = (
        RoleAssignment.objects.filter(user=member, programme=programme)
        .prefetch_related(Prefetch("places"))
        .select_related("organisation")
        .order_by("-granted_at")
    )
    return render(
        request,
        "accounts/user_detail.html",
        {
            "member": member,
            "form": form,
            "lock_form": LockForm(),
            "history": history,
            "has_totp": Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists(),
        },
    )


@require_POST
@programme_view(action="user.list")
def user_lock(request: ProgrammeRequest, user_id: int) -> HttpResponse:
    programme = request.programme
    member = _member(request, user_id)
    form = LockForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.user_lock(actor=request.user, user=member, reason=reason, programme=programme)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(email)s is locked out: all sessions and API tokens have stopped working.") % {"email": member.email},
        )
    return redirect("user_detail", programme.code, member.pk)


@require_POST
@programme_view(action="user.list")
def user_unlock(request: ProgrammeRequest, user_id: int) -> HttpResponse:
    programme = request.programme
    member = _member(request, user_id)
    services.user_unlock(actor=request.user, user=member, programme=programme)
    messages.success(request, _("%(email)s can sign in again.") % {"email": member.email})
    return redirect("user_detail", programme.code, member.pk)


@require_POST
@programme_view(action="user.list")
def user_reset_mfa(request: ProgrammeRequest, user_id: int) -> HttpResponse:
    programme = request.programme
    member = _member(request, user_id)
    services.mfa_reset(actor=request.user, user=member, programme=programme)
    messages.success(
        request,
        _("Two-factor sign-in was reset: %(email)s sets it up again at the next sign-in.") % {"email": member.email},
    )
    return redirect("user_detail", programme.code, member.pk)
