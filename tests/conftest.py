"""Shared fixtures. State is built through the services (never fixtures files or mocks)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from hamkori.accounts import services as accounts
from hamkori.accounts.models import User
from hamkori.core.roles import MFA_REQUIRED_ROLES, Role
from hamkori.orgs.models import Organisation
from hamkori.orgs.services import organisation_upsert
from hamkori.places.models import Place
from hamkori.programmes import services as programmes
from hamkori.programmes.models import Programme

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
PASSWORD = "correct-horse-battery-staple-7"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


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
    prog = programmes.programme_create(
        actor=None,
        code="test-prog",
        title_en="Test programme",
        title_ru="Тестовая программа",
        title_tg="Барномаи санҷишӣ",
        lead_organisation=orgs["lead"],
        donors=[orgs["donor"]],
        budget=Decimal("1000.00"),
        currency="USD",
        start_date=dt.date(2018, 6, 25),
        end_date=dt.date(2019, 12, 31),
    )
    programmes.programme_set_locations(actor=None, programme=prog, places=[place("TJ-GB-VANJ"), place("TJ-SU-ISFARA")])
    programmes.programme_set_partner(actor=None, programme=prog, organisation=orgs["lap"], places=[place("TJ-GB-VANJ")])
    programmes.programme_set_partner(
        actor=None, programme=prog, organisation=orgs["asti"], places=[place("TJ-SU-ISFARA")]
    )
    return prog


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(
        email: str,
        *,
        programme: Programme | None = None,
        role: str | None = None,
        organisation: Organisation | None = None,
        places: list[Place] | None = None,
        totp: bool | None = None,
    ) -> User:
        """A user with a role; roles that must use a second factor get TOTP_SECRET unless totp=False."""
        user = accounts.user_create(actor=None, email=email, password=PASSWORD)
        if programme is not None and role is not None:
            accounts.role_assign(
                actor=None, user=user, programme=programme, role=role, organisation=organisation, places=places or []
            )
        if totp or (totp is None and role in MFA_REQUIRED_ROLES):
            accounts.totp_activate(actor=None, user=user, secret=TOTP_SECRET)
        return user

    return make


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
