from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class SiteInfo:
    """What allauth's mail templates read of ``current_site``."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: accounts are created by invitation only."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> Any:
        """Signing in on a browser that has not chosen a language: the account's language from then on."""
        response = super().post_login(request, user, **kwargs)
        language = getattr(user, "preferred_language", "")
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and language in dict(settings.LANGUAGES):
            from hamkori.accounts.language import set_language_cookie

            set_language_cookie(response, language)
        return response

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Setting up the *first* second factor (and reading its new recovery codes) within
        ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` of signing in with the password does not ask for the
        password again: the person typed it moments ago, and the set-up is forced on them right after
        signing in. With an authenticator older than the sign-in (adding another, removing one,
        new recovery codes later) and for password and address changes, it still asks."""
        required = super().is_reauthentication_required(app=app, **kwargs)
        if required and app == "allauth.mfa" and _first_factor_just_now():
            return False
        return required

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's mails greet "from" the current site: without the sites framework that is the
        request's host ("127.0.0.1:8000"). Ours say the site's name (``HAMKORI_SITE_NAME``)."""
        from allauth.core import context as allauth_context

        request = allauth_context.request
        site = SiteInfo(name=str(settings.HAMKORI_SITE_NAME), domain=request.get_host() if request else "")
        super().send_mail(template_prefix, email, {"current_site": site, **context})


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user: Any) -> str:
        return user.email

    def get_totp_issuer(self) -> str:
        return str(settings.MFA_TOTP_ISSUER)

    def can_delete_authenticator(self, authenticator: Any) -> bool:
        """Roles that must use a second factor cannot switch it off themselves."""
        from hamkori.accounts.middleware import needs_second_factor

        return not needs_second_factor(authenticator.user)


class EncryptingMFAAdapter(MFAAdapter):
    """TOTP secrets are stored encrypted with the data key, like every other secret we hold."""

    def encrypt(self, text: str) -> str:
        from hamkori.core import crypto

        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        from hamkori.core import crypto

        return crypto.decrypt(encrypted_text)


def _first_factor_just_now() -> bool:
    """The user signed in with their password in this session moments ago and had no authenticator then."""
    import time

    from allauth.account.internal.flows.login import get_authentication_records
    from allauth.core import context as allauth_context
    from allauth.mfa.models import Authenticator

    request = allauth_context.request
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return False
    records = [r for r in get_authentication_records(request, user) if r.get("method") == "password"]
    signed_in_at = float(records[-1].get("at", 0)) if records else 0.0
    if time.time() - signed_in_at >= settings.ACCOUNT_REAUTHENTICATION_TIMEOUT:
        return False
    # No authenticator yet, or only those set up since that sign-in (viewing the new recovery codes).
    since = dt.datetime.fromtimestamp(signed_in_at, tz=dt.UTC)
    return not Authenticator.objects.filter(user=user, created_at__lt=since).exists()
