"""Form fields of the kit that every app's forms use."""

from __future__ import annotations

from typing import Any

from django import forms

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


ISO_TIME = "%H:%M"


class ISOTimeInput(forms.TimeInput):
    """``<input type="time">`` in every language, valued ``HH:MM`` (24 hours). A ``TimeInput`` left to
    itself renders the locale's format (seconds included, or another separator), which a phone's time
    field may drop and show empty; the field itself shows the time the phone's way."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format=format or ISO_TIME)


class ISOTimeField(forms.TimeField):
    """A time field whose widget is :class:`ISOTimeInput` (the form still accepts ``HH:MM:SS``)."""

    widget = ISOTimeInput
    input_formats = [ISO_TIME, "%H:%M:%S", "%H.%M"]
