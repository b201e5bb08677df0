"""``{% load kit %}``: ``{% query params page=3 %}`` gives ``district=TJ-GB&page=3``, URL-encoded,
empty values left out (:func:`hamkori.kit.pages.querystring`); ``form|fields_with_errors`` lists the
bound fields the error summary (``kit/_errors.html``) links to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from hamkori.kit.pages import querystring

register = template.Library()


@register.simple_tag
def query(params: Mapping[str, Any] | None = None, **more: Any) -> str:
    return querystring(params or {}, **more)


@register.filter
def fields_with_errors(form: Any) -> list[Any]:
    """The bound fields of ``form`` that have errors, in the form's order (hidden ones too)."""
    if not form or not getattr(form, "errors", None):
        return []
    return [field for field in form if field.errors]
