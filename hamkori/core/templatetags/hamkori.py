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


@register.filter
def chunks(text: Any, size: int = 4) -> list[str]:
    """``{{ secret|chunks:4 }}``: the text cut into blocks of ``size`` characters (a key read aloud or
    typed by hand on a phone)."""
    text = str(text or "")
    size = max(int(size), 1)
    return [text[i : i + size] for i in range(0, len(text), size)]
