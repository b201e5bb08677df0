"""Test data built through the services, the way a user's request builds it (never ``objects.create``).

Plain functions with the defaults the tests share; every keyword a service takes can still be given.
The fixtures in ``tests/conftest.py`` (``programme``, ``make_user``, ``users``) are built with these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from hamkori.accounts import services as accounts
from hamkori.accounts.models import User
from hamkori.core.roles import MFA_REQUIRED_ROLES
from hamkori.groups import services as groups
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.people import services as people
from hamkori.people.models import Person, Sector
from hamkori.places.models import Place
from hamkori.programmes import services as programmes
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData

PASSWORD = "correct-horse-battery-staple-7"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def programme(
    *,
    code: str,
    title_en: str,
    title_ru: str,
    title_tg: str,
    lead: Organisation,
    locations: Sequence[Place],
    partners: Sequence[tuple[Organisation, Sequence[Place]]] = (),
    donors: Sequence[Organisation] = (),
    budget: Decimal = Decimal("1000.00"),
    currency: str = "USD",
    start_date: dt.date = dt.date(2018, 6, 25),
    end_date: dt.date = dt.date(2019, 12, 31),
) -> Programme:
    """A programme with its locations (in the order given) and its partners, each covering some places."""
    prog = programmes.programme_create(
        actor=None,
        code=code,
        title_en=title_en,
        title_ru=title_ru,
        title_tg=title_tg,
        lead_organisation=lead,
        donors=donors,
        budget=budget,
        currency=currency,
        start_date=start_date,
        end_date=end_date,
    )
    programmes.programme_set_locations(actor=None, programme=prog, places=locations)
    for organisation, places in partners:
        programmes.programme_set_partner(actor=None, programme=prog, organisation=organisation, places=places)
    return prog


def user(
    email: str,
    *,
    programme: Programme | None = None,
    role: str | None = None,
    organisation: Organisation | None = None,
    places: Sequence[Place] | None = None,
    totp: bool | None = None,
) -> User:
    """A user with a role; roles that must use a second factor get TOTP_SECRET unless totp=False."""
    made = accounts.user_create(actor=None, email=email, password=PASSWORD)
    if programme is not None and role is not None:
        accounts.role_assign(
            actor=None, user=made, programme=programme, role=role, organisation=organisation, places=places or []
        )
    if totp or (totp is None and role in MFA_REQUIRED_ROLES):
        accounts.totp_activate(actor=None, user=made, secret=TOTP_SECRET)
    return made


def person(
    programme: Programme,
    place: Place,
    *,
    actor: Any = None,
    sex: str = "female",
    birth_year: int = 1990,
    sectors: Sequence[Sector] = (),
    name: str = "",
    owner: Any = None,
    **values: Any,
) -> Person:
    """A person recorded by ``actor`` (None: the system); ``name`` goes to the vault as the full name."""
    return people.person_create(
        actor=actor,
        programme=programme,
        sex=sex,
        place=place,
        birth_year=birth_year,
        sectors=sectors,
        personal=PersonalData(full_name=name) if name else None,
        owner=owner,
        **values,
    )


def group(programme: Programme, district: Place, name: str, *, actor: Any = None, **values: Any) -> WorkingGroup:
    """A working group (a CWG unless ``kind`` is given)."""
    return groups.group_create(actor=actor, programme=programme, name=name, district=district, **values)


def membership(
    group: WorkingGroup, person: Person, joined_on: dt.date, *, actor: Any = None, **values: Any
) -> Membership:
    """``person`` joins ``group`` on ``joined_on`` (``role``, ``sector``, ``left_on`` as the service takes them)."""
    return groups.membership_add(actor=actor, group=group, person=person, joined_on=joined_on, **values)
