"""The participation summary at scale: 50,000 events and 1,000,000 participations in the demo programme.

    uv run python benchmarks/events_scale.py [--events 50000] [--attendances 1000000] [--people 200000]
                                             [--database PATH-or-URL] [--keep]

Runs on a database of its own (as ``people_scale.py``: a fresh SQLite file in a temporary directory unless
``--database`` names a SQLite path or a ``postgres://`` URL, dropped afterwards), migrates it, builds the
demo programme through the services, then:

1. builds a small share (2 % of everything) and counts the SQL queries of each page (staff, the Vanj
   partner, the donor);
2. builds the rest and counts again: a page must need the same number of queries whatever the size;
3. times each page through the Django test client (median of ``--repeats`` requests, round-robin): the
   participation summary of one district for one year (the issue's target: a median under 300 ms on
   SQLite and on PostgreSQL), and, for information, the whole programme for one year and the CSV export.

People, events, participations and tallies are written in bulk, **bypassing the services on purpose**
(a million audited ``attendance_save`` rows would take hours); the denormalised columns of a participation
(programme, district, day, sex, age band) are written as the services write them. Only for scale: nothing
else in Hamkori writes like this. SQLite gets ``executemany``; PostgreSQL gets ``COPY``.

The spread: the six demo locations, events over the three years up to today (95 % held, 3 % cancelled,
2 % still planned), ~20 named participants an event drawn from ~200,000 people of the event's location (so a
person takes part about five times), a fifth of the events trainings (one or two topics, a test out of 20,
scores for 80 % of their participants), a tenth performances or community meetings with a tally.

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
import uuid
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
#: The issue's target: the summary of one district and one year answers in under this many ms at the median.
MEDIAN_LIMIT_MS = 300.0
SMALL_SHARE = 0.02
USERS = {"staff": "staff@hamkori.example", "partner": "partner@hamkori.example", "donor": "donor@hamkori.example"}
DISTRICTS = {"staff": "TJ-KT-HAMADONI", "partner": "TJ-GB-VANJ", "donor": "TJ-KT-HAMADONI"}
YEARS = 3
TITLE = "bench"
KIND_WEIGHTS = {
    "cwg-meeting": 30,
    "partnership-meeting": 5,
    "council-meeting": 5,
    "training": 20,
    "conflict-analysis": 5,
    "dialogue": 5,
    "reporting-day": 5,
    "lessons": 5,
    "theatre": 8,
    "community-meeting": 12,
}
TALLIED = {"theatre", "community-meeting"}
AGE_WEIGHTS = {"u18": 8, "18-24": 22, "25-35": 28, "36-50": 24, "51-64": 13, "65+": 5}


# --- Building ------------------------------------------------------------------------------------
@dataclass
class _Context:
    programme: Any
    locations: list[Any]
    owners: dict[int, int]  # location pk -> organisation pk organising there
    kinds: dict[str, int]  # code -> EventKind pk
    topics: list[int]
    roles: list[int]
    people: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)  # location pk -> (pk, sex, band)


def _context() -> _Context:
    from hamkori.demo.services import PROGRAMME_CODE
    from hamkori.events.models import AttendeeRole, EventKind, TrainingTopic
    from hamkori.events.services import vocabulary_ensure
    from hamkori.programmes.models import Programme

    programme = Programme.objects.get(code=PROGRAMME_CODE)
    vocabulary_ensure(actor=None, programme=programme)
    locations = [loc.place for loc in programme.locations.select_related("place").order_by("order", "pk")]
    owners: dict[int, int] = {}
    for partnership in programme.partnerships.prefetch_related("places"):
        for place in partnership.places.all():
            owners[place.pk] = partnership.organisation_id
    lead = programme.lead_organisation_id
    return _Context(
        programme=programme,
        locations=locations,
        owners={loc.pk: owners.get(loc.pk, lead) for loc in locations},
        kinds=dict(EventKind.objects.filter(programme=programme).values_list("code", "pk")),
        topics=list(TrainingTopic.objects.filter(programme=programme).values_list("pk", flat=True)),
        roles=list(AttendeeRole.objects.filter(programme=programme).values_list("pk", flat=True)),
    )


def _weighted(weights: dict[str, int]) -> list[str]:
    return [key for key, weight in weights.items() for _ in range(weight)]


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


def _make_people(ctx: _Context, count: int, rng: random.Random) -> int:
    """``count`` people (no personal data: the summary never reads the vault), round-robin over the locations."""
    from django.utils import timezone

    from hamkori.people.models import AGE_BANDS, Person

    number = Person.objects.filter(programme=ctx.programme, code__startswith="B-").count()
    bands = _weighted(AGE_WEIGHTS)
    year = timezone.localdate().year
    low = {band: lo for band, lo, _hi in AGE_BANDS}
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        batch = []
        for _ in range(size):
            number += 1
            location = ctx.locations[number % len(ctx.locations)]
            band = rng.choice(bands)
            batch.append(
                Person(
                    programme=ctx.programme,
                    code=f"B-{number:07d}",  # bench people (the services write P-000123)
                    vault_key=uuid.UUID(int=rng.getrandbits(128), version=4),
                    sex="female" if rng.random() < 0.48 else "male",
                    birth_year=year - low[band] - rng.randint(0, 4) if band != "65+" else year - 70,
                    age_band=band,
                    place=location,
                    owner_id=ctx.owners[location.pk],
                )
            )
        Person.objects.bulk_create(batch, batch_size=BATCH)
        for person in batch:
            ctx.people.setdefault(person.place_id, []).append((person.pk, person.sex, person.age_band))
        made += size
    return made


EVENT_COLUMNS = [
    "created_at",
    "updated_at",
    "programme_id",
    "kind_id",
    "level",
    "title",
    "starts_at",
    "ends_at",
    "place_id",
    "district_id",
    "venue",
    "language",
    "organiser_id",
    "test_max_score",
    "agenda",
    "minutes",
    "decisions",
    "status",
    "cancel_reason",
    "sensitivity",
]
ATTENDANCE_COLUMNS = [
    "event_id",
    "person_id",
    "role_id",
    "organisation_id",
    "pre_score",
    "post_score",
    "programme_id",
    "district_id",
    "held_on",
    "sex",
    "age_band",
    "recorded_by_id",
]


def _make_events(ctx: _Context, count: int, attendances: int, rng: random.Random) -> dict[str, int]:
    """``count`` events with about ``attendances`` participations in all, spread over ``YEARS`` years."""
    from django.db import connection
    from django.utils import timezone

    from hamkori.events.models import Event, Tally
    from hamkori.events.services import local_date

    now = timezone.now()
    span = dt.timedelta(days=365 * YEARS)
    adapt = connection.ops.adapt_datetimefield_value
    kinds = _weighted(KIND_WEIGHTS)
    per_event = attendances / max(count * 0.95, 1)  # only held events (95 %) have participants
    made = {"events": 0, "attendances": 0, "tallies": 0, "topic_links": 0}
    topics_through = Event.topics.through._meta.db_table
    start = Event.objects.filter(title__startswith=TITLE).count()
    for batch_start in range(start, start + count, BATCH // 4):
        batch_end = min(batch_start + BATCH // 4, start + count)
        rows, plans = [], []
        for number in range(batch_start, batch_end):
            location = ctx.locations[number % len(ctx.locations)]
            kind = rng.choice(kinds)
            starts = now - span + span * rng.random()
            starts = starts.replace(second=0, microsecond=0)
            draw = rng.random()
            status = "cancelled" if draw < 0.03 else "planned" if draw < 0.05 else "held"
            training = kind == "training"
            stamp = adapt(now)
            rows.append(
                (
                    stamp,
                    stamp,
                    ctx.programme.pk,
                    ctx.kinds[kind],
                    "district",
                    f"{TITLE} {number}",
                    adapt(starts),
                    adapt(starts + dt.timedelta(hours=3)),
                    location.pk,
                    location.pk,
                    "",
                    "tg",
                    ctx.owners[location.pk],
                    20 if training else None,
                    "",
                    "",
                    "",
                    status,
                    "",
                    "restricted" if rng.random() < 0.02 else "internal",
                )
            )
            plans.append((kind, status, location, local_date(ctx.programme, starts)))
        _insert(Event._meta.db_table, EVENT_COLUMNS, rows)
        ids = dict(
            Event.objects.filter(
                programme=ctx.programme, title__in=[f"{TITLE} {n}" for n in range(batch_start, batch_end)]
            ).values_list("title", "pk")
        )
        links, people_rows, tallies = [], [], []
        for offset, (kind, status, location, day) in enumerate(plans):
            pk = ids[f"{TITLE} {batch_start + offset}"]
            if kind == "training":
                for topic in rng.sample(ctx.topics, rng.choice([1, 1, 2])):
                    links.append((pk, topic))
            if status != "held":
                continue
            pool = ctx.people[location.pk]
            n = min(len(pool), max(1, round(rng.gauss(per_event, per_event / 3))))
            for person_pk, sex, band in rng.sample(pool, n):
                pre = post = None
                if kind == "training" and rng.random() < 0.8:
                    pre = rng.randint(3, 14)
                    post = min(20, pre + rng.randint(-1, 8)) if rng.random() < 0.9 else None
                people_rows.append(
                    (
                        pk,
                        person_pk,
                        rng.choice(ctx.roles),
                        None,
                        pre,
                        post,
                        ctx.programme.pk,
                        location.pk,
                        day,
                        sex,
                        band,
                        None,
                    )
                )
            if kind in TALLIED:
                for sex in ("female", "male"):
                    for band in rng.sample(list(AGE_WEIGHTS), 3):
                        tallies.append(
                            Tally(event_id=pk, sex=sex, age_band=band, role_id=ctx.roles[0], count=rng.randint(1, 25))
                        )
        _insert(topics_through, ["event_id", "trainingtopic_id"], links)
        _insert("events_attendance", ATTENDANCE_COLUMNS, people_rows)
        Tally.objects.bulk_create(tallies, batch_size=BATCH)
        made["events"] += len(rows)
        made["attendances"] += len(people_rows)
        made["tallies"] += len(tallies)
        made["topic_links"] += len(links)
    return made


def build(
    *, events: int, attendances: int, people: int, seed: int, ctx: _Context | None = None
) -> tuple[dict[str, Any], _Context]:
    from django.db import connection, transaction

    started = time.perf_counter()
    rng = random.Random(f"{seed}:{events}:{people}")
    with transaction.atomic():
        ctx = ctx or _context()
        made = {"people": _make_people(ctx, people, rng)}
        made |= _make_events(ctx, events, attendances, rng)
    if connection.vendor == "postgresql":
        # What autovacuum would do soon after a bulk load (statistics, the visibility map of index-only
        # scans). SQLite gets no ANALYZE, as in a real installation.
        with connection.cursor() as cursor:
            for table in ("events_event", "events_attendance", "events_tally", "events_event_topics", "people_person"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return made | {"seconds": round(time.perf_counter() - started, 2)}, ctx


def sizes() -> dict[str, int]:
    from hamkori.events.models import Attendance, Event, Tally
    from hamkori.people.models import Person

    return {
        "people": Person.objects.count(),
        "events": Event.objects.count(),
        "attendances": Attendance.objects.count(),
        "tallies": Tally.objects.count(),
    }


# --- Measuring -----------------------------------------------------------------------------------
@dataclass
class Targets:
    programme_code: str
    year: int
    users: dict[str, Any] = field(default_factory=dict)


def choose_targets() -> Targets:
    from django.utils import timezone

    from hamkori.accounts.models import User
    from hamkori.demo.services import PROGRAMME_CODE

    users = {role: User.objects.get(email=email) for role, email in USERS.items()}
    # The last whole year: every event of it was held or cancelled (a year of ~2,800 events a district).
    return Targets(PROGRAMME_CODE, timezone.localdate().year - 1, users)


def pages(targets: Targets, role: str) -> dict[str, str]:
    """The pages measured, name -> URL. The first carries the issue's target."""
    base = f"/p/{targets.programme_code}/events/summary/"
    return {
        "summary_district_year": f"{base}?{urlencode({'district': DISTRICTS[role], 'year': targets.year})}",
        # For information:
        "summary_all_year": f"{base}?{urlencode({'year': targets.year})}",
        "export_csv": f"{base}export.csv?{urlencode({'district': DISTRICTS[role], 'year': targets.year})}",
    }


TARGETED = ("summary_district_year",)


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


def time_pages(targets: Targets, *, repeats: int = 15) -> dict[str, dict[str, Any]]:
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


def district_year_rows(targets: Targets) -> dict[str, int]:
    """How much one district's year holds (what the target query reads)."""
    from hamkori.events.models import Attendance
    from hamkori.places.models import Place

    district = Place.objects.get(code=DISTRICTS["staff"])
    rows = Attendance.objects.filter(district=district, held_on__year=targets.year)
    return {"participations": rows.count(), "distinct_people": rows.values("person_id").distinct().count()}


def run(*, events: int, attendances: int, people: int, repeats: int = 15, seed: int = SEED) -> dict[str, Any]:
    from django.db import connection

    share = [max(1, round(n * SMALL_SHARE)) for n in (events, attendances, people)]
    first, ctx = build(events=share[0], attendances=share[1], people=share[2], seed=seed)
    phases = [first]
    print(f"built {first} ", flush=True)
    targets = choose_targets()
    small = {"sizes": sizes(), "query_counts": count_queries(targets)}
    rest, _ctx = build(
        events=events - share[0], attendances=attendances - share[1], people=people - share[2], seed=seed + 1, ctx=ctx
    )
    phases.append(rest)
    print(f"built {rest}", flush=True)
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
            "events": events,
            "attendances": attendances,
            "people": people,
            "repeats": repeats,
            "year": targets.year,
        },
        "build": {"phases": phases, "seconds": round(sum(p["seconds"] for p in phases), 2)},
        "sizes": {"small": small["sizes"], "large": sizes()},
        "district_year": district_year_rows(targets),
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
                    f"{role} {page}: {row['small']} queries at the small size, {row['large']} at the full size"
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
        f"Hamkori events scale — {meta['events']:,} events, {meta['attendances']:,} participations, "
        f"{meta['people']:,} people on {meta['database']} {meta['database_version']} "
        f"({meta['machine']}, Python {meta['python']}), {meta['date']}"
    )
    lines.append(f"Build: {report['build']['seconds']} s " + str([p["seconds"] for p in report["build"]["phases"]]))
    lines.append(f"Sizes: small {report['sizes']['small']}")
    lines.append(f"       large {report['sizes']['large']}")
    lines.append(f"One district, {meta['year']}: {report['district_year']}")
    lines.append("")
    header = f"{'role':8} {'page':22} {'queries small':>13} {'large':>6} {'same':>5} {'median ms':>10} {'p95 ms':>8} {'n':>3} {'KiB':>6}  target"
    lines += [header, "-" * len(header)]
    for role, rows in report["query_counts"].items():
        for page, row in rows.items():
            t = report["timings_ms"][role][page]
            target = ("ok" if t["median"] < MEDIAN_LIMIT_MS else "SLOW") if page in TARGETED else "(info)"
            lines.append(
                f"{role:8} {page:22} {row['small']:>13} {row['large']:>6} {'yes' if row['same'] else 'NO':>5} "
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
    path = directory / f"events_scale-{report['meta']['database']}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--attendances", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--database", help="a SQLite file path, or postgres://user@host:port/name (created)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--replace", action="store_true", help="drop the --database first if it exists")
    parser.add_argument("--repeats", type=int, default=15, help="requests per page")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--output", type=Path, help="folder for the JSON report")
    args = parser.parse_args(argv)
    if args.events < 100 or args.people < 100:
        parser.error("--events and --people at least 100")
    target = configure(args.database, replace=args.replace)
    import django

    django.setup()
    report: dict[str, Any] = {"problems": ["did not finish"]}
    try:
        started = time.perf_counter()
        prepare()
        print(f"database: {target.location}; migrated and demo built in {time.perf_counter() - started:.1f} s")
        report = run(
            events=args.events, attendances=args.attendances, people=args.people, repeats=args.repeats, seed=args.seed
        )
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
