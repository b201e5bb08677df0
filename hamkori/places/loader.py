"""Reading a places file (the format of ``data/tajikistan.csv``, see ``data/README.md``).

The loader works on any model class with Place's fields, so a data migration can call it with the
historical model. Validation happens before any write; callers wrap it in a transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hamkori.core.text import name_key

DATA_FILE = Path(__file__).parent / "data" / "tajikistan.csv"
COLUMNS = [
    "code",
    "level",
    "parent_code",
    "name_tg",
    "name_ru",
    "name_en",
    "aliases",
    "valid_from",
    "valid_to",
    "source",
]
LEVELS = {"country", "region", "district", "city", "jamoat", "town", "village", "mahalla"}


class PlacesFileError(ValueError):
    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"row {n}: {msg}" for n, msg in errors))


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    codes: list[str] = field(default_factory=list)


def parse_date(value: str) -> tuple[dt.date | None, str]:
    value = (value or "").strip()
    if not value:
        return None, "day"
    if len(value) == 4 and value.isdigit():
        return dt.date(int(value), 1, 1), "year"
    return dt.date.fromisoformat(value), "day"


def read_rows(source: str | bytes | Path | Iterable[str]) -> list[dict[str, str]]:
    if isinstance(source, Path):
        text = source.read_text(encoding="utf-8-sig")
    elif isinstance(source, bytes):
        text = source.decode("utf-8-sig")
    elif isinstance(source, str):
        text = source
    else:
        text = "".join(source)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise PlacesFileError([(1, f"missing columns: {', '.join(missing)}")])
    return [dict(row) for row in reader]


def validate(rows: list[dict[str, str]], existing_codes: set[str]) -> list[dict[str, Any]]:
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        level = (row.get("level") or "").strip()
        parent = (row.get("parent_code") or "").strip()
        if not code:
            errors.append((number, "code is empty"))
            continue
        if code in seen:
            errors.append((number, f"code {code} appears twice"))
        seen.add(code)
        if level not in LEVELS:
            errors.append((number, f"unknown level {level!r}"))
        if parent and parent not in seen and parent not in existing_codes:
            errors.append((number, f"parent {parent} is not defined before this row"))
        if not any((row.get(k) or "").strip() for k in ("name_tg", "name_ru", "name_en")):
            errors.append((number, "no name in any language"))
        try:
            valid_from, precision = parse_date(row.get("valid_from", ""))
            valid_to, _ = parse_date(row.get("valid_to", ""))
        except ValueError:
            errors.append((number, "valid_from/valid_to must be YYYY or YYYY-MM-DD"))
            continue
        aliases = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
        names = [row.get("name_tg", ""), row.get("name_ru", ""), row.get("name_en", ""), *aliases]
        clean.append(
            {
                "code": code,
                "level": level,
                "parent_code": parent,
                "name_tg": (row.get("name_tg") or "").strip(),
                "name_ru": (row.get("name_ru") or "").strip(),
                "name_en": (row.get("name_en") or "").strip(),
                "aliases": aliases,
                "valid_from": valid_from,
                "valid_from_precision": precision,
                "valid_to": valid_to,
                "source": (row.get("source") or "").strip()[:500],
                "search_text": " ".join(sorted({name_key(n) for n in names if n} | {n.casefold() for n in names if n})),
            }
        )
    if errors:
        raise PlacesFileError(errors)
    return clean


def load(place_model: Any, source: str | bytes | Path | Iterable[str] = DATA_FILE) -> LoadResult:
    """Create or update places by code. Codes never change; names, parents and dates may."""
    rows = read_rows(source)
    existing = {p.code: p for p in place_model.objects.all()}
    clean = validate(rows, set(existing))
    result = LoadResult()
    fields = [
        "level",
        "name_tg",
        "name_ru",
        "name_en",
        "aliases",
        "valid_from",
        "valid_from_precision",
        "valid_to",
        "source",
        "search_text",
    ]
    for row in clean:
        parent = existing.get(row["parent_code"]) if row["parent_code"] else None
        path = f"{parent.path if parent else '/'}{row['code']}/"
        depth = parent.depth + 1 if parent else 0
        place = existing.get(row["code"])
        values = {f: row[f] for f in fields} | {"parent": parent, "path": path, "depth": depth}
        if place is None:
            place = place_model.objects.create(code=row["code"], **values)
            result.created += 1
        else:
            changed = [k for k, v in values.items() if getattr(place, k) != v]
            if changed:
                for k in changed:
                    setattr(place, k, values[k])
                place.save()
                result.updated += 1
            else:
                result.unchanged += 1
        existing[row["code"]] = place
        result.codes.append(row["code"])
    # A moved parent changes the paths of everything beneath it.
    for place in sorted(existing.values(), key=lambda p: p.depth):
        if place.parent_id:
            parent = next(p for p in existing.values() if p.pk == place.parent_id)
            path = f"{parent.path}{place.code}/"
            if place.path != path:
                place.path, place.depth = path, parent.depth + 1
                place.save(update_fields=["path", "depth"])
    return result
