"""Dates and numbers in our forms reach the browser in the one format it accepts, in every language.

A browser's ``<input type="date">`` takes only ``YYYY-MM-DD`` and ``<input type="number">`` only a plain
number (``1000.5``, never ``1 000,5``); anything else is dropped and the person sees an empty field. Every
Form subclass in hamkori is rendered in Tajik, Russian and English with a date and a number in each field."""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import pkgutil
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.utils import translation

import hamkori

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
INPUT = re.compile(r"<input\b[^>]*>")
pytestmark = pytest.mark.django_db  # the shared fixtures touch the cache table
TEMPLATES = Path(hamkori.__file__).parent / "templates"


def hamkori_forms() -> list[type[forms.Form]]:
    for module in pkgutil.walk_packages(hamkori.__path__, "hamkori."):
        if module.name.rsplit(".", 1)[-1] in ("forms", "views_io"):
            importlib.import_module(module.name)
    found: list[type[forms.Form]] = []
    todo = list(forms.Form.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("hamkori.") and cls not in found:
            found.append(cls)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


def sample(field: forms.Field) -> object | None:
    if isinstance(field, forms.DateField):
        return dt.date(2026, 11, 28)
    if isinstance(field, forms.DecimalField):
        return Decimal("309304.50")
    if isinstance(field, forms.FloatField):
        return 1000.5
    if isinstance(field, forms.IntegerField):  # large enough for a thousands separator, where allowed
        return 12345 if field.max_value is None else min(12345, field.max_value)
    return None


def attribute(tag: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', tag)
    return match.group(1) if match else None


def test_every_form_is_found() -> None:
    names = {c.__name__ for c in hamkori_forms()}
    assert {"ProgrammeForm", "MembershipForm", "ConsentForm", "BalancePolicyForm", "ImportForm"} <= names


def has_dates_or_numbers(form_class: type[forms.Form]) -> bool:
    return any(sample(f) is not None for f in form_class.base_fields.values())


def test_forms_with_dates_or_numbers_are_found() -> None:
    """The parametrised test below covers only forms with a date or a number (no skipped cases)."""
    assert len([c for c in hamkori_forms() if has_dates_or_numbers(c)]) >= 5


@pytest.mark.parametrize("language", ["tg", "ru", "en"])
@pytest.mark.parametrize(
    "form_class", [c for c in hamkori_forms() if has_dates_or_numbers(c)], ids=lambda c: c.__name__
)
def test_dates_and_numbers_render_as_the_browser_accepts_them(form_class: type[forms.Form], language: str) -> None:
    # The form's own fields, each rendered with a date or a number, in a form that needs no programme or user.
    fields = {name: copy.deepcopy(f) for name, f in form_class.base_fields.items() if sample(f) is not None}
    probe = type("Probe", (forms.Form,), dict(fields))
    form = probe(initial={name: sample(f) for name, f in fields.items()})
    with translation.override(language):
        html = str(form)
        # ... and what the browser sends back is read as the same value.
        sent = {attribute(tag, "name"): attribute(tag, "value") for tag in INPUT.findall(html)}
        back = probe(data=sent)
        assert back.is_valid(), back.errors
    assert back.cleaned_data == {name: sample(f) for name, f in fields.items()}
    bad = []
    for tag in INPUT.findall(html):
        kind, value = attribute(tag, "type"), attribute(tag, "value")
        accepted = {"date": ISO_DATE, "number": PLAIN_NUMBER, "hidden": PLAIN_NUMBER}.get(kind or "")
        if kind == "text" and attribute(tag, "inputmode") in ("numeric", "decimal"):
            accepted = PLAIN_NUMBER  # a whole number typed on the digit keyboard, never localised
        if accepted is None:
            bad.append(f"a date or number field renders as {tag}")
        elif not (value and accepted.match(value)):
            bad.append(tag)
    assert bad == [], f"{form_class.__name__} in {language}: {bad}"


def test_hand_written_date_and_number_inputs_in_templates_are_unlocalised() -> None:
    bad = []
    for path in TEMPLATES.rglob("*.html"):
        for tag in INPUT.findall(path.read_text()):
            kind, value = attribute(tag, "type"), attribute(tag, "value")
            if not value or "{{" not in value:
                continue
            if kind == "date" and not re.search(r"\|date:['\"]Y-m-d['\"]", value):
                bad.append(f"{path.relative_to(TEMPLATES)}: {tag}")
            if kind == "number" and "|unlocalize" not in value and "{% localize off %}" not in path.read_text():
                bad.append(f"{path.relative_to(TEMPLATES)}: {tag}")
    assert bad == []
