"""API authentication and throttling: ``Authorization: Bearer <token>`` (a personal API token) or
the browser session; requests are throttled per user, and wrong tokens per client address."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja.errors import Throttled
from ninja.security import HttpBearer
from ninja.throttling import UserRateThrottle

from hamkori.accounts.services import api_token_authenticate
from hamkori.core.api_errors import error_response


class UserThrottle(UserRateThrottle):
    """``HAMKORI_API_RATE`` requests per user (or per address when not signed in), counted in the
    shared cache. The rate is read on every request, so it follows the settings."""

    def __init__(self) -> None:
        super().__init__(rate=settings.HAMKORI_API_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.HAMKORI_API_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class _RefusedTokens(UserRateThrottle):
    """Counts refused tokens per client address: guessing is throttled before a token is looked up
    (ninja's own throttles run only after a successful authentication)."""

    scope = "refused_token"

    def __init__(self) -> None:
        super().__init__(rate=settings.HAMKORI_API_RATE)

    def get_cache_key(self, request: HttpRequest) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def exhausted(self, request: HttpRequest) -> bool:
        self.key = self.get_cache_key(request)
        self.history = cache.get(self.key, [])
        self.now = time.time()
        self.history = [t for t in self.history if t > self.now - (self.duration or 0)]
        return len(self.history) >= (self.num_requests or 0)

    def count(self) -> None:
        self.history.insert(0, self.now)
        cache.set(self.key, self.history, self.duration)


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``: a live personal API token of an active, unlocked user who
    holds a role. Refusals are audited (services.api_token_authenticate)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        refused = _RefusedTokens()
        if refused.exhausted(request):
            wait = refused.wait()
            raise Throttled(wait=math.ceil(wait) if wait is not None else None)
        user = api_token_authenticate(token=token)
        if user is None:
            refused.count()
            return None
        request.user = user
        return user


def require_api_user(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI schema is for signed-in users (a session or a Bearer token) only."""
    bearer = BearerToken()

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = getattr(request, "user", None)
        if not (user is not None and user.is_authenticated) and not bearer(request):
            return error_response(401)
        return view(request, *args, **kwargs)

    return wrapper
