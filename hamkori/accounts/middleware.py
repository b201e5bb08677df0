"""Session policy: 30 minutes idle (the cookie's age, renewed on each request) and 12 hours in all;
a locked account's sessions end on their next request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_STARTED = "hamkori_started"
SESSION_SEEN = "hamkori_seen"
#: Where a person was going when they were sent to set up their second factor (``account_continue``).
SESSION_AFTER_SECOND_FACTOR = "hamkori_after_2fa"


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(SESSION_STARTED, now)
            seen = request.session.get(SESSION_SEEN, now)
            expired = now - started > settings.SESSION_ABSOLUTE_SECONDS or now - seen > settings.SESSION_IDLE_SECONDS
            if expired or user.locked_at or not user.is_active:
                logout(request)
            else:
                request.session[SESSION_SEEN] = now
        return self.get_response(request)


class RequireSecondFactorMiddleware:
    """Admin, staff and partner roles must sign in with a second factor: until they have set one up,
    every page sends them to the set-up page. The page they asked for is remembered: the recovery
    codes page that ends the set-up offers "Continue" to it (``account_continue``)."""

    ALLOWED_PREFIXES = (
        "/accounts/2fa/",
        "/accounts/reauthenticate/",
        "/accounts/logout/",
        "/i18n/",
        "/static/",
        "/accounts/password/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and needs_second_factor(user)
            and not has_totp(user)
        ):
            from django.shortcuts import redirect

            if request.method == "GET" and "HX-Request" not in request.headers:
                request.session[SESSION_AFTER_SECOND_FACTOR] = request.get_full_path()[:2000]
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def needs_second_factor(user: Any) -> bool:
    from hamkori.access.policy import grants_for
    from hamkori.core.roles import MFA_REQUIRED_ROLES

    return bool(user.is_superuser) or any(g.role in MFA_REQUIRED_ROLES for g in grants_for(user))


def has_totp(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
