"""Shared fixtures. State is built through the services (never fixtures files or mocks)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import translation

from hamkori.accounts.models import User
from hamkori.core.roles import Role
from hamkori.orgs.models import Organisation
from hamkori.orgs.services import organisation_upsert
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from tests import factories
from tests.factories import PASSWORD as PASSWORD
from tests.factories import TOTP_SECRET as TOTP_SECRET

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


def pytest_report_header(config: Any) -> str:
    return f"hamkori database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(scope="session", autouse=True)
def _database_must_be_reachable(django_db_setup: Any, django_db_blocker: Any) -> None:
    """On CI a PostgreSQL run must really use PostgreSQL: fail loudly, never skip."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert connection.vendor == "postgresql", connection.vendor


def ensure_reference_data() -> None:
    """Tests that run outside a transaction (browser tests, migration tests) are flushed afterwards,
    which also empties the tables our data migrations fill: load the places and sectors again."""
    from hamkori.people.models import Sector
    from hamkori.people.sectors import seed_sectors
    from hamkori.places import loader

    if not Place.objects.exists():
        loader.load(Place)
    if not Sector.objects.exists():
        seed_sectors(Sector)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language, whatever the test before it in this process asked for
    (the test client runs each request's LocaleMiddleware in the test's own thread, which leaves the last
    request's language active)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Every database test starts with the places and sectors, whatever test ran before it in this
    process (a flushed browser test, a migration test)."""
    if request.node.get_closest_marker("django_db") is None and not {"db", "transactional_db"} & set(
        request.fixturenames
    ):
        return
    request.getfixturevalue("_django_db_helper")  # database access as the test's marker asks
    ensure_reference_data()


@pytest.fixture
def place(db: Any) -> Callable[[str], Place]:
    ensure_reference_data()

    def get(code: str) -> Place:
        return Place.objects.get(code=code)

    return get


@pytest.fixture
def orgs(db: Any) -> dict[str, Organisation]:
    def make(key: str, kind: str, en: str, tg: str = "", ru: str = "") -> Organisation:
        return organisation_upsert(actor=None, kind=kind, name_en=en, name_tg=tg, name_ru=ru)[0]

    return {
        "lead": make("lead", "lead", "Lead NGO", "Созмони пешбар", "Ведущая НКО"),
        "donor": make("donor", "donor", "Test Donor", "Донор", "Донор"),
        "lap": make("lap", "partner", "Lawyers Association of Pamir", "Ассотсиатсияи ҳуқуқшиносони Помир"),
        "asti": make("asti", "partner", "ASTI"),
        "police": make("police", "police", "Vanj Police", "Милитсияи Ванҷ"),
    }


@pytest.fixture
def programme(db: Any, orgs: dict[str, Organisation], place: Callable[[str], Place]) -> Programme:
    """A programme in Vanj and Isfara, with LAP covering Vanj and ASTI covering Isfara."""
    return factories.programme(
        code="test-prog",
        title_en="Test programme",
        title_ru="Тестовая программа",
        title_tg="Барномаи санҷишӣ",
        lead=orgs["lead"],
        donors=[orgs["donor"]],
        locations=[place("TJ-GB-VANJ"), place("TJ-SU-ISFARA")],
        partners=[(orgs["lap"], [place("TJ-GB-VANJ")]), (orgs["asti"], [place("TJ-SU-ISFARA")])],
    )


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    """:func:`tests.factories.user` once the database is there."""
    return factories.user


@pytest.fixture
def users(
    make_user: Callable[..., User], programme: Programme, orgs: dict[str, Organisation], place: Any
) -> dict[str, User]:
    """One user per role in ``programme`` (partner, member and liaison scoped to Vanj)."""
    vanj = [place("TJ-GB-VANJ")]
    return {
        Role.ADMIN: make_user("admin@test.example", programme=programme, role=Role.ADMIN, organisation=orgs["lead"]),
        Role.STAFF: make_user("staff@test.example", programme=programme, role=Role.STAFF, organisation=orgs["lead"]),
        Role.PARTNER: make_user(
            "partner@test.example", programme=programme, role=Role.PARTNER, organisation=orgs["lap"], places=vanj
        ),
        Role.GROUP_MEMBER: make_user("member@test.example", programme=programme, role=Role.GROUP_MEMBER, places=vanj),
        Role.LIAISON: make_user(
            "liaison@test.example", programme=programme, role=Role.LIAISON, organisation=orgs["police"], places=vanj
        ),
        Role.DONOR: make_user("donor@test.example", programme=programme, role=Role.DONOR, organisation=orgs["donor"]),
        "outsider": make_user("outsider@test.example"),
    }


@pytest.fixture
def client_for() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_cache(django_db_blocker: Any) -> None:
    """allauth remembers used TOTP codes and rate limits in the cache; ids repeat between tests, so
    start clean. The cache is a database table (settings.CACHES), so clearing it needs the database."""
    from django.core.cache import cache

    with django_db_blocker.unblock():
        cache.clear()
