"""The import driver: columns with translated labels, every row checked first, then all or nothing.

An importer declares its :class:`Column` list (key, translated label, help, required) and gives
:func:`run_import` three functions:

``check(keys, body)``
    turns the rows read by :func:`hamkori.kit.spreadsheets.read_table` into parsed rows and a list of
    :class:`RowError` (row number, column label, message). A :class:`RowContext` per row collects the
    problems of that row column by column.
``write(row)``
    writes one parsed row by calling services (never the ORM). It runs for every row in one
    transaction, and only when no row has a problem.
``finish(fmt, created)``
    runs in the same transaction after the last row (the importer's audit event).
``review(rows)`` (optional)
    runs when every row passed, before anything is written: what it returns (rows that need the
    user's decision, such as likely duplicates) stops the import; nothing is written and the user
    sees them in :attr:`ImportResult.review`, with the file's ``sha256`` to send the decisions with.

``write`` returns ``False`` for a row it did not create (a row the user said is someone already
registered): it is not counted in ``created``.

A service's ``ValidationError`` during the write (a check the rows did not foresee) undoes everything
and is reported against the row being written, its fields mapped to columns by ``service_fields``.
See docs/adr/0004-imports-and-exports.md for the rules every importer follows.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from hamkori.kit.spreadsheets import (
    LANGUAGES,
    Cell,
    FileRejected,
    cell_text,
    check_upload,
    looks_like_formula,
    norm,
    read_table,
)

R = TypeVar("R")


@dataclass(frozen=True)
class Column:
    """One column of an import: its machine key, its label (the header, in the user's language) and
    the help line of the template's help sheet."""

    key: str
    label: Promise
    help: Promise
    required: bool = False


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    """What an import did: rows created, or the problems (the file's, or every row's)."""

    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    problem: str = ""  # the whole file was refused
    review: list[Any] = field(default_factory=list)  # rows waiting for the user's decision
    sha256: str = ""  # of the file checked, to tie the decisions to it

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problem and not self.review


def header_labels(columns: Sequence[Column], aliases: Mapping[str, str] | None = None) -> dict[str, str]:
    """{normalised header: column key}: every column's label in Tajik, Russian and English, and its
    machine key. A label that means two columns in some language is left out (the key still works)."""
    found: dict[str, set[str]] = defaultdict(set)
    for lang in LANGUAGES:
        with translation.override(lang):
            for column in columns:
                found[norm(column.label)].add(column.key)
    mapping = {label: next(iter(keys)) for label, keys in found.items() if len(keys) == 1}
    for column in columns:
        mapping[norm(column.key)] = column.key
        mapping[norm(column.key.replace("_", " "))] = column.key
    for alias, key in (aliases or {}).items():
        mapping.setdefault(norm(alias), key)
    return mapping


def map_headers(
    header: list[str],
    columns: Sequence[Column],
    aliases: Mapping[str, str] | None = None,
    more_problems: Callable[[list[str | None]], Iterable[str]] | None = None,
) -> list[str | None]:
    """Column keys in file order (None for a blank header); :class:`FileRejected` for unknown or
    repeated headers, missing required columns and whatever ``more_problems(keys)`` finds."""
    labels = header_labels(columns, aliases)
    keys: list[str | None] = []
    problems = []
    for index, raw in enumerate(header):
        text = raw.strip()
        if not text:
            keys.append(None)
            continue
        key = labels.get(norm(text))
        if key is None:
            problems.append(_("Column %(n)s: unknown header %(header)s.") % {"n": index + 1, "header": text})
        elif key in keys:
            problems.append(_("Column %(n)s: the column %(header)s appears twice.") % {"n": index + 1, "header": text})
        keys.append(key)
    for column in columns:
        if column.required and column.key not in keys:
            problems.append(_("The column %(header)s is missing.") % {"header": column.label})
    if more_problems is not None:
        problems.extend(more_problems(keys))
    if problems:
        raise FileRejected(" ".join(str(p) for p in problems))
    return keys


class RowContext:
    """One row being checked: its values by column key and its problems, column by column."""

    def __init__(self, number: int, labels: Mapping[str, str]) -> None:
        self.number = number
        self.labels = labels
        self.values: dict[str, Cell] = {}
        self.errors: list[RowError] = []

    def read(
        self, cells: list[Cell], keys: list[str | None], accept: Callable[[str, str], str | None] | None = None
    ) -> None:
        """Take the row's cells by column key. A value under no header is a problem; a text that
        looks like a formula is refused ("formulas are not accepted") unless ``accept(key, text)``
        returns the value to keep instead (a phone number starting with ``+``)."""
        for index, value in enumerate(cells):
            key = keys[index] if index < len(keys) else None
            if key is None:
                if cell_text(value):
                    self.errors.append(
                        RowError(
                            self.number,
                            "",
                            _("There is a value in column %(n)s, which has no header.") % {"n": index + 1},
                        )
                    )
                continue
            if isinstance(value, str):
                kept = accept(key, value) if accept is not None else None
                if kept is not None:
                    self.values[key] = kept
                    continue
                if looks_like_formula(value):
                    self.error(key, _("Formulas are not accepted: write the value itself."))
                    self.values[key] = None
                    continue
            self.values[key] = value

    def text(self, key: str) -> str:
        return cell_text(self.values.get(key))

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.number, self.labels.get(key, "") if key else "", message))

    def ok(self, key: str) -> bool:
        """No problem found yet in this column of this row."""
        label = self.labels.get(key, "")
        return not any(e.column == label for e in self.errors)


@dataclass
class Importer(Generic[R]):
    """The three steps of one import (see the module's docstring)."""

    check: Callable[[list[str], list[tuple[int, list[Cell]]]], tuple[list[R], list[RowError]]]
    write: Callable[[R], bool | None]
    finish: Callable[[str, int], None]
    row_of: Callable[[R], int]
    labels: Mapping[str, str] = field(default_factory=dict)
    service_fields: Mapping[str, str] = field(default_factory=dict)
    preflight: Callable[[], None] | None = None  # may raise FileRejected before the file is read
    review: Callable[[list[R]], list[Any]] | None = None  # rows needing a decision stop the import


def run_import(importer: Importer[R], *, filename: str, data: bytes, content_type: str = "") -> ImportResult:
    """Check the upload and every row, then write all rows in one transaction, or nothing at all."""
    result = ImportResult(sha256=hashlib.sha256(data).hexdigest())
    try:
        fmt = check_upload(filename, len(data), content_type)
        if importer.preflight is not None:
            importer.preflight()
        header, body = read_table(fmt, data)
        parsed, errors = importer.check(header, body)
    except FileRejected as exc:
        result.problem = exc.message
        return result
    if errors:
        result.errors = errors
        return result
    if importer.review is not None:
        result.review = importer.review(parsed)
        if result.review:
            return result
    current: R | None = None
    try:
        with transaction.atomic():
            for current in parsed:
                if importer.write(current) is not False:
                    result.created += 1
            importer.finish(fmt, result.created)
    except ValidationError as exc:
        result.created = 0
        row = importer.row_of(current) if current is not None else 0
        messages = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
        for key, texts in messages:
            key = importer.service_fields.get(key, key)
            label = importer.labels.get(key, "")
            result.errors.extend(RowError(row, label, str(t)) for t in texts)
    return result
