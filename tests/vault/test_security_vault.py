"""Security review, finding 8: what a copy of the database gives away through the vault's blind
index. Per-programme index keys, truncated digests (false positives removed after decryption), and
no value shared between the person table and the vault's tables without the data key."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from hamkori.core import crypto
from hamkori.core.roles import Role
from hamkori.core.text import name_tokens
from hamkori.people.models import Person
from hamkori.people.selectors import filter_people
from hamkori.people.services import person_create
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.models import NameToken, VaultRecord
from hamkori.vault.services import PersonalData, vault_get, vault_put, vault_rotate, vault_search
from tests import factories

pytestmark = pytest.mark.django_db

KEY_A = base64.urlsafe_b64encode(b"a" * 32).decode()
KEY_B = base64.urlsafe_b64encode(b"b" * 32).decode()
SYLLABLES = ["ba", "di", "ru", "so", "ne", "ma", "to", "li", "fa", "zu", "ko", "se", "na", "vi", "go", "pe"]


@pytest.fixture(autouse=True)
def _fixed_key(settings: Any) -> None:
    settings.HAMKORI_DATA_KEYS = [KEY_A]


@pytest.fixture
def other_programme(programme: Programme, orgs: dict[str, Any], place: Callable[[str], Place]) -> Programme:
    return factories.programme(
        code="other-prog",
        title_en="Other programme",
        title_ru="Другая программа",
        title_tg="Барномаи дигар",
        lead=orgs["lead"],
        donors=[orgs["donor"]],
        locations=[place("TJ-GB-VANJ")],
    )


def _rows(table: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return list(cursor.fetchall())


def _digests_of(record_pk: Any) -> set[str]:
    return set(NameToken.objects.filter(record_id=record_pk).values_list("digest", flat=True))


def _person(programme: Programme, place: Place, name: str) -> Person:
    return person_create(
        actor=None,
        programme=programme,
        sex="female",
        place=place,
        birth_year=1990,
        personal=PersonalData(full_name=name, phone="+992 93 555 12 34"),
    )


def test_the_same_name_in_two_programmes_has_different_digests(
    programme: Programme, other_programme: Programme, place: Callable[[str], Place]
) -> None:
    vanj = place("TJ-GB-VANJ")
    here = _person(programme, vanj, "Ҷамшед Раҳимов")
    there = _person(other_programme, vanj, "Jamshed Rakhimov")
    records = list(VaultRecord.objects.all())
    assert len(records) == 2
    first, second = (_digests_of(r.pk) for r in records)
    assert first and second
    # A digest is a 12-bit bucket (BUCKET_BITS), so one token of the two may share a bucket by chance (1 in
    # 4,096: the name "disjoint" failed a CI run); the name as a whole must not look the same.
    assert first != second, "one name, two programmes: the index must not tell they are equal"
    # Search still finds each person in their own programme, in either script, and only there.
    assert vault_search("Jamshed Rakhimov", programme_id=programme.pk) == {here.vault_key}
    assert vault_search("Ҷамшед", programme_id=other_programme.pk) == {there.vault_key}


def test_a_raw_read_of_the_index_shows_no_equal_digest_across_programmes(
    programme: Programme, other_programme: Programme, place: Callable[[str], Place]
) -> None:
    names = ["Зарина Қодирова", "Умед Саидов", "Шоҳона Мирзоева"]
    vanj = place("TJ-GB-VANJ")
    mine = [_person(programme, vanj, n) for n in names]
    theirs = [_person(other_programme, vanj, n) for n in names]
    by_record: dict[Any, set[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(NameToken._meta.db_table)}")  # noqa: S608
        columns = [d[0] for d in cursor.description]
        raw = list(cursor.fetchall())
    for row in raw:
        values = dict(zip(columns, row, strict=True))
        by_record.setdefault(values["record_id"], set()).add(str(values["digest"]))
    assert len(by_record) == 6
    # Which record is whose is known here only through the services (with the key).
    mine_records = {VaultRecord.objects.get(subject_key=p.vault_key).pk for p in mine}
    theirs_records = {VaultRecord.objects.get(subject_key=p.vault_key).pk for p in theirs}
    # No record of one programme has the digests of a record of the other (each name is two tokens in
    # 12-bit buckets: a single token may share a bucket by chance, a whole name 1 in 16.7 million).
    assert not {frozenset(by_record[pk]) for pk in mine_records} & {frozenset(by_record[pk]) for pk in theirs_records}


def _colliding_tokens(programme_id: int) -> tuple[str, str]:
    seen: dict[str, str] = {}
    for a, b, c in itertools.product(SYLLABLES, repeat=3):
        token = a + b + c
        if name_tokens(token) != [token]:
            continue
        bucket = crypto.blind_index(token, programme_id=programme_id)
        if bucket in seen and seen[bucket] != token:
            return seen[bucket], token
        seen[bucket] = token
    raise AssertionError("digests are not truncated: no two of 4,096 names share a bucket")


def test_different_names_share_a_bucket_yet_search_returns_only_true_matches(programme: Programme) -> None:
    first, second = _colliding_tokens(programme.pk)
    one, two = uuid.uuid4(), uuid.uuid4()
    vault_put(actor=None, subject_key=one, data=PersonalData(full_name=first), programme_id=programme.pk)
    vault_put(actor=None, subject_key=two, data=PersonalData(full_name=second), programme_id=programme.pk)
    stored = list(NameToken.objects.values_list("digest", flat=True))
    assert len(stored) == 2 and stored[0] == stored[1], "two different names in one bucket"
    assert vault_search(first, programme_id=programme.pk) == {one}
    assert vault_search(second, programme_id=programme.pk) == {two}
    assert vault_search(f"{first} {second}", programme_id=programme.pk) == set()


def test_the_person_table_shares_no_value_with_the_vault_tables(
    programme: Programme, place: Callable[[str], Place]
) -> None:
    vanj = place("TJ-GB-VANJ")
    for name in ["Зарина Қодирова", "Умед Саидов", "Jamshed Rakhimov", "Ҷамшед Каримов"]:
        _person(programme, vanj, name)

    def cells(table: str) -> set[str]:
        found = set()
        for row in _rows(table):
            for cell in row:
                if cell is None or cell == "":
                    continue
                found.add(str(cell))
                if isinstance(cell, uuid.UUID):
                    found.add(cell.hex)
                if isinstance(cell, str) and len(cell) in (32, 36):
                    try:
                        parsed = uuid.UUID(cell)
                    except ValueError:
                        continue
                    found |= {parsed.hex, str(parsed)}
        return found

    person = cells(Person._meta.db_table)
    vault = cells(VaultRecord._meta.db_table) | cells(NameToken._meta.db_table)
    assert person & vault == set()
    # Not by date either: the vault keeps no creation or change time to line up with a person's.
    assert not {"created_at", "updated_at"} & {f.column for f in VaultRecord._meta.concrete_fields}


def test_search_through_the_people_list_stays_inside_the_programme(
    programme: Programme, other_programme: Programme, place: Callable[[str], Place], users: dict[str, Any]
) -> None:
    vanj = place("TJ-GB-VANJ")
    here = _person(programme, vanj, "Зарина Қодирова")
    _person(other_programme, vanj, "Zarina Qodirova")
    found = filter_people(
        actor=users[Role.ADMIN],
        programme=programme,
        queryset=Person.objects.filter(programme=programme),
        filters={"q": "Zarina Kodirova"},
        today=dt.date(2019, 6, 1),
    )
    assert [p.pk for p in found] == [here.pk]


def test_rotation_reindexes_per_programme_under_the_new_key(settings: Any, programme: Programme) -> None:
    key = uuid.uuid4()
    record = vault_put(
        actor=None, subject_key=key, data=PersonalData(full_name="Jamshed Rakhimov"), programme_id=programme.pk
    )
    old_digests, old_ref = _digests_of(record.pk), VaultRecord.objects.values_list("subject_key", flat=True).get()
    settings.HAMKORI_DATA_KEYS = [KEY_B, KEY_A]
    assert vault_search("Jamshed", programme_id=programme.pk) == {key}
    result = vault_rotate(actor=None)
    assert (result.reencrypted, result.reindexed) == (1, 1)
    settings.HAMKORI_DATA_KEYS = [KEY_B]
    assert vault_search("Ҷамшед Раҳимов", programme_id=programme.pk) == {key}
    assert vault_get(actor=None, subject_key=key, purpose="t") == PersonalData(full_name="Jamshed Rakhimov")
    new_ref = VaultRecord.objects.values_list("subject_key", flat=True).get()
    assert new_ref != old_ref and str(key) not in str(new_ref) and key.hex not in str(new_ref)
    assert _digests_of(VaultRecord.objects.get().pk) != old_digests or len(old_digests) == 1


@pytest.mark.django_db(transaction=True)
def test_the_migration_reindexes_and_unlinks_existing_records(
    programme: Programme, place: Callable[[str], Place]
) -> None:
    """Rows written by the old scheme (raw subject key, sequential ids, one global 128-bit index)
    come out of ``vault.0002_blind_index`` unlinked, re-indexed per programme and still readable."""
    import json

    from django.db.migrations.executor import MigrationExecutor

    person = person_create(actor=None, programme=programme, sex="male", place=place("TJ-GB-VANJ"), birth_year=1980)
    executor = MigrationExecutor(connection)
    executor.migrate([("vault", "0001_initial")])
    old = executor.loader.project_state([("vault", "0001_initial")]).apps
    payload = json.dumps({"full_name": "Jamshed Rakhimov", "phone": "", "email": "", "address": ""})
    record = old.get_model("vault", "VaultRecord").objects.create(
        subject_key=person.vault_key, ciphertext=crypto.encrypt(payload), key_id=crypto.current_key_id()
    )
    for digest in ("legacy-digest-1", "legacy-digest-2"):
        old.get_model("vault", "NameToken").objects.create(record_id=record.pk, digest=digest)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    stored = VaultRecord.objects.get()
    assert stored.pk != record.pk
    assert str(person.vault_key) not in stored.subject_key and person.vault_key.hex not in stored.subject_key
    assert not NameToken.objects.filter(digest__startswith="legacy").exists()
    assert vault_search("Ҷамшед Раҳимов", programme_id=programme.pk) == {person.vault_key}
    assert vault_get(actor=None, subject_key=person.vault_key, purpose="t") == PersonalData(
        full_name="Jamshed Rakhimov"
    )
