"""``{% load kit %}``: ``{% query params page=3 %}`` gives ``district=TJ-GB&page=3``, URL-encoded,
empty values left out (:func:`hamkori.kit.pages.querystring`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from hamkori.kit.pages import querystring

register = template.Library()


@register.simple_tag
def query(params: Mapping[str, Any] | None = None, **more: Any) -> str:
    return querystring(params or {}, **more)
