from typing import Any

from django import template
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.html import format_html
from django.utils.translation import get_language
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


_LABELS: dict[tuple[Any, str], dict[Any, str]] = {}


@register.filter
def display(obj: Any, field_name: str) -> Any:
    """``{{ person|display:"sex" }}`` is ``{{ person.get_sex_display }}``, with the field's labels
    translated once per language rather than on every call (Django hashes every lazy label each
    time: a tenth of a second over a page listing 200 people)."""
    field = obj._meta.get_field(field_name)
    key = (field, get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {make_hashable(value): str(label) for value, label in field.flatchoices}
    value = getattr(obj, field.attname)
    return force_str(labels.get(make_hashable(value), value), strings_only=True)


@register.filter
def with_id(url: str, pk: Any) -> str:
    """``{% url 'person_detail' code 0 as person_url %}`` once, then ``{{ person_url|with_id:p.pk }}``
    on each row: the address ``{% url 'person_detail' code p.pk %}`` gives, without reversing it
    again for every row. The last ``/0/`` of ``url`` is the one replaced."""
    head, zero, tail = url.rpartition("/0/")
    if not zero:
        raise ValueError(f"{url!r} has no /0/ to put the id in")
    return f"{head}/{int(pk)}/{tail}"


@register.filter
def chunks(text: Any, size: int = 4) -> list[str]:
    """``{{ secret|chunks:4 }}``: the text cut into blocks of ``size`` characters (a key read aloud or
    typed by hand on a phone)."""
    text = str(text or "")
    size = max(int(size), 1)
    return [text[i : i + size] for i in range(0, len(text), size)]


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
