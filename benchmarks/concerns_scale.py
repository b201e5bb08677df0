"""Concern pages at scale: 1,000,000 concerns in the demo programme.

    uv run python benchmarks/concerns_scale.py [--concerns 1000000] [--database PATH-or-URL] [--keep]

Runs on a database of its own (as ``people_scale.py``: a fresh SQLite file in a temporary directory
unless ``--database`` names a SQLite path or a ``postgres://`` URL), migrates it, builds the demo
programme through the services, then:

1. builds 1,000 concerns, counts the SQL queries of each page (staff and the Vanj partner);
2. builds the rest and counts again: a page must need the same number of queries whatever the size;
3. times each page through the Django test client (median of ``--repeats`` requests, round-robin):
   the district board, the concern list (first page, a filtered page, a deep page), the triage queue;
   the issue's target is a median under 300 ms. A text search, a triage page (possible duplicates)
   and a concern's page are timed too, for information.

The concerns (and their drivers and actions) are written in bulk, **bypassing the services on
purpose**: a million audited ``concern_create`` calls would take hours. Only for scale: nothing else
in Hamkori writes like this. SQLite gets ``executemany``; PostgreSQL gets ``COPY``.

The module does not touch Django at import time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.people_scale import (  # noqa: E402  (no Django at import time)
    _client,
    _database_version,
    _get,
    cleanup,
    configure,
    output_dir,
    prepare,
    stats_ms,
)

SEED = 2026
BATCH = 10_000
#: The issue's target: the board and the lists answer in under this many ms at the median.
MEDIAN_LIMIT_MS = 300.0
FIRST = 1_000
USERS = {"staff": "staff@hamkori.example", "partner": "partner@hamkori.example"}
DISTRICTS = {"staff": "TJ-SU-ISFARA", "partner": "TJ-GB-VANJ"}
PREFIX = "B-"  # bench references (the services write C-000123)

#: Stages and how common each is among a programme's concerns after some years (weights).
STATUS_WEIGHTS = {
    "reported": 8,
    "triaged": 10,
    "prioritised": 8,
    "planned": 7,
    "in_progress": 12,
    "resolved": 15,
    "partly_resolved": 6,
    "not_actionable": 4,
    "referred_elsewhere": 3,
    "reviewed": 17,
    "declined": 6,
    "merged": 4,
}
SOURCE_WEIGHTS = {
    "consultation": 30,
    "group_meeting": 20,
    "public": 25,
    "survey": 10,
    "media": 5,
    "police": 5,
    "other": 5,
}
DRIVERS = [
    ("opportunities", "Набудани имкониятҳо", "Нехватка возможностей", "Lack of opportunities"),
    ("police_mistrust", "Нобоварӣ ба милитсия", "Недоверие к милиции", "Mistrust of police"),
    ("recruitment", "Ҷалб ба гурӯҳҳои зӯроварӣ", "Вербовка в насильственные группы", "Violent-group recruitment"),
    ("domestic_violence", "Зӯроварии оилавӣ", "Домашнее насилие", "Domestic violence"),
    ("border", "Муноқишаҳои сарҳадӣ", "Пограничные конфликты", "Border tensions"),
    ("infrastructure", "Инфрасохтор", "Инфраструктура", "Infrastructure"),
]
#: Descriptions are composed from these (language, subject, problem, detail).
TEXTS = {
    "tg": (
        ["Кӯча ба мактаб", "Бозори деҳа", "Роҳи назди масҷид", "Истгоҳи автобус", "Майдони варзиш"],
        ["шабона торик аст", "ҷавонон бекоранд", "милитсия муҳоҷиронро нигоҳ медорад", "ҷалбкунандагон меоянд"],
        ["кӯдакон метарсанд", "занон шабона намебароянд", "мардум ба милитсия бовар надоранд", "оилаҳо хавотиранд"],
    ),
    "ru": (
        ["Дорога к школе", "Сельский рынок", "Улица у мечети", "Автобусная остановка", "Спортивная площадка"],
        ["ночью не освещена", "молодёжь без работы", "милиция задерживает мигрантов", "приходят вербовщики"],
        ["дети боятся", "женщины не выходят вечером", "люди не доверяют милиции", "семьи волнуются"],
    ),
    "en": (
        ["The road to school", "The village market", "The street by the mosque", "The bus stop", "The sports ground"],
        ["is dark at night", "young people have no jobs", "police stop returning migrants", "recruiters come"],
        ["children are afraid", "women stay home after dark", "people do not trust the police", "families worry"],
    ),
}


# --- Building ------------------------------------------------------------------------------------
@dataclass
class _Context:
    programme: Any
    locations: list[Any]
    under: dict[int, list[int]]  # location pk -> place pks under it
    owners: dict[int, int | None]  # location pk -> organisation pk recording there
    groups: dict[int, list[int]]  # location pk -> working group pks
    drivers: list[int]


def _context() -> _Context:
    from hamkori.concerns.models import Driver
    from hamkori.concerns.services import vocabulary_ensure
    from hamkori.demo.services import PROGRAMME_CODE
    from hamkori.groups.models import WorkingGroup
    from hamkori.places.models import Place
    from hamkori.programmes.models import Programme

    programme = Programme.objects.get(code=PROGRAMME_CODE)
    if not Driver.objects.filter(programme=programme).exists():
        vocabulary_ensure(actor=None, programme=programme, drivers=DRIVERS)
    locations = [loc.place for loc in programme.locations.select_related("place").order_by("order", "pk")]
    under = {
        p.pk: list(Place.objects.filter(path__startswith=p.path).exclude(pk=p.pk).values_list("pk", flat=True))
        for p in locations
    }
    owners: dict[int, int | None] = {}
    for partnership in programme.partnerships.prefetch_related("places"):
        for place in partnership.places.all():
            owners[place.pk] = partnership.organisation_id
    groups = {
        p.pk: list(WorkingGroup.objects.filter(programme=programme, district=p).values_list("pk", flat=True))
        for p in locations
    }
    drivers = list(Driver.objects.filter(programme=programme).values_list("pk", flat=True))
    return _Context(programme, locations, under, owners, groups, drivers)


def _weighted(rng: random.Random, weights: dict[str, int]) -> list[str]:
    """A long list to draw from with ``rng.choice`` (faster than ``choices`` a million times)."""
    return [key for key, weight in weights.items() for _ in range(weight)]


def _description(rng: random.Random) -> tuple[str, str]:
    language = rng.choice(["tg", "tg", "tg", "ru", "ru", "en"])
    subjects, problems, details = TEXTS[language]
    text = f"{rng.choice(subjects)}: {rng.choice(problems)}, {rng.choice(details)}."
    if rng.random() < 0.3:
        text += " " + rng.choice(details).capitalize() + "."
    return text, language


CONCERN_COLUMNS = [
    "created_at",
    "updated_at",
    "programme_id",
    "reference",
    "description",
    "language",
    "district_id",
    "place_id",
    "location_text",
    "source",
    "sensitivity",
    "status",
    "status_changed_at",
    "owner_id",
    "group_id",
    "merged_into_id",
    "evidence_links",
    "restricted_notes",
    "decline_reason",
    "public_note",
    "public_note_published_at",
    "intake_key",
    "receipt_code",
    "reporter_key",
]
ACTION_COLUMNS = [
    "created_at",
    "updated_at",
    "programme_id",
    "district_id",
    "concern_id",
    "group_id",
    "title",
    "due_on",
    "state",
    "progress",
    "completed_on",
    "group_owns",
    "public_text",
    "published_at",
    "published_by_id",
]


def _insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            # The table and column names are this module's constants, never input.
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608


def _make_concerns(ctx: _Context, start: int, count: int, rng: random.Random, *, years: float = 6.0) -> dict[str, int]:
    """``count`` concerns numbered from ``start``, spread round-robin over the locations, created
    from ``years`` ago until now (in order), with drivers for 40 % of them and actions for 8 %."""
    from django.db import connection
    from django.utils import timezone

    from hamkori.concerns.models import Action, Concern

    now = timezone.now()
    span = dt.timedelta(days=365 * years)
    statuses = _weighted(rng, STATUS_WEIGHTS)
    sources = _weighted(rng, SOURCE_WEIGHTS)
    adapt = connection.ops.adapt_datetimefield_value
    total = start + count
    made = {"concerns": 0, "drivers": 0, "actions": 0}
    through = Concern.drivers.through._meta.db_table
    today = timezone.localdate()
    for batch_start in range(start, total, BATCH):
        batch_end = min(batch_start + BATCH, total)
        rows, planned = [], []
        for number in range(batch_start, batch_end):
            location = ctx.locations[number % len(ctx.locations)]
            created = now - span + span * (number / max(total, 1)) + dt.timedelta(seconds=rng.randint(0, 59))
            status = rng.choice(statuses)
            source = rng.choice(sources)
            children = ctx.under[location.pk]
            groups = ctx.groups[location.pk]
            description, language = _description(rng)
            public_unowned = source == "public" and status == "reported" and rng.random() < 0.8
            rows.append(
                (
                    adapt(created),
                    adapt(created + dt.timedelta(days=rng.randint(0, 60))),
                    ctx.programme.pk,
                    f"{PREFIX}{number:07d}",
                    description,
                    language,
                    location.pk,
                    rng.choice(children) if children and rng.random() < 0.5 else None,
                    "",
                    source,
                    "restricted" if rng.random() < 0.03 else ("public" if rng.random() < 0.1 else "internal"),
                    status,
                    adapt(created + dt.timedelta(days=rng.randint(0, 90))),
                    None if public_unowned else ctx.owners.get(location.pk),
                    rng.choice(groups)
                    if groups and status not in ("reported", "declined") and rng.random() < 0.7
                    else None,
                    None,
                    "[]",
                    "",
                    "",
                    "",
                    None,
                    None,
                    None,
                    None,
                )
            )
            planned.append((status, location.pk))
        _insert(Concern._meta.db_table, CONCERN_COLUMNS, rows)
        ids = dict(
            Concern.objects.filter(
                programme=ctx.programme,
                reference__gte=f"{PREFIX}{batch_start:07d}",
                reference__lte=f"{PREFIX}{batch_end - 1:07d}",
            ).values_list("reference", "pk")
        )
        links, actions = [], []
        for offset, (status, district) in enumerate(planned):
            pk = ids[f"{PREFIX}{batch_start + offset:07d}"]
            if rng.random() < 0.4:
                for driver in rng.sample(ctx.drivers, rng.choice([1, 1, 2])):
                    links.append((pk, driver))
            if status in ("planned", "in_progress", "resolved", "partly_resolved", "reviewed") and rng.random() < 0.2:
                due = today + dt.timedelta(days=rng.randint(-200, 120))
                state = "done" if status in ("resolved", "reviewed") else rng.choice(["open", "in_progress"])
                stamp = adapt(now)
                actions.append(
                    (
                        stamp,
                        stamp,
                        ctx.programme.pk,
                        district,
                        pk,
                        None,
                        "Action",
                        due,
                        state,
                        0,
                        None,
                        False,
                        "",
                        None,
                        None,
                    )
                )
        _insert(through, ["concern_id", "driver_id"], links)
        _insert(Action._meta.db_table, ACTION_COLUMNS, actions)
        made["concerns"] += len(rows)
        made["drivers"] += len(links)
        made["actions"] += len(actions)
    return made


def build(*, count: int, seed: int = SEED) -> dict[str, Any]:
    """Add ``count`` concerns to the demo programme (numbers continue after the last bench one)."""
    from django.db import connection, transaction

    from hamkori.concerns.models import Concern

    started = time.perf_counter()
    with transaction.atomic():
        ctx = _context()
        start = Concern.objects.filter(reference__startswith=PREFIX).count()
        rng = random.Random(f"{seed}:{start}")
        made = _make_concerns(ctx, start, count, rng)
    with connection.cursor() as cursor:
        # PostgreSQL: what autovacuum would do soon after a bulk load (statistics, and the visibility
        # map that index-only scans need). SQLite gets no ANALYZE, as in a real installation.
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE concerns_concern")
            cursor.execute("VACUUM ANALYZE concerns_concern_drivers")
            cursor.execute("VACUUM ANALYZE concerns_action")
    return made | {"seconds": round(time.perf_counter() - started, 2)}


def sizes() -> dict[str, int]:
    from hamkori.concerns.models import Action, Concern

    return {
        "concerns": Concern.objects.count(),
        "driver_links": Concern.drivers.through.objects.count(),
        "actions": Action.objects.count(),
    }


# --- Measuring -----------------------------------------------------------------------------------
@dataclass
class Targets:
    programme_code: str
    users: dict[str, Any] = field(default_factory=dict)
    driver: str = ""
    concern_ids: dict[str, int] = field(default_factory=dict)  # role -> the oldest reported concern it may triage


def choose_targets() -> Targets:
    from hamkori.accounts.models import User
    from hamkori.concerns.models import Driver, Status
    from hamkori.concerns.selectors import triage_queue
    from hamkori.demo.services import PROGRAMME_CODE
    from hamkori.programmes.models import Programme

    programme = Programme.objects.get(code=PROGRAMME_CODE)
    users = {role: User.objects.get(email=email) for role, email in USERS.items()}
    driver = Driver.objects.filter(programme=programme).order_by("order", "code").values_list("code", flat=True)[0]
    concern_ids = {}
    for role, user in users.items():
        first = triage_queue(user, programme)[0:1]
        assert first and first[0].status == Status.REPORTED, f"nothing to triage for {role}"
        concern_ids[role] = first[0].pk
    return Targets(programme.code, users, driver, concern_ids)


def pages(targets: Targets, role: str) -> dict[str, str]:
    """The pages measured, name -> URL. The first five carry the issue's target."""
    base = f"/p/{targets.programme_code}/concerns/"
    district = DISTRICTS[role]
    return {
        "board": f"{base}board/?{urlencode({'district': district})}",
        "list": base,
        "list_filtered": f"{base}?{urlencode({'district': district, 'status': 'in_progress', 'driver': targets.driver})}",
        "list_page_150": f"{base}?page=150",
        "triage_queue": f"{base}triage/",
        # For information:
        "list_search": f"{base}?{urlencode({'q': 'вербовщики'})}",
        "triage_page": f"{base}{targets.concern_ids[role]}/triage/",
        "concern_page": f"{base}{targets.concern_ids[role]}/",
    }


TARGETED = ("board", "list", "list_filtered", "list_page_150", "triage_queue")


def count_queries(targets: Targets) -> dict[str, dict[str, int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result: dict[str, dict[str, int]] = {}
    for role, user in targets.users.items():
        client = _client(user)
        result[role] = {}
        for name, address in pages(targets, role).items():
            _get(client, address)
            with CaptureQueriesContext(connection) as queries:
                _get(client, address)
            result[role][name] = len(queries.captured_queries)
    return result


def time_pages(targets: Targets, *, repeats: int = 20) -> dict[str, dict[str, Any]]:
    """{role: {page: stats}}: ``repeats`` requests of each page, round-robin (one of each in turn)."""
    result: dict[str, dict[str, Any]] = {}
    for role, user in targets.users.items():
        client = _client(user)
        urls = pages(targets, role)
        times: dict[str, list[float]] = {name: [] for name in urls}
        sizes_: dict[str, int] = {}
        for name, address in urls.items():
            sizes_[name] = len(_get(client, address).content)  # warm-up
        for _ in range(repeats):
            for name, address in urls.items():
                started = time.perf_counter()
                _get(client, address)
                times[name].append(time.perf_counter() - started)
        result[role] = {name: stats_ms(times[name]) | {"bytes": sizes_[name]} for name in urls}
    return result


def run(*, concerns: int, repeats: int = 20, seed: int = SEED) -> dict[str, Any]:
    from django.db import connection

    first = min(FIRST, concerns)
    phases = [build(count=first, seed=seed)]
    print(f"built {first:,} concerns in {phases[0]['seconds']} s", flush=True)
    targets = choose_targets()
    small = {"sizes": sizes(), "query_counts": count_queries(targets)}
    if concerns > first:
        phases.append(build(count=concerns - first, seed=seed))
        print(f"built {concerns - first:,} concerns in {phases[-1]['seconds']} s", flush=True)
    targets = choose_targets()
    large_counts = count_queries(targets)
    timings = time_pages(targets, repeats=repeats)
    report: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": connection.vendor,
            "database_version": _database_version(),
            "python": platform.python_version(),
            "machine": f"{os.cpu_count()} cores, {platform.machine()}",
            "concerns": concerns,
            "repeats": repeats,
        },
        "build": {"phases": phases, "seconds": round(sum(p["seconds"] for p in phases), 2)},
        "sizes": {"small": small["sizes"], "large": sizes()},
        "query_counts": {
            role: {
                page: {
                    "small": small["query_counts"][role][page],
                    "large": n,
                    "same": small["query_counts"][role][page] == n,
                }
                for page, n in rows.items()
            }
            for role, rows in large_counts.items()
        },
        "timings_ms": timings,
    }
    report["problems"] = problems(report)
    return report


def problems(report: dict[str, Any]) -> list[str]:
    found = []
    for role, rows in report["query_counts"].items():
        for page, row in rows.items():
            if not row["same"]:
                found.append(
                    f"{role} {page}: {row['small']} queries at {FIRST:,} concerns, {row['large']} at the full size"
                )
    for role, rows in report["timings_ms"].items():
        for page in TARGETED:
            median = rows[page]["median"]
            if median >= MEDIAN_LIMIT_MS:
                found.append(f"{role} {page}: median {median} ms (limit {MEDIAN_LIMIT_MS:.0f} ms)")
    return found


def format_report(report: dict[str, Any]) -> str:
    meta, lines = report["meta"], []
    lines.append(
        f"Hamkori concerns scale — {meta['concerns']:,} concerns on {meta['database']} {meta['database_version']} "
        f"({meta['machine']}, Python {meta['python']}), {meta['date']}"
    )
    lines.append(f"Build: {report['build']['seconds']} s " + str([p["seconds"] for p in report["build"]["phases"]]))
    lines.append(f"Sizes: small {report['sizes']['small']}")
    lines.append(f"       large {report['sizes']['large']}")
    lines.append("")
    header = f"{'role':8} {'page':15} {'queries small':>13} {'large':>6} {'same':>5} {'median ms':>10} {'p95 ms':>8} {'n':>3} {'KiB':>6}  target"
    lines += [header, "-" * len(header)]
    for role, rows in report["query_counts"].items():
        for page, row in rows.items():
            t = report["timings_ms"][role][page]
            target = ("ok" if t["median"] < MEDIAN_LIMIT_MS else "SLOW") if page in TARGETED else "(info)"
            lines.append(
                f"{role:8} {page:15} {row['small']:>13} {row['large']:>6} {'yes' if row['same'] else 'NO':>5} "
                f"{t['median']:>10} {t['p95']:>8} {t['n']:>3} {t['bytes'] / 1024:>6.0f}  {target}"
            )
    lines.append("")
    lines.append("Problems:" if report["problems"] else "Problems: none")
    lines += [f"  - {p}" for p in report["problems"]]
    return "\n".join(lines)


def write_report(report: dict[str, Any], directory: Path | None = None) -> Path:
    directory = directory or output_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")  # noqa: DTZ005 (a local file name)
    path = directory / f"concerns_scale-{report['meta']['database']}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concerns", type=int, default=1_000_000)
    parser.add_argument("--database", help="a SQLite file path, or postgres://user@host:port/name (created)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--replace", action="store_true", help="drop the --database first if it exists")
    parser.add_argument("--repeats", type=int, default=20, help="requests per page")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--output", type=Path, help="folder for the JSON report")
    args = parser.parse_args(argv)
    if args.concerns < 100:
        parser.error("--concerns at least 100")
    target = configure(args.database, replace=args.replace)
    import django

    django.setup()
    report: dict[str, Any] = {"problems": ["did not finish"]}
    try:
        started = time.perf_counter()
        prepare()
        print(f"database: {target.location}; migrated and demo built in {time.perf_counter() - started:.1f} s")
        report = run(concerns=args.concerns, repeats=args.repeats, seed=args.seed)
        report["meta"]["total_seconds"] = round(time.perf_counter() - started, 1)
        print()
        print(format_report(report))
        path = write_report(report, args.output)
        print(f"\nReport written to {path} (total {report['meta']['total_seconds']} s)")
    finally:
        cleanup(target, keep=args.keep)
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
