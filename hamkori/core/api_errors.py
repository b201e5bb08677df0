"""The API's one error format, and the handlers that give it to every error.

Every 4xx and 5xx answer of ``/api/`` is ``application/json``::

    {"code": "invalid", "detail": "Check the fields listed.", "errors": {"offset": ["..."]}}

``code`` is a stable machine word (:data:`CODES`), ``detail`` a translated sentence for a person, and
``errors`` maps a field (a query parameter, a body field, or ``__all__``) to translated messages;
it is empty when no field is to blame. Endpoints declare their error answers with
:func:`responses` so the OpenAPI schema lists every status they can give.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("hamkori.api")

CONTENT_TYPE = "application/json; charset=utf-8"  # as django-ninja answers
#: status → ``code``
CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid",
    429: "throttled",
    500: "server_error",
}
#: Largest ``offset`` a list accepts (a bounded integer: the databases' limits are far above).
MAX_OFFSET = 2_147_483_647
#: Largest id a path accepts (a bigint).
MAX_ID = 9_223_372_036_854_775_807


class ErrorOut(Schema):
    """Every error answer of the API."""

    code: str
    detail: str
    errors: dict[str, list[str]]


#: Kept for the apps' imports: one schema for every error.
FieldErrorsOut = ErrorOut

#: Every endpoint that needs a signed-in user can answer these (429: the API's rate limit).
SIGNED_IN = (400, 401, 403, 404, 422, 429)
#: Public endpoints (no sign-in).
PUBLIC = (400, 404, 422, 429)


def responses(ok: dict[int, Any], errors: tuple[int, ...] = SIGNED_IN) -> dict[int, Any]:
    """A ``response=`` declaration: the success answers plus the error answers, all ``ErrorOut``."""
    return {**ok, **dict.fromkeys(errors, ErrorOut)}


def error_body(status: int, detail: str = "", errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "code": CODES.get(status, "error"),
        "detail": detail or _default_detail(status),
        "errors": errors or {},
    }


def error_response(status: int, detail: str = "", errors: dict[str, list[str]] | None = None) -> JsonResponse:
    return JsonResponse(error_body(status, detail, errors), status=status, content_type=CONTENT_TYPE)


def _default_detail(status: int) -> str:
    return {
        400: _("The request could not be read."),
        401: _("Sign in, or send a valid API token."),
        403: _("This action is not allowed."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        422: _("Check the fields listed."),
        429: _("Too many requests: wait a little and try again."),
    }.get(status, _("Something went wrong on our side."))


def field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """``{field: [message]}`` (messages as plain, translated strings)."""
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}


def _request_field_errors(exc: NinjaValidationError) -> dict[str, list[str]]:
    """Pydantic's errors on the request, keyed by the field's name (``["query", "offset"]`` →
    ``offset``; a nested body field → ``personal.phone``)."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ())]
        # The source ("query", "path", "body") and ninja's name of the body parameter go.
        if loc and loc[0] in {"query", "path", "body", "header", "cookie", "form", "file"}:
            loc = loc[1:]
        if loc and loc[0] == "payload":
            loc = loc[1:]
        field = ".".join(loc) or NON_FIELD_ERRORS
        errors.setdefault(field, []).append(str(error.get("msg", _("Invalid value."))))
    return errors


def install(api: NinjaAPI) -> None:
    """Give every error of ``api`` the one format."""

    def validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, error_body(422, errors=_request_field_errors(exc)), status=422)

    def django_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, error_body(422, errors=field_errors(exc)), status=422)

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        status = exc.status_code
        detail = "" if isinstance(exc, AuthenticationError) or status == 400 else str(exc)
        return api.create_response(request, error_body(status, detail), status=status)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, error_body(404), status=404)

    def denied(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, error_body(403, str(exc)), status=403)

    def server_error(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return api.create_response(request, error_body(500), status=500)

    api.add_decorator(refuse_nul_characters, mode="view")
    api.add_exception_handler(NinjaValidationError, validation)
    api.add_exception_handler(DjangoValidationError, django_validation)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, denied)
    api.add_exception_handler(Exception, server_error)


def _has_nul(request: HttpRequest, kwargs: dict[str, Any]) -> bool:
    values = [*request.GET.keys(), *(v for vs in request.GET.lists() for v in vs[1]), *map(str, kwargs.values())]
    # A NUL in a JSON body arrives raw or escaped.
    return any("\x00" in v for v in values) or b"\x00" in request.body or b"\\u0000" in request.body


def refuse_nul_characters(view: Callable[..., Any]) -> Callable[..., Any]:
    """PostgreSQL cannot hold a NUL character in text (Django's forms refuse it too): a request
    carrying one answers 400 before it reaches a query."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if _has_nul(request, kwargs):
            return error_response(400, _("The request contains a NUL character."))
        return view(request, *args, **kwargs)

    return wrapper


def api_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """A refusal (``PermissionDenied``) answers 403 with its reason; a service's
    ``ValidationError`` answers 422 with the field errors (both in the one format)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            raise HttpError(403, str(exc) or _("This action is not allowed.")) from exc

    return wrapper


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under ``/api/``: a JSON 404, not the site's HTML page."""
    return error_response(404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: under ``/api/`` (a session used without its CSRF token) the API's
    JSON 403; everywhere else Django's page."""
    if request.path.startswith("/api/"):
        return error_response(403, _("CSRF check failed: send the X-CSRFToken header, or use an API token."))
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)
