"""The attendance screen's one form and the tally form.

Both read many inputs named after a row or a cell (``role-<person id>``, ``t-<sex>-<band>-<role id>``), so
they parse ``self.data`` in ``clean`` instead of declaring a field per row; the services check everything
that needs the database (who may be listed, which roles and organisations exist, negative numbers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hamkori.events.attendance import MAX_PARTICIPANTS, Cell, Entry
from hamkori.people.models import AgeBand, Sex

#: An id in a form (a bigint has at most 19 digits).
_MAX_DIGITS = 19


def _id(value: str) -> int | None:
    """An id from a form value, ``None`` when empty; ``ValueError`` when it is not a whole positive number."""
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > _MAX_DIGITS or int(value) == 0:
        raise ValueError(value)
    return int(value)


def _id_or_none(value: str) -> int | None:
    try:
        return _id(value)
    except ValueError:
        return None


class AttendanceForm(forms.Form):
    """``person``: the ids ticked (many); ``role-<id>`` and ``org-<id>``: each row's role and organisation;
    ``q``: a name or code to search for. ``cleaned_data["entries"]`` holds what to save."""

    q = forms.CharField(label=gettext_lazy("Name or code"), required=False, max_length=200)

    def _list(self, key: str) -> list[str]:
        getlist = getattr(self.data, "getlist", None)
        return list(getlist(key)) if getlist else []

    def ticked(self) -> list[int]:
        """The ids ticked that are whole numbers (for showing the screen again; ``clean`` refuses the rest)."""
        ids = (_id_or_none(value) for value in self._list("person")[: MAX_PARTICIPANTS + 1])
        return list(dict.fromkeys(pk for pk in ids if pk is not None))

    def chosen(self, pk: int) -> tuple[int | None, int | None]:
        """The role and organisation chosen on ``pk``'s row (``None`` when empty or not a number)."""
        return _id_or_none(self.data.get(f"role-{pk}", "")), _id_or_none(self.data.get(f"org-{pk}", ""))

    def has_row(self, pk: int) -> bool:
        """Whether the screen sent a row for ``pk`` (ticked or not)."""
        return f"role-{pk}" in self.data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = self._list("person")
        if len(raw) > MAX_PARTICIPANTS:
            raise forms.ValidationError(_("At most %(n)s named participants per event.") % {"n": MAX_PARTICIPANTS})
        entries = []
        for value in raw:
            try:
                pk = _id(value)
            except ValueError:
                pk = None
            if pk is None:
                raise forms.ValidationError(_("Choose people from the list."))
            try:
                role = _id(self.data.get(f"role-{pk}", ""))
            except ValueError:
                raise forms.ValidationError(_("Choose roles from the programme's list.")) from None
            try:
                org = _id(self.data.get(f"org-{pk}", ""))
            except ValueError:
                raise forms.ValidationError(_("Choose organisations from the list.")) from None
            entries.append(Entry(person=pk, role=role, organisation=org))
        data["entries"] = entries
        return data


def cell_name(sex: str, band: str, role: int) -> str:
    return f"t-{sex}-{band}-{role}"


class TallyForm(forms.Form):
    """One whole number a cell, ``t-<sex>-<band>-<role id>`` for the roles given; ``cleaned_data["cells"]``
    holds the raw values by (sex, age band, role id), for ``tally_save`` to check."""

    def __init__(self, data: Any = None, *, roles: Sequence[Any] = ()) -> None:
        super().__init__(data)
        self.roles = list(roles)

    def cells_of(self) -> Iterable[Cell]:
        for role in self.roles:
            for band in AgeBand.values:
                for sex in Sex.values:
                    yield (sex, band, role.pk)

    def raw(self, cell: Cell) -> str:
        return str(self.data.get(cell_name(*cell), "")).strip()[:20]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["cells"] = {cell: self.raw(cell) for cell in self.cells_of()}
        return data
