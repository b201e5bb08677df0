"""Declaring who may reach each view: the access matrix lives on the views themselves.

This module is kernel: it knows no programme and no grant. Pages of a programme are declared with
``hamkori.programmes.views_access.programme_view(action=...)``.

Every URL pattern's view carries ``hamkori_access`` (set by these decorators) or is listed in
:data:`LIBRARY_VIEWS`; ``tests/core/test_access_matrix.py`` fails on any view that is in neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from hamkori.core.audit import record

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class ViewAccess:
    """Who may reach a view. Pages outside a programme are ``public``, ``signed_in`` or ``superuser``;
    a programme page (``programme=True``, see ``hamkori.programmes.views_access.programme_view``)
    names the registry ``action`` that decides who may open it: no role lists here."""

    public: bool = False
    signed_in: bool = False
    superuser: bool = False
    programme: bool = False
    action: str = ""


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

    wrapped.hamkori_access = ViewAccess(signed_in=True)  # type: ignore[attr-defined]
    return wrapped


def superuser_only(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_superuser:
            reason = _("Only an installation administrator may open this page.")
            record(
                actor=request.user,
                action=f"view.{view.__name__}.denied",
                outcome="denied",
                summary={"reason": str(reason)},
            )
            raise PermissionDenied(str(reason))
        return view(request, *args, **kwargs)

    wrapped.hamkori_access = ViewAccess(superuser=True)  # type: ignore[attr-defined]
    return wrapped


#: Views that come from libraries, by URL name, with who may reach them.
LIBRARY_VIEWS: dict[str, ViewAccess] = {}

_PUBLIC = ViewAccess(public=True)
_SIGNED_IN = ViewAccess(signed_in=True)
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
#: visible_to/get_for_user in each endpoint; see tests/people/test_people_api.py).
SELF_AUTHORISING_NAMESPACES = {"api"}
