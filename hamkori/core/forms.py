"""Form helpers shared by every app's views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError


def errors_to_form(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: field errors on their fields (or on the form
    when the form has no such field), other errors on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


ISO_DATE = "%Y-%m-%d"


class ISODateInput(forms.DateInput):
    """``<input type="date">`` in every language. A browser's date field accepts only ``YYYY-MM-DD``; a
    ``DateInput`` left to itself renders the locale's format (``28.11.2026`` in Tajik and Russian), which the
    browser drops, so the person sees an empty field. Dates shown as text use the locale's format instead."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format=format or ISO_DATE)


class ISODateField(forms.DateField):
    """A date field whose widget is :class:`ISODateInput` (the form still accepts the locale's formats)."""

    widget = ISODateInput
