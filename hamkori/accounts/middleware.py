"""Session policy: 30 minutes idle (the cookie's age, renewed on each request) and 12 hours in all;
a locked account's sessions end on their next request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_STARTED = "hamkori_started"
SESSION_SEEN = "hamkori_seen"


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
