from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: accounts are created by invitation only."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


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
