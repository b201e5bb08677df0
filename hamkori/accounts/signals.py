"""Audit receivers for authentication events that happen inside libraries (allauth, Django auth).
They only record, or hand a credential change to its service; no business logic lives here."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from hamkori.accounts import services
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


# --- Changes of sign-in credentials (security review finding 6): each is audited; a new password or a
# removed second factor also revokes the user's API tokens. The receivers only hand over to the
# service (services.user_credentials_changed); allauth itself mails the notice to the (old) address.
@receiver(account_signals.email_added)
def _email_added(sender: Any, request: Any, user: Any, email_address: Any, **kwargs: Any) -> None:
    audit.record(
        actor=user,
        action="auth.email_added",
        obj=user,
        summary={"email": email_address.email, "verified": bool(email_address.verified)},
    )


@receiver(account_signals.email_confirmed)
def _email_confirmed(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    audit.record(
        actor=email_address.user,
        action="auth.email_confirmed",
        obj=email_address.user,
        summary={"email": email_address.email},
    )


@receiver(account_signals.email_changed)
def _email_changed(
    sender: Any, request: Any, user: Any, from_email_address: Any, to_email_address: Any, **kwargs: Any
) -> None:
    audit.record(
        actor=user,
        action="auth.email_changed",
        obj=user,
        summary={"from": from_email_address.email if from_email_address else None, "to": to_email_address.email},
    )


@receiver(account_signals.email_removed)
def _email_removed(sender: Any, request: Any, user: Any, email_address: Any, **kwargs: Any) -> None:
    audit.record(actor=user, action="auth.email_removed", obj=user, summary={"email": email_address.email})


@receiver(account_signals.password_changed)
def _password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.user_credentials_changed(actor=user, user=user, change="password_change")


@receiver(account_signals.password_set)
def _password_set(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.user_credentials_changed(actor=user, user=user, change="password_set")


@receiver(account_signals.password_reset)
def _password_reset(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.user_credentials_changed(actor=user, user=user, change="password_reset")


@receiver(mfa_signals.authenticator_added)
def _second_factor_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    services.user_credentials_changed(
        actor=user, user=user, change="second_factor_added", summary={"type": authenticator.type}
    )


@receiver(mfa_signals.authenticator_removed)
def _second_factor_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    services.user_credentials_changed(
        actor=user, user=user, change="second_factor_removed", summary={"type": authenticator.type}
    )


@receiver(mfa_signals.authenticator_reset)
def _recovery_codes_renewed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    services.user_credentials_changed(
        actor=user, user=user, change="second_factor_renewed", summary={"type": authenticator.type}
    )
