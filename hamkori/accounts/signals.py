"""Audit receivers for authentication events that happen inside libraries (allauth, Django auth).
They only record; no business logic lives here."""

from __future__ import annotations

from typing import Any

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from hamkori.core import audit


@receiver(auth_signals.user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action="auth.sign_in", obj=user)


@receiver(auth_signals.user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(actor=user, action="auth.sign_out", obj=user)


@receiver(auth_signals.user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    login = str(credentials.get("email") or credentials.get("username") or credentials.get("login") or "")[:200]
    audit.record(actor=None, action="auth.sign_in_failed", outcome="denied", object_repr=login)


@receiver(mfa_signals.authentication_failed)
def _second_factor_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action="auth.second_factor_failed", outcome="denied", obj=user)
