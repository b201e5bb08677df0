"""Pages of one programme (``/p/<code>/...``): the view declares the action it needs and the
permission registry decides (see docs/adr/0002-access-control.md and docs/adr/0007-layers.md)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from hamkori.access.policy import decide, deny, get_for_user, role_in
from hamkori.core.views_access import View, ViewAccess
from hamkori.programmes.models import Programme


class ProgrammeRequest(HttpRequest):
    """The request a programme page receives: :func:`programme_view` has set ``programme`` (visible to
    the user, the action allowed) and ``role`` (the user's role in it). Typing only: annotate a
    programme page's ``request`` with it instead of ignoring ``attr-defined``."""

    programme: Programme
    role: str | None


def programme_view(*, action: str) -> Callable[[View], View]:
    """A page under ``/p/<code>/``: the programme must be visible to the user (else 404) and the
    registry must allow ``action`` on it (``decide(user, action, programme)``, else 403 with the
    registry's reason). Sets ``request.programme`` and ``request.role``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            programme = get_for_user(request.user, Programme, code=code)
            decision = decide(request.user, action, programme)
            if not decision:
                deny(request.user, f"view.{view.__name__}", programme, decision.reason)
            page = cast(ProgrammeRequest, request)
            page.programme = programme
            page.role = role_in(request.user, programme)
            return view(page, *args, **kwargs)

        wrapped.hamkori_access = ViewAccess(programme=True, action=action)  # type: ignore[attr-defined]
        return wrapped

    return decorate
