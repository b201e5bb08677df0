"""People and working groups at scale: 100,000 people and 5,000 groups in the demo programme.

    uv run python benchmarks/people_scale.py [--people 100000] [--groups 5000] [--database PATH-or-URL] [--keep]

Runs on a database of its own (a fresh SQLite file in a temporary directory unless ``--database``
names a SQLite path or a ``postgres://`` URL), migrates it, builds the demo programme through the
services, then:

1. builds 1 % of the people and groups, counts the SQL queries of every list page (staff and the
   Vanj partner), builds the rest and counts again: a list page must need the same number of
   queries whatever the size;
2. times finding a person by name (``vault_search`` and the people list with ``?q=``) for 200
   random people, searching in another script than the one stored (Cyrillic ↔ Latin), and checks
   that each search finds its person;
3. times each list page (median of up to 20 requests).

The people, vault records, sectors, groups and memberships are written with ``bulk_create``,
bypassing the services on purpose (only for scale: 100,000 audited ``person_create`` calls would take
too long). The vault rows are real: the same sealing and blind-index code as ``vault_put``.

The module does not touch Django at import time, so the tests can run :func:`build` and
:func:`measure` inside the test database (``tests/demo/test_benchmark_smoke.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
SEED = 2018
BATCH = 5000
#: Limits of the issue: a list page's query count must not depend on the size; finding a person by
#: name takes under this many milliseconds at the median.
SEARCH_MEDIAN_LIMIT_MS = 200.0
#: A page that takes longer than this (median) is reported as slow.
SLOW_PAGE_MS = 1000.0
#: The issue's target: the name-search page, the large group's page and ``/api/groups/`` each take at
#: most this multiple of the people list's median, in the same run (the same machine, the same load).
RATIO_LIMIT = 1.5
#: Bench groups are named "ГКБ <place> №<n>"; the demo's own groups carry no number.
GROUP_MARK = "№"
PARTNER_EMAIL = "partner@hamkori.example"
STAFF_EMAIL = "staff@hamkori.example"
USERS = {"staff": STAFF_EMAIL, "partner": PARTNER_EMAIL}

# --- Names, each as (Tajik Cyrillic, Russian Cyrillic, Latin); all three share one name_key ------
_MALE = """Ҷамшед Джамшед Jamshed|Фирдавс Фирдавс Firdavs|Баҳром Бахром Bahrom|Умед Умед Umed|Далер Далер Daler
Шерзод Шерзод Sherzod|Рустам Рустам Rustam|Сӯҳроб Сухроб Suhrob|Исмоил Исмоил Ismoil|Фаррух Фаррух Farrukh
Комрон Комрон Komron|Азиз Азиз Aziz|Абдуллоҳ Абдуллох Abdulloh|Меҳрубон Мехрубон Mehrubon|Зафар Зафар Zafar
Парвиз Парвиз Parviz|Бобур Бобур Bobur|Хуршед Хуршед Khurshed|Қобил Кобил Qobil|Давлат Давлат Davlat
Ҳусейн Хусейн Huseyn|Маҳмадалӣ Махмадали Mahmadali|Ғайрат Гайрат Ghayrat|Носир Носир Nosir|Илҳом Ильхом Ilhom
Шодмон Шодмон Shodmon|Нозим Нозим Nozim|Тоҳир Тохир Tohir|Файзулло Файзулло Fayzullo|Ёқуб Ёкуб Yoqub
Акмал Акмал Akmal|Анвар Анвар Anvar|Масрур Масрур Masrur|Муҳаммад Мухаммад Muhammad|Олим Олим Olim
Ҷаҳонгир Джахонгир Jahongir|Хусрав Хусрав Khusrav|Саъдулло Садулло Sa'dullo|Шаҳром Шахром Shahrom|Ҳамид Хамид Hamid"""
_FEMALE = """Нигора Нигора Nigora|Зарина Зарина Zarina|Гулноза Гулноза Gulnoza|Мадина Мадина Madina
Шаҳноза Шахноза Shahnoza|Малика Малика Malika|Фарзона Фарзона Farzona|Дилором Дилором Dilorom
Мунира Мунира Munira|Савсан Савсан Savsan|Гулчеҳра Гулчехра Gulchehra|Парвина Парвина Parvina
Ситора Ситора Sitora|Бунафша Бунафша Bunafsha|Нилуфар Нилуфар Nilufar|Маҳина Махина Mahina
Таҳмина Тахмина Tahmina|Зебо Зебо Zebo|Ҳафиза Хафиза Hafiza|Рухшона Рухшона Rukhshona|Мавлуда Мавлуда Mavluda
Фотима Фотима Fotima|Меҳрангез Мехрангез Mehrangez|Дилноза Дилноза Dilnoza|Шоира Шоира Shoira
Гулрухсор Гулрухсор Gulrukhsor|Саодат Саодат Saodat|Ойша Ойша Oysha|Латофат Латофат Latofat
Мижгона Мижгона Mizhgona|Нозанин Нозанин Nozanin|Ҳилола Хилола Hilola|Барно Барно Barno|Назира Назира Nazira
Фируза Фируза Firuza|Манижа Манижа Manizha|Сурайё Сурайё Surayyo|Гулбаҳор Гулбахор Gulbahor|Шаҳло Шахло Shahlo
Марҷона Марджона Marjona"""
_SURNAMES = """Раҳимов Рахимов Rakhimov|Назаров Назаров Nazarov|Саидов Саидов Saidov|Қурбонов Курбонов Qurbonov
Шарипов Шарипов Sharipov|Одинаев Одинаев Odinaev|Мирзоев Мирзоев Mirzoev|Ҳусейнов Хусейнов Huseynov
Сафаров Сафаров Safarov|Юсуфов Юсуфов Yusufov|Давлатмамадов Давлатмамадов Davlatmamadov
Шоҳмамадов Шохмамадов Shohmamadov|Каримов Каримов Karimov|Ғафуров Гафуров Ghafurov|Имомов Имомов Imomov
Ашуров Ашуров Ashurov|Зиёев Зиёев Ziyoev|Латифов Латифов Latifov|Боқиев Бокиев Boqiev|Нурматов Нурматов Nurmatov
Собиров Собиров Sobirov|Ҷураев Джураев Jurayev|Холов Холов Kholov|Исмоилов Исмоилов Ismoilov|Бобоев Бобоев Boboev
Ҳакимов Хакимов Hakimov|Умаров Умаров Umarov|Аминов Аминов Aminov|Мақсудов Максудов Maqsudov
Неъматов Нематов Nematov|Зоиров Зоиров Zoirov|Раҷабов Раджабов Rajabov|Олимов Олимов Olimov
Шукуров Шукуров Shukurov|Тошев Тошев Toshev|Ёров Ёров Yorov|Маъруфов Маруфов Ma'rufov|Муродов Муродов Murodov
Пиров Пиров Pirov|Файзов Файзов Fayzov|Ҳамроев Хамроев Hamroev|Абдуллоев Абдуллоев Abdulloev
Мамадназаров Мамадназаров Mamadnazarov|Алибеков Алибеков Alibekov|Бекназаров Бекназаров Beknazarov
Қодиров Кодиров Qodirov|Хоҷаев Ходжаев Khojaev|Шарифов Шарифов Sharifov|Турсунов Турсунов Tursunov|Гулов Гулов Gulov"""
SCRIPTS = ("tg", "ru", "lat")


def _triples(block: str) -> list[tuple[str, str, str]]:
    out = []
    for item in block.replace("\n", "|").split("|"):
        tg, ru, lat = item.split()
        out.append((tg, ru, lat))
    return out


MALE = _triples(_MALE)
FEMALE = _triples(_FEMALE)
SURNAMES = _triples(_SURNAMES)
FEMALE_SURNAMES = [(tg + "а", ru + "а", lat + "a") for tg, ru, lat in SURNAMES]
#: Any spelling of a name word -> its three spellings (to search in another script than stored).
SPELLINGS: dict[str, tuple[str, str, str]] = {
    form.casefold(): triple for triple in (*MALE, *FEMALE, *SURNAMES, *FEMALE_SURNAMES) for form in triple
}


def other_script(name: str) -> tuple[str, bool]:
    """``name`` spelt in another alphabet: Latin for a Cyrillic name, Tajik Cyrillic for a Latin
    one; and whether that was possible for every word (unknown words stay as they are)."""
    latin = any("a" <= c.casefold() <= "z" for c in name)
    words, crossed = [], True
    for word in name.split():
        triple = SPELLINGS.get(word.casefold())
        if triple is None:
            words.append(word)
            crossed = False
        else:
            words.append(triple[0] if latin else triple[2])
    return " ".join(words), crossed


# --- Database of its own (the command line only) -------------------------------------------------
@dataclass
class Target:
    """Where the benchmark's database lives, and how to clean up after it."""

    vendor: str
    location: str
    temp_dir: Path
    pg_admin_url: str | None = None
    pg_name: str | None = None
    sqlite_path: Path | None = None


def _refuse_name(name: str) -> None:
    if not name or name in {"test", "postgres", "template0", "template1"} or name.startswith("test_"):
        raise SystemExit(f"Refusing to use the database {name!r}: choose a name of the benchmark's own.")


def configure(database: str | None, *, replace: bool = False) -> Target:
    """Point the settings at the benchmark's own database. Call before ``django.setup()``."""
    temp_dir = Path(tempfile.mkdtemp(prefix="hamkori-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "hamkori.config.settings"
    os.environ["HAMKORI_ENV"] = "development"
    os.environ["HAMKORI_VAR_DIR"] = str(temp_dir / "var")  # and its generated data key
    os.environ.setdefault("DEBUG", "false")  # time pages as served, not with the debug toolbar of queries
    if database and "://" in database:
        parts = urlsplit(database)
        if not parts.scheme.startswith("postgres"):
            raise SystemExit("--database: a SQLite path or a postgres:// URL.")
        name = parts.path.lstrip("/")
        _refuse_name(name)
        admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))  # libpq: both schemes
        import psycopg
        from psycopg import sql

        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and not replace:
                raise SystemExit(f"The database {name!r} exists: drop it, or pass --replace to let the benchmark.")
            if exists:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        os.environ["DATABASE_URL"] = database
        return Target("postgresql", database, temp_dir, pg_admin_url=admin_url, pg_name=name)
    path = Path(database).resolve() if database else temp_dir / "bench.sqlite3"
    if path.exists():
        if not replace:
            raise SystemExit(f"{path} exists: remove it, or pass --replace to let the benchmark.")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = ""  # also overrides a DATABASE_URL in .env
    os.environ["HAMKORI_SQLITE_PATH"] = str(path)
    return Target("sqlite", str(path), temp_dir, sqlite_path=path)


def cleanup(target: Target, *, keep: bool) -> None:
    from django.db import connections

    connections.close_all()
    if keep:
        print(f"Kept the database: {target.location} (data key under {target.temp_dir / 'var'})")
        return
    if target.pg_name and target.pg_admin_url:
        import psycopg
        from psycopg import sql

        with psycopg.connect(target.pg_admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.pg_name)))
    if target.sqlite_path is not None and not target.sqlite_path.is_relative_to(target.temp_dir):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target.sqlite_path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(target.temp_dir, ignore_errors=True)


def prepare() -> None:
    """Migrate the fresh database and build the demo programme (through the services)."""
    from django.core.management import call_command

    from hamkori.demo.services import build_demo

    call_command("migrate", verbosity=0)
    build_demo()


# --- Building ------------------------------------------------------------------------------------
@dataclass
class _Context:
    programme: Any
    locations: list[Any]  # Place, in the programme's order
    under: dict[int, list[Any]]  # location pk -> places strictly under it
    owners: dict[int, Any]  # location pk -> Organisation that records people there
    sectors: list[Any]
    vanj: Any


def _context() -> _Context:
    from hamkori.demo.services import PROGRAMME_CODE
    from hamkori.people.models import Sector
    from hamkori.places.models import Place
    from hamkori.programmes.models import Programme

    programme = Programme.objects.get(code=PROGRAMME_CODE)
    locations = [loc.place for loc in programme.locations.select_related("place")]
    under = {p.pk: list(Place.objects.filter(path__startswith=p.path).exclude(pk=p.pk)) for p in locations}
    owners: dict[int, Any] = {}
    for partnership in programme.partnerships.select_related("organisation").prefetch_related("places"):
        for place in partnership.places.all():
            owners[place.pk] = partnership.organisation
    vanj = next(p for p in locations if p.code == "TJ-GB-VANJ")
    return _Context(programme, locations, under, owners, list(Sector.objects.filter(active=True)), vanj)


def _location_of(ctx: _Context, path: str) -> Any:
    """The most specific programme location a place path lies in (Isfara town lies in Isfara)."""
    return max((loc for loc in ctx.locations if path.startswith(loc.path)), key=lambda loc: len(loc.path))


def _full_name(rng: random.Random, female: bool) -> str:
    first = rng.choice(FEMALE if female else MALE)
    last = rng.choice(FEMALE_SURNAMES if female else SURNAMES)
    script = rng.randrange(3)  # about a third each: Tajik Cyrillic, Russian Cyrillic, Latin
    if rng.random() < 0.2:  # "Surname First", as official lists write it
        return f"{last[script]} {first[script]}"
    return f"{first[script]} {last[script]}"


def _personal_data(rng: random.Random, female: bool) -> Any:
    from hamkori.vault.services import PersonalData

    name = _full_name(rng, female)
    phone = f"+992 {rng.choice(['90', '91', '92', '93', '98', '88', '55'])} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    address = rng.choice(["", "", "", f"кӯчаи Сомонӣ {rng.randint(1, 120)}", f"ул. Ленина {rng.randint(1, 90)}"])
    return PersonalData(full_name=name, phone=phone if rng.random() < 0.85 else "", address=address).validated()


def _make_people(ctx: _Context, count: int, rng: random.Random, batch_size: int) -> int:
    """``count`` people with vault records, blind index and sectors, after the programme's last code."""
    from django.db.models import Max
    from django.utils import timezone

    from hamkori.core import crypto
    from hamkori.core.models import Sensitivity
    from hamkori.people.models import Person, band_for_age
    from hamkori.vault.models import NameToken, VaultRecord
    from hamkori.vault.services import _digests, _seal

    last = Person.objects.filter(programme=ctx.programme).aggregate(m=Max("code"))["m"]
    number = int(last.split("-")[-1]) if last else 0
    year = timezone.localdate().year
    key_id = crypto.current_key_id()
    now = timezone.now()
    through = Person.sectors.through
    made = 0
    while made < count:
        size = min(batch_size, count - made)
        people, personal = [], []
        for _ in range(size):
            number += 1
            location = ctx.locations[number % len(ctx.locations)]
            children = ctx.under[location.pk]
            place = rng.choice(children) if children and rng.random() < 0.75 else location
            female = rng.random() < 0.48
            age = rng.randint(16, 80)
            deidentified = rng.random() < 0.005
            people.append(
                Person(
                    programme=ctx.programme,
                    code=f"P-{number:06d}",
                    vault_key=uuid.UUID(int=rng.getrandbits(128), version=4),
                    sex="female" if female else "male",
                    birth_year=year - age if rng.random() < 0.85 else None,
                    age_band=band_for_age(age),
                    place=place,
                    languages=rng.choice([["tg"], ["tg", "ru"], ["tg", "ru"], ["ru"], ["tg", "uz"], ["tg", "pamiri"]]),
                    owner=ctx.owners.get(location.pk),
                    sensitivity=Sensitivity.RESTRICTED if rng.random() < 0.03 else Sensitivity.INTERNAL,
                    deidentified_at=now if deidentified else None,
                )
            )
            personal.append(None if deidentified else _personal_data(rng, female))
        Person.objects.bulk_create(people, batch_size=batch_size)
        records, names = [], []
        links = []
        for person, data in zip(people, personal, strict=True):
            assert person.pk is not None, "bulk_create must return primary keys (SQLite 3.35+, PostgreSQL)"
            for sector in rng.sample(ctx.sectors, rng.choice([1, 1, 1, 2, 2, 3])):
                links.append(through(person_id=person.pk, sector_id=sector.pk))
            if data is not None:
                records.append(
                    VaultRecord(
                        subject_key=person.vault_key,
                        ciphertext=_seal(data, person.vault_key, ctx.programme.pk),
                        key_id=key_id,
                    )
                )
                names.append(data.full_name)
        VaultRecord.objects.bulk_create(records, batch_size=batch_size)
        NameToken.objects.bulk_create(
            (
                NameToken(record=record, digest=digest)
                for record, name in zip(records, names, strict=True)
                for digest in sorted(_digests(name, ctx.programme.pk))
            ),
            batch_size=batch_size,
        )
        through.objects.bulk_create(links, batch_size=batch_size)
        made += size
    return made


def _pools(ctx: _Context) -> tuple[dict[int, list[int]], dict[str, list[int]], dict[int, list[int]]]:
    """People by location pk, by place path, and each person's sector ids."""
    from hamkori.people.models import Person

    by_location: dict[int, list[int]] = defaultdict(list)
    by_path: dict[str, list[int]] = defaultdict(list)
    rows = Person.objects.filter(programme=ctx.programme, merged_into__isnull=True).values_list("pk", "place__path")
    for pk, path in rows.iterator(chunk_size=BATCH):
        by_location[_location_of(ctx, path).pk].append(pk)
        by_path[path].append(pk)
    sectors: dict[int, list[int]] = defaultdict(list)
    links = Person.sectors.through.objects.filter(person__programme=ctx.programme).values_list("person_id", "sector_id")
    for person_id, sector_id in links.iterator(chunk_size=BATCH):
        sectors[person_id].append(sector_id)
    return by_location, by_path, sectors


def _membership(rng: random.Random, group: Any, person_id: int, index: int, sectors: list[int]) -> Any:
    from hamkori.groups.models import Membership

    joined = dt.date(2018, 7, 1) + dt.timedelta(days=rng.randint(0, 540))
    left = joined + dt.timedelta(days=rng.randint(30, 300)) if index > 1 and rng.random() < 0.1 else None
    return Membership(
        group=group,
        person_id=person_id,
        role="chair" if index == 0 else "secretary" if index == 1 else "member",
        sector_id=rng.choice(sectors) if sectors and rng.random() < 0.8 else None,
        joined_on=joined,
        left_on=left,
    )


def _make_groups(ctx: _Context, count: int, rng: random.Random, batch_size: int) -> int:
    """``count`` working groups with ~15 members each (from their location); returns memberships made."""
    from django.utils import timezone

    from hamkori.groups.models import Membership, WorkingGroup

    if count <= 0:
        return 0
    by_location, by_path, sectors = _pools(ctx)
    offset = WorkingGroup.objects.filter(programme=ctx.programme, name__contains=GROUP_MARK).count()
    # The first bench group is in Vanj (the partner's district): it becomes the large group.
    order = [ctx.vanj, *[p for p in ctx.locations if p.pk != ctx.vanj.pk]]
    statuses = ["active"] * 14 + ["forming"] * 3 + ["proposed", "suspended", "closed"]
    kinds = ["cwg"] * 8 + ["partnership_team", "public_council"]
    now = timezone.now()
    groups, planned = [], []
    for i in range(count):
        index = offset + i
        location = order[index % len(order)]
        jamoats = [p for p in ctx.under[location.pk] if by_path.get(p.path)]
        district = rng.choice(jamoats) if jamoats and index > 0 and rng.random() < 0.3 else location
        groups.append(
            WorkingGroup(
                programme=ctx.programme,
                kind=rng.choice(kinds),
                name=f"ГКБ {district.name_tg or district.code} {GROUP_MARK}{index + 1}",
                district=district,
                owner=ctx.owners.get(location.pk),
                status=rng.choice(statuses),
                status_changed_at=now - dt.timedelta(days=rng.randint(0, 400)),
            )
        )
        local = by_path.get(district.path, []) if district.pk != location.pk else []
        pool = local if len(local) >= 9 else by_location.get(location.pk, [])
        planned.append(rng.sample(pool, min(len(pool), rng.randint(9, 21))))
    WorkingGroup.objects.bulk_create(groups, batch_size=batch_size)
    memberships = [
        _membership(rng, group, person_id, position, sectors.get(person_id, []))
        for group, members in zip(groups, planned, strict=True)
        for position, person_id in enumerate(members)
    ]
    Membership.objects.bulk_create(memberships, batch_size=batch_size)
    return len(memberships) + _top_up_large_group(ctx, rng, by_location, sectors, batch_size)


def large_group(programme: Any) -> Any:
    """The benchmark's large group: its first group, in Vanj (so the partner sees it too)."""
    from hamkori.groups.models import WorkingGroup

    return (
        WorkingGroup.objects.filter(programme=programme, name__contains=GROUP_MARK, district__code="TJ-GB-VANJ")
        .order_by("pk")
        .first()
    )


def _top_up_large_group(
    ctx: _Context, rng: random.Random, by_location: dict[int, list[int]], sectors: dict[int, list[int]], batch: int
) -> int:
    """Grow the large group to one member per 500 people (200 at 100,000), at least 15."""
    from hamkori.groups.models import Membership

    group = large_group(ctx.programme)
    if group is None:
        return 0
    people = sum(len(v) for v in by_location.values())
    members = set(Membership.objects.filter(group=group).values_list("person_id", flat=True))
    wanted = max(15, people // 500) - len(members)
    candidates = [pk for pk in by_location.get(ctx.vanj.pk, []) if pk not in members]
    chosen = rng.sample(candidates, max(0, min(wanted, len(candidates))))
    rows = [_membership(rng, group, pk, len(members) + i, sectors.get(pk, [])) for i, pk in enumerate(chosen)]
    Membership.objects.bulk_create(rows, batch_size=batch)
    return len(rows)


def build(*, people: int, groups: int, seed: int = SEED, batch_size: int = BATCH) -> dict[str, Any]:
    """Add ``people`` people and ``groups`` working groups (with ~15 members each) to the demo
    programme, in one transaction, with ``bulk_create``. The demo must exist (``build_demo()``).
    Calling it again adds more (codes and group numbers continue)."""
    from django.db import connection, transaction

    from hamkori.people.models import Person

    started = time.perf_counter()
    with transaction.atomic():
        ctx = _context()
        rng = random.Random(f"{seed}:{Person.objects.filter(programme=ctx.programme).count()}")
        made_people = _make_people(ctx, people, rng, batch_size)
        memberships = _make_groups(ctx, groups, rng, batch_size)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would do shortly after a bulk load
    return {
        "people": made_people,
        "groups": max(groups, 0),
        "memberships": memberships,
        "seconds": round(time.perf_counter() - started, 2),
    }


def sizes() -> dict[str, int]:
    from hamkori.demo.services import PROGRAMME_CODE
    from hamkori.groups.models import Membership, WorkingGroup
    from hamkori.people.models import Person
    from hamkori.vault.models import NameToken, VaultRecord

    return {
        "people": Person.objects.filter(programme__code=PROGRAMME_CODE).count(),
        "groups": WorkingGroup.objects.filter(programme__code=PROGRAMME_CODE).count(),
        "memberships": Membership.objects.filter(group__programme__code=PROGRAMME_CODE).count(),
        "vault_records": VaultRecord.objects.count(),
        "name_tokens": NameToken.objects.count(),
    }


# --- Measuring -----------------------------------------------------------------------------------
@dataclass
class Targets:
    """What the pages are asked for; chosen once (after the first, small build) and kept."""

    programme_code: str
    group_id: int
    sector: str
    districts: dict[str, str]
    search_name: str
    users: dict[str, Any] = field(default_factory=dict)


def choose_targets() -> Targets:
    from django.db.models import Count

    from hamkori.access.policy import grant_in
    from hamkori.accounts.models import User
    from hamkori.demo.services import PROGRAMME_CODE
    from hamkori.people.models import Person, Sector
    from hamkori.programmes.models import Programme
    from hamkori.vault.models import VaultRecord
    from hamkori.vault.services import _open

    programme = Programme.objects.get(code=PROGRAMME_CODE)
    users = {role: User.objects.get(email=email) for role, email in USERS.items()}
    group = large_group(programme)
    if group is None:
        raise RuntimeError("Build at least one group first.")
    vanj = Person.objects.filter(programme=programme, place__path__startswith="/TJ/TJ-GB/TJ-GB-VANJ/")
    sector = (
        Sector.objects.filter(people__in=vanj).annotate(n=Count("people")).order_by("-n", "code").values_list("code")
    )[0][0]
    grant = grant_in(users["partner"], programme)
    assert grant is not None
    # A person whose name the partner may see (recorded by the partner's organisation, in Vanj).
    person = vanj.filter(owner_id=grant.organisation_id, deidentified_at__isnull=True).order_by("code").first()
    assert person is not None, "no person of the partner's in Vanj"
    name, _ = other_script(_open(VaultRecord.objects.get(subject_key=person.vault_key)).full_name)
    return Targets(
        programme_code=programme.code,
        group_id=group.pk,
        sector=sector,
        districts={"staff": "TJ-SU-ISFARA", "partner": "TJ-GB-VANJ"},
        search_name=name,
        users=users,
    )


def pages(targets: Targets, role: str) -> dict[str, str]:
    """The list pages measured, by name -> URL, for ``role``."""
    base = f"/p/{targets.programme_code}"
    people = f"{base}/people/"
    return {
        "people_list": people,
        "people_list_page_200": f"{people}?page=200",
        "people_by_district": f"{people}?{urlencode({'district': targets.districts[role]})}",
        "people_by_sector": f"{people}?{urlencode({'sector': targets.sector})}",
        "people_by_group": f"{people}?group={targets.group_id}",
        "people_search": f"{people}?{urlencode({'q': targets.search_name})}",
        "group_list": f"{base}/groups/",
        "group_detail_large": f"{base}/groups/{targets.group_id}/",
        "api_people": f"/api/people/?programme={targets.programme_code}&limit=50",
        "api_groups": f"/api/groups/?programme={targets.programme_code}",
    }


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"{url}: HTTP {response.status_code}")
    return response


def count_queries(targets: Targets) -> dict[str, dict[str, int]]:
    """{role: {page: SQL queries of one request}} (after one warm-up request of each page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result: dict[str, dict[str, int]] = {}
    for role, user in targets.users.items():
        client = _client(user)
        result[role] = {}
        for name, url in pages(targets, role).items():
            _get(client, url)
            with CaptureQueriesContext(connection) as queries:
                _get(client, url)
            result[role][name] = len(queries.captured_queries)
    return result


def stats_ms(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "median": round(statistics.median(ms), 1),
        "p95": round(ms[max(0, math.ceil(0.95 * len(ms)) - 1)], 1),
        "max": round(ms[-1], 1),
    }


def time_pages(targets: Targets, *, repeats: int = 20, budget_s: float = 30.0) -> dict[str, dict[str, Any]]:
    """{role: {page: wall-time stats}}: the median of ``repeats`` requests (fewer for a page so
    slow that ``repeats`` would exceed ``budget_s``; at least 3), plus the response size. The
    requests go round the pages, one of each in turn, so a change in the machine's load falls on
    all of them alike (the issue's targets are ratios between pages)."""
    result: dict[str, dict[str, Any]] = {}
    for role, user in targets.users.items():
        client = _client(user)
        urls = pages(targets, role)
        counts: dict[str, int] = {}
        sizes: dict[str, int] = {}
        times: dict[str, list[float]] = {name: [] for name in urls}
        for name, url in urls.items():
            started = time.perf_counter()
            response = _get(client, url)  # warm-up, and a first guess of the time
            first = time.perf_counter() - started
            counts[name] = max(min(repeats, 3), min(repeats, int(budget_s / max(first, 1e-6))))
            sizes[name] = len(response.content)
        for i in range(max(counts.values())):
            for name, url in urls.items():
                if i < counts[name]:
                    started = time.perf_counter()
                    _get(client, url)
                    times[name].append(time.perf_counter() - started)
        result[role] = {name: stats_ms(times[name]) | {"bytes": sizes[name]} for name in urls}
    return result


def measure_search(targets: Targets, *, samples: int = 200, seed: int = SEED) -> dict[str, Any]:
    """Find ``samples`` random people by name, spelt in another script than stored: time
    ``vault_search``, the people list with ``?q=`` as a page, and as the search box asks for it
    (htmx: the rows only), as staff; check that each finds its person."""
    from hamkori.people.models import Person
    from hamkori.vault.models import VaultRecord
    from hamkori.vault.services import _unseal, vault_search

    rng = random.Random(seed)
    ids = list(
        Person.objects.filter(
            programme__code=targets.programme_code, merged_into__isnull=True, deidentified_at__isnull=True
        ).values_list("pk", flat=True)
    )
    chosen = list(Person.objects.filter(pk__in=rng.sample(ids, min(samples, len(ids)))))
    rng.shuffle(chosen)
    sealed = [_unseal(r) for r in VaultRecord.objects.filter(subject_key__in=[p.vault_key for p in chosen])]
    names = {s.subject: s.data.full_name for s in sealed}
    client = _client(targets.users["staff"])
    url = f"/p/{targets.programme_code}/people/"
    _get(client, url)
    times: dict[str, list[float]] = {"vault_search_ms": [], "people_page_ms": [], "people_rows_htmx_ms": []}
    plain: list[float] = []  # the people list without a search, between the searches: the ratio's base
    hits: Counter[str] = Counter()
    matches: list[int] = []
    crossed = 0
    scripts: Counter[str] = Counter()
    missed: list[str] = []
    for person in chosen:
        stored = names[person.vault_key]
        scripts["latin" if any("a" <= c.casefold() <= "z" for c in stored) else "cyrillic"] += 1
        query, other = other_script(stored)
        crossed += other
        started = time.perf_counter()
        keys = vault_search(query, programme_id=person.programme_id)
        times["vault_search_ms"].append(time.perf_counter() - started)
        matches.append(len(keys))
        found = {"vault": person.vault_key in keys}
        link = f">{person.code}</a>"
        for key, headers in (("people_page_ms", {}), ("people_rows_htmx_ms", {"HTTP_HX_REQUEST": "true"})):
            started = time.perf_counter()
            response = client.get(url, {"q": query}, **headers)
            times[key].append(time.perf_counter() - started)
            found[key] = response.status_code == 200 and link in response.content.decode()
        started = time.perf_counter()
        _get(client, url)
        plain.append(time.perf_counter() - started)
        hits.update(k for k, v in found.items() if v)
        if not all(found.values()):
            missed.append(person.code)
    n = len(chosen)
    result: dict[str, Any] = {
        "samples": n,
        "stored_scripts": dict(scripts),
        "searched_in_other_script": crossed,
        **{key: stats_ms(values) for key, values in times.items()},
        "matches_per_search": {"median": statistics.median(matches) if matches else 0, "max": max(matches, default=0)},
        "hit_rate": round(hits["vault"] / n, 4) if n else 0.0,
        "page_hit_rate": round(min(hits["people_page_ms"], hits["people_rows_htmx_ms"]) / n, 4) if n else 0.0,
        "missed": missed[:20],
        "people_list_ms": stats_ms(plain),
    }
    result["median_under_limit"] = {
        key.removesuffix("_ms"): result[key].get("median", math.inf) < SEARCH_MEDIAN_LIMIT_MS for key in times
    }
    return result


def api_groups_info(targets: Targets) -> dict[str, Any]:
    """How much one default request of the groups API answers, against all the groups staff see:
    ``paginated`` when it answers fewer than all of them (or a ``{"items": ...}`` page)."""
    from hamkori.groups.models import WorkingGroup

    client = _client(targets.users["staff"])
    response = _get(client, f"/api/groups/?programme={targets.programme_code}")
    body = response.json()
    paged = isinstance(body, dict) and "items" in body
    items = body["items"] if paged else body
    total = WorkingGroup.objects.filter(programme__code=targets.programme_code).count()
    return {
        "paginated": paged or len(items) < total,
        "count": len(items),
        "of": total,
        "bytes": len(response.content),
    }


def measure(
    targets: Targets | None = None, *, timings: bool = True, repeats: int = 20, search_samples: int = 200
) -> dict[str, Any]:
    """Query counts of every list page (per role); with ``timings`` also their wall times, the
    name-search latency and hit rate, and the size of the unpaginated groups API."""
    targets = targets or choose_targets()
    result: dict[str, Any] = {"sizes": sizes(), "query_counts": count_queries(targets)}
    if timings:
        result["timings_ms"] = time_pages(targets, repeats=repeats)
        result["search"] = measure_search(targets, samples=search_samples)
        result["api_groups"] = api_groups_info(targets)
    return result


def compare(small: dict[str, dict[str, int]], large: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
    return {
        role: {
            page: {"small": small[role][page], "large": n, "same": small[role][page] == n}
            for page, n in large[role].items()
        }
        for role in large
    }


def problems(report: dict[str, Any]) -> list[str]:
    """What breaks the issue's limits: a query count that grows, a slow or failing name search."""
    found = []
    for role, rows in report["query_counts"].items():
        for page, row in rows.items():
            if not row["same"]:
                found.append(f"{role} {page}: {row['small']} queries at the small size, {row['large']} at the large")
    search = report["search"]
    for key in ("vault_search_ms", "people_page_ms", "people_rows_htmx_ms"):
        if search[key].get("median", 0) >= SEARCH_MEDIAN_LIMIT_MS:
            found.append(f"search {key}: median {search[key]['median']} ms (limit {SEARCH_MEDIAN_LIMIT_MS:.0f} ms)")
    if search["hit_rate"] < 1 or search["page_hit_rate"] < 1:
        found.append(f"search missed people: {search['missed']}")
    return found


def ratios(report: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{role: {page: median, the people list's median, their ratio, within RATIO_LIMIT}} for the pages
    the issue names: the name-search page (staff, the median over the search samples), the large
    group's page and ``/api/groups/``."""
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for role, rows in report["timings_ms"].items():
        base = rows["people_list"]["median"]
        medians = {
            "group_detail_large": rows["group_detail_large"]["median"],
            "api_groups": rows["api_groups"]["median"],
        }
        bases = dict.fromkeys(medians, base)
        if role == "staff":  # the searches alternate with the plain people list: compare with that
            medians = {"people_search_page": report["search"]["people_page_ms"]["median"], **medians}
            bases["people_search_page"] = report["search"]["people_list_ms"]["median"]
        result[role] = {
            page: {
                "median": median,
                "people_list": bases[page],
                "ratio": round(median / bases[page], 2) if bases[page] else math.inf,
                "ok": median <= RATIO_LIMIT * bases[page],
            }
            for page, median in medians.items()
        }
    return result


def ratio_problems(table: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    return [
        f"{role} {page}: median {row['median']} ms is {row['ratio']}× the people list's {row['people_list']} ms "
        f"(limit {RATIO_LIMIT}×)"
        for role, rows in table.items()
        for page, row in rows.items()
        if not row["ok"]
    ]


def notes(report: dict[str, Any]) -> list[str]:
    """Worth knowing, not failures: slow pages, answers that grow with the data."""
    found = []
    for role, rows in report["timings_ms"].items():
        for page, row in rows.items():
            if row.get("median", 0) >= SLOW_PAGE_MS:
                found.append(f"{role} {page}: median {row['median']} ms, {row['bytes']:,} bytes")
    api = report["api_groups"]
    if not api["paginated"]:
        found.append(
            f"/api/groups/ is not paginated: all {api['count']:,} groups, {api['bytes']:,} bytes in one answer"
        )
    return found


def run(
    *,
    people: int,
    groups: int,
    first_fraction: float = 0.01,
    repeats: int = 20,
    search_samples: int = 200,
    seed: int = SEED,
) -> dict[str, Any]:
    """Build ``first_fraction`` of the data, count queries; build the rest, count again and time
    everything. The demo programme must exist."""
    from django.db import connection

    small_people = max(1, round(people * first_fraction))
    small_groups = max(1, round(groups * first_fraction))
    phases = [build(people=small_people, groups=small_groups, seed=seed)]
    print(f"built {small_people:,} people, {small_groups:,} groups in {phases[0]['seconds']} s", flush=True)
    targets = choose_targets()
    small = measure(targets, timings=False)
    phases.append(build(people=people - small_people, groups=groups - small_groups, seed=seed))
    print(
        f"built {people - small_people:,} people, {groups - small_groups:,} groups in {phases[1]['seconds']} s",
        flush=True,
    )
    large = measure(targets, repeats=repeats, search_samples=search_samples)
    report: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": connection.vendor,
            "database_version": _database_version(),
            "python": platform.python_version(),
            "machine": f"{os.cpu_count()} cores, {platform.machine()}",
            "people": people,
            "groups": groups,
            "targets": {
                "group_id": targets.group_id,
                "sector": targets.sector,
                "districts": targets.districts,
                "search_name": "(a name, not recorded)",
            },
        },
        "build": {"phases": phases, "seconds": round(sum(p["seconds"] for p in phases), 2)},
        "sizes": {"small": small["sizes"], "large": large["sizes"]},
        "query_counts": compare(small["query_counts"], large["query_counts"]),
        "timings_ms": large["timings_ms"],
        "search": large["search"],
        "api_groups": large["api_groups"],
    }
    report["ratios"] = ratios(report)
    report["problems"] = problems(report) + ratio_problems(report["ratios"])
    report["notes"] = notes(report)
    return report


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        return str(cursor.fetchone()[0])


# --- Reporting -----------------------------------------------------------------------------------
def format_report(report: dict[str, Any]) -> str:
    meta, lines = report["meta"], []
    lines.append(
        f"Hamkori people scale — {meta['people']:,} people, {meta['groups']:,} groups on {meta['database']} "
        f"{meta['database_version']} ({meta['machine']}, Python {meta['python']}), {meta['date']}"
    )
    lines.append(f"Build: {report['build']['seconds']} s " + str([p["seconds"] for p in report["build"]["phases"]]))
    lines.append(f"Sizes: small {report['sizes']['small']}")
    lines.append(f"       large {report['sizes']['large']}")
    lines.append("")
    header = f"{'role':8} {'page':22} {'queries small':>13} {'large':>6} {'same':>5} {'median ms':>10} {'p95 ms':>8} {'n':>3} {'KiB':>7}"
    lines += [header, "-" * len(header)]
    for role, rows in report["query_counts"].items():
        for page, row in rows.items():
            t = report["timings_ms"][role][page]
            lines.append(
                f"{role:8} {page:22} {row['small']:>13} {row['large']:>6} {'yes' if row['same'] else 'NO':>5} "
                f"{t['median']:>10} {t['p95']:>8} {t['n']:>3} {t['bytes'] / 1024:>7.0f}"
            )
    s = report["search"]
    lines.append("")
    lines.append(
        f"Name search ({s['samples']} people, {s['searched_in_other_script']} searched in another script; "
        f"stored {s['stored_scripts']}; matches per search median {s['matches_per_search']['median']}, "
        f"max {s['matches_per_search']['max']})"
    )
    labels = {
        "vault_search_ms": "vault_search()",
        "people_page_ms": "people list ?q= (page)",
        "people_rows_htmx_ms": "people list ?q= (htmx rows)",
    }
    for key, label in labels.items():
        m, ok = s[key], s["median_under_limit"][key.removesuffix("_ms")]
        lines.append(
            f"  {label:28} median {m['median']:>7} ms  p95 {m['p95']:>7} ms  max {m['max']:>7} ms  "
            f"median < {SEARCH_MEDIAN_LIMIT_MS:.0f} ms: {'yes' if ok else 'NO'}"
        )
    lines.append(f"  hit rate {s['hit_rate']:.0%} (vault_search), {s['page_hit_rate']:.0%} (person listed on the page)")
    a = report["api_groups"]
    lines.append(
        f"/api/groups/ (default request): {a['count']:,} of {a['of']:,} groups, {a['bytes']:,} bytes; "
        f"paginated: {'yes' if a['paginated'] else 'NO'}"
    )
    if "ratios" in report:
        lines.append("")
        lines.append(f"Against the people list (median at most {RATIO_LIMIT}× its median, this run):")
        header = f"{'role':8} {'page':22} {'median ms':>10} {'people list ms':>15} {'ratio':>6} {'ok':>4}"
        lines += [header, "-" * len(header)]
        for role, rows in report["ratios"].items():
            for page, row in rows.items():
                lines.append(
                    f"{role:8} {page:22} {row['median']:>10} {row['people_list']:>15} {row['ratio']:>6} "
                    f"{'yes' if row['ok'] else 'NO':>4}"
                )
    lines.append("")
    lines.append("Problems:" if report["problems"] else "Problems: none")
    lines += [f"  - {p}" for p in report["problems"]]
    lines.append("Notes:" if report["notes"] else "Notes: none")
    lines += [f"  - {n}" for n in report["notes"]]
    return "\n".join(lines)


def output_dir() -> Path:
    """``var/benchmarks/`` when ``var/`` is git-ignored; otherwise a folder under the temp dir."""
    ignore = ROOT / ".gitignore"
    if ignore.exists() and any(line.strip().strip("/") == "var" for line in ignore.read_text().splitlines()):
        return ROOT / "var" / "benchmarks"
    return Path(tempfile.gettempdir()) / "hamkori-benchmarks"


def write_report(report: dict[str, Any], directory: Path | None = None) -> Path:
    directory = directory or output_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")  # noqa: DTZ005 (a local file name)
    path = directory / f"people_scale-{report['meta']['database']}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--database", help="a SQLite file path, or postgres://user@host:port/name (created)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--replace", action="store_true", help="drop the --database first if it exists")
    parser.add_argument("--repeats", type=int, default=20, help="requests per page for the wall times")
    parser.add_argument("--search-samples", type=int, default=200)
    parser.add_argument("--first-fraction", type=float, default=0.01, help="share built before the first count")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--output", type=Path, help="folder for the JSON report")
    args = parser.parse_args(argv)
    if args.people < 100 or args.groups < 1:
        parser.error("--people at least 100 and --groups at least 1")

    target = configure(args.database, replace=args.replace)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    try:
        started = time.perf_counter()
        prepare()
        print(f"database: {target.location}; migrated and demo built in {time.perf_counter() - started:.1f} s")
        report = run(
            people=args.people,
            groups=args.groups,
            first_fraction=args.first_fraction,
            repeats=args.repeats,
            search_samples=args.search_samples,
            seed=args.seed,
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
