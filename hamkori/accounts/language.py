"""The language a person reads Hamkori in: Django's language cookie, set as its ``set_language`` view
sets it, from an invitation link and at sign-in (the account's preferred language)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseBase


def set_language_cookie(response: HttpResponseBase, language: str) -> HttpResponseBase:
    """The language cookie, as Django's ``set_language`` view sets it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )
    return response
