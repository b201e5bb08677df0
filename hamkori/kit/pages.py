"""The plumbing of a server-rendered page: one way to answer htmx, one error path for forms, and
query strings built with proper encoding.

``render_page(request, template, context, partial="rows")``
    the whole page, or for an htmx request (``request.htmx``, django-htmx) only the
    ``{% partialdef rows %}`` of the same template (django-template-partials, ``template#rows``).
    Always ``Vary: HX-Request``, so a cache never hands the fragment to a full page load.
``form_then_service(form, call)``
    validate the form, call the service with its cleaned data, and turn a service's
    ``ValidationError`` into form errors; the :class:`Outcome` is true when it all succeeded.
``querystring(params, page=2)``
    ``district=TJ%20GB&page=2``: non-empty values, URL-encoded (the template tag
    ``{% query params page=n %}`` from ``{% load kit %}`` and the pager include ``kit/_pager.html``
    use it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

T = TypeVar("T")


def is_htmx(request: HttpRequest) -> bool:
    """The request was sent by htmx (django-htmx's ``request.htmx``; false without its middleware)."""
    return bool(getattr(request, "htmx", False))


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    partial: str | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """Render ``template``, or only its partial ``partial`` when htmx asks; ``Vary: HX-Request``."""
    name = f"{template}#{partial}" if partial and is_htmx(request) else template
    response = render(request, name, dict(context or {}), status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def errors_to_form(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: field errors on their fields (or on the form
    when the form has no such field), other errors on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@dataclass
class Outcome(Generic[T]):
    """What :func:`form_then_service` did: ``ok`` (true as a whole), the service's ``value``, and the
    status a page showing the form again answers with (422 Unprocessable Content on failure)."""

    ok: bool
    result: T | None = None

    def __bool__(self) -> bool:
        return self.ok

    @property
    def value(self) -> T:
        """What the service returned (only meaningful when ``ok``)."""
        return cast(T, self.result)

    @property
    def status(self) -> int:
        return 200 if self.ok else 422


def form_then_service(form: forms.Form, call: Callable[[dict[str, Any]], T]) -> Outcome[T]:
    """One error path for every form: validate ``form``, then ``call(form.cleaned_data)`` (the
    service); a ``ValidationError`` it raises lands on the form. ``call`` may itself add an error to
    the form and return without writing (for example "no person with this code"): that fails too."""
    if not form.is_valid():
        return Outcome(ok=False)
    try:
        value = call(form.cleaned_data)
    except ValidationError as exc:
        errors_to_form(form, exc)
        return Outcome(ok=False)
    if form.errors:
        return Outcome(ok=False)
    return Outcome(ok=True, result=value)


def querystring(params: Mapping[str, Any], **more: Any) -> str:
    """``params`` and ``more`` as a URL-encoded query string, empty values left out."""
    items = {**params, **more}
    return urlencode([(k, str(v)) for k, v in items.items() if v not in (None, "")])
