"""How django-axes sees a sign-in attempt: by the account (the email allauth sends), so that one
person's typos lock only their own account, never everyone behind the same address (an office, a
mobile carrier's NAT); and what the person is told when they are locked out."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def attempted_login(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> str | None:
    """The account a sign-in attempt is for (``AXES_USERNAME_CALLABLE``): allauth authenticates with
    ``email=…`` (sign-in and reauthentication); its form field is ``login``. Emails are compared
    case-insensitively, as the sign-in itself does."""
    value: Any = None
    if credentials:
        value = credentials.get("email") or credentials.get("login") or credentials.get("username")
    if not value and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get("login") or data.get("email")
    if not value or not isinstance(value, str):
        return None
    return value.strip().lower()[:255] or None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: a translated page that says how long the lock lasts (429)."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else 0
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
