from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from hamkori.accounts.services import api_token_user


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``: a personal API token of an active, unlocked user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_user(token)
        if user is None:
            return None
        request.user = user
        return user
