from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ names|get_item:person.pk }}``"""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def at(sequence: Any, index: int) -> Any:
    """``{{ header_row|at:forloop.counter0 }}``: the item at a position, or "" past the end."""
    try:
        return sequence[index]
    except (IndexError, KeyError, TypeError):
        return ""
