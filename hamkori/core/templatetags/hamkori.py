from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from hamkori.core.disclosure import SMALL

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


@register.simple_tag
def disclosed(cell: Any) -> str:
    """A cell of a protected table (``hamkori.core.disclosure.Cell``): its count, or the mark of a
    hidden cell with the reason spelled out for screen readers and on hover. A small count ("<5")
    and a cell hidden only to protect another ("x") look different, so "<5" is never shown for a
    count of 5 or more. The legend (``core/_disclosure_legend.html``) explains both marks."""
    if not cell.suppressed:
        return format_html("{}", cell.value)
    if cell.reason == SMALL:
        why = _("hidden: a small count, from 1 to %(max)s") % {"max": _max_small(cell.label)}
        css = "suppressed small"
    else:
        why = _("hidden to protect another cell")
        css = "suppressed secondary"
    return format_html(
        '<span class="{}" title="{}">{}<span class="visually-hidden"> ({})</span></span>', css, why, cell.label, why
    )


def _max_small(label: str) -> str:
    digits = label.lstrip("<")
    return str(int(digits) - 1) if digits.isdigit() else "4"


@register.filter
def safe_lines(table: Any, total_label: str) -> Any:
    """``{% for label, cells in table|safe_lines:total_label %}``: rows of a protected table as cells."""
    return table.lines(total_label=total_label)
