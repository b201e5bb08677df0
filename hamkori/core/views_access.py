"""Declaring who may reach each view: the access matrix lives on the views themselves.

Every URL pattern's view carries ``hamkori_access`` (set by these decorators) or is listed in
:data:`LIBRARY_VIEWS`; ``tests/test_access_matrix.py`` fails on any view that is in neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from hamkori.core.access import deny, get_for_user, role_in
from hamkori.core.roles import ALL_ROLES

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class ViewAccess:
    public: bool = False
    roles: frozenset[str] = frozenset()
    programme: bool = False  # True: the view lives under /p/<code>/ and roles are per programme
    superuser: bool = False


def public(view: View) -> View:
    view.hamkori_access = ViewAccess(public=True)  # type: ignore[attr-defined]
    return view


def signed_in(view: View) -> View:
    """Any signed-in user; the view itself only shows what ``visible_to`` allows."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.hamkori_access = ViewAccess(roles=ALL_ROLES)  # type: ignore[attr-defined]
    return wrapped


def superuser_only(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_superuser:
            deny(
                request.user,
                f"view.{view.__name__}",
                reason=_("Only an installation administrator may open this page."),
            )
        return view(request, *args, **kwargs)

    wrapped.hamkori_access = ViewAccess(superuser=True)  # type: ignore[attr-defined]
    return wrapped


def programme_view(*roles: str) -> Callable[[View], View]:
    """A page under ``/p/<code>/``: the programme must be visible to the user (else 404) and the
    user's role in it one of ``roles`` (else 403 with the reason). Sets ``request.programme`` and
    ``request.role``."""
    allowed = frozenset(roles) or ALL_ROLES

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
            from hamkori.programmes.models import Programme

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            programme = get_for_user(request.user, Programme, code=code)
            role = role_in(request.user, programme)
            if role not in allowed:
                deny(
                    request.user,
                    f"view.{view.__name__}",
                    programme,
                    _("Your role in this programme does not give access to this page."),
                )
            request.programme = programme  # type: ignore[attr-defined]
            request.role = role  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        wrapped.hamkori_access = ViewAccess(roles=allowed, programme=True)  # type: ignore[attr-defined]
        return wrapped

    return decorate


#: Views that come from libraries, by URL name, with who may reach them.
LIBRARY_VIEWS: dict[str, ViewAccess] = {}

_PUBLIC = ViewAccess(public=True)
_SIGNED_IN = ViewAccess(roles=ALL_ROLES)
LIBRARY_VIEWS.update(
    {
        # Django
        "set_language": _PUBLIC,
        # django-allauth: sign-in, password reset and second factor are public steps of signing in;
        # sign-up answers "closed" (accounts are created by invitation).
        "account_login": _PUBLIC,
        "account_logout": _PUBLIC,
        "account_inactive": _PUBLIC,
        "account_signup": _PUBLIC,
        "account_confirm_login_code": _PUBLIC,
        "account_email_verification_sent": _PUBLIC,
        "account_confirm_email": _PUBLIC,
        "account_reset_password": _PUBLIC,
        "account_reset_password_done": _PUBLIC,
        "account_reset_password_from_key": _PUBLIC,
        "account_reset_password_from_key_done": _PUBLIC,
        "mfa_authenticate": _PUBLIC,
        "account_reauthenticate": _SIGNED_IN,
        "account_email": _SIGNED_IN,
        "account_change_password": _SIGNED_IN,
        "account_set_password": _SIGNED_IN,
        "mfa_index": _SIGNED_IN,
        "mfa_reauthenticate": _SIGNED_IN,
        "mfa_activate_totp": _SIGNED_IN,
        "mfa_deactivate_totp": _SIGNED_IN,
        "mfa_view_recovery_codes": _SIGNED_IN,
        "mfa_generate_recovery_codes": _SIGNED_IN,
        "mfa_download_recovery_codes": _SIGNED_IN,
    }
)
#: URL namespaces whose views authorise every request themselves (the API: token or session, then
#: visible_to/get_for_user in each endpoint; see tests/test_api.py).
SELF_AUTHORISING_NAMESPACES = {"api"}
