"""The demo programme's people and working groups: a cross-sectoral working group in each of the
six locations, mostly but not perfectly balanced, so that the balance panel has something true to say."""

from __future__ import annotations

import datetime as dt
import random

from hamkori.accounts.models import User
from hamkori.groups import services as groups
from hamkori.groups.models import WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.people import services as people
from hamkori.people.models import Consent, Person, Sector
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData


def _consents(i: int, on: dt.date) -> list[people.ConsentGiven]:
    """Participation consent, given when the group was formed, for all but every seventh member (whose
    consent the home page and the people list then show as missing); contact consent for most."""
    if i % 7 == 6:
        return []
    method = "written" if i % 3 else "verbal"
    purposes = [Consent.Purpose.PARTICIPATION] + ([Consent.Purpose.CONTACT] if i % 4 else [])
    return [(str(purpose), on, method, "tg") for purpose in purposes]


WOMEN = [
    "Нигора",
    "Зарина",
    "Гулноза",
    "Мадина",
    "Шаҳноза",
    "Малика",
    "Фарзона",
    "Дилором",
    "Мунира",
    "Савсан",
    "Гулчеҳра",
    "Парвина",
    "Ситора",
    "Бунафша",
    "Нилуфар",
    "Маҳина",
    "Тахмина",
    "Зебо",
    "Ҳафиза",
    "Рухшона",
]
MEN = [
    "Ҷамшед",
    "Фирдавс",
    "Баҳром",
    "Умед",
    "Далер",
    "Шерзод",
    "Рустам",
    "Сӯҳроб",
    "Исмоил",
    "Фаррух",
    "Комрон",
    "Азиз",
    "Абдуллоҳ",
    "Меҳрубон",
    "Зафар",
    "Парвиз",
    "Бобур",
    "Хуршед",
    "Қобил",
    "Давлат",
]
SURNAMES = [
    "Раҳимов",
    "Назаров",
    "Саидов",
    "Қурбонов",
    "Шарипов",
    "Одинаев",
    "Мирзоев",
    "Ҳусейнов",
    "Сафаров",
    "Юсуфов",
    "Давлатмамадов",
    "Шоҳмамадов",
    "Каримов",
    "Ғафуров",
    "Имомов",
    "Ашуров",
    "Зиёев",
    "Латифов",
    "Боқиев",
    "Нурматов",
]

# Required sectors for a cross-sectoral working group, from the programme's description.
REQUIRED = ["civil_society", "elder", "religious_leader", "youth_leader", "journalist", "teacher", "business_owner"]

# (location code, women, men, sectors left out, joined on)
GROUPS = [
    ("TJ-KT-HAMADONI", 7, 7, [], dt.date(2018, 9, 12)),
    ("TJ-SU-ISFARA", 6, 7, [], dt.date(2018, 9, 20)),
    ("TJ-KT-KUSHONIYON", 7, 8, [], dt.date(2018, 10, 3)),
    ("TJ-RA-NUROBOD", 4, 10, ["religious_leader"], dt.date(2018, 10, 10)),
    ("TJ-GB-VANJ", 5, 8, ["journalist"], dt.date(2018, 10, 24)),
    ("TJ-SU-ISFARA-ISFARA", 6, 6, [], dt.date(2018, 11, 7)),
]
EXTRA_SECTORS = ["womens_group", "labour_migrant", "ethnic_minority", "local_authority", "police", "disability"]


def _place_under(place: Place, rng: random.Random) -> Place:
    children = list(place.children.order_by("code"))
    return rng.choice(children) if children and rng.random() < 0.7 else place


def _name(female: bool, rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    return f"{rng.choice(WOMEN if female else MEN)} {surname + 'а' if female else surname}"


def build_people_and_groups(
    *, programme: Programme, admin: User, owners: dict[str, Organisation], rng: random.Random
) -> None:
    if Person.objects.filter(programme=programme).exists():
        return  # built before: the demo never duplicates
    sectors = {s.code: s for s in Sector.objects.all()}
    groups.balance_policy_update(
        actor=admin,
        programme=programme,
        women_target_percent=50,
        women_minimum_percent=40,
        youth_max_age=30,
        minimum_members=9,
        required_sectors=[sectors[c] for c in REQUIRED],
    )
    groups.balance_policy_update(  # a community-police partnership team is held to its own rules
        actor=admin,
        programme=programme,
        kind=WorkingGroup.Kind.PARTNERSHIP_TEAM,
        women_target_percent=50,
        women_minimum_percent=30,
        youth_max_age=30,
        minimum_members=6,
        required_sectors=[sectors["police"], sectors["local_authority"]],
    )
    places = {p.code: p for p in Place.objects.filter(code__in=[g[0] for g in GROUPS])}
    for code, women, men, left_out, joined in GROUPS:
        place = places[code]
        group = groups.group_create(
            actor=admin,
            programme=programme,
            name=f"ГКБ {place.name_tg}" + (" (шаҳр)" if code == "TJ-SU-ISFARA-ISFARA" else ""),
            district=place,
            owner=owners[code],
        )
        wanted = [c for c in REQUIRED if c not in left_out]
        roster = [True] * women + [False] * men
        rng.shuffle(roster)
        for i, female in enumerate(roster):
            sector = (
                sectors[wanted[i]]
                if i < len(wanted)
                else sectors[rng.choice([*EXTRA_SECTORS, "civil_society", "teacher"])]
            )
            age = rng.randint(19, 66)
            person = people.person_create(
                actor=None,
                programme=programme,
                sex="female" if female else "male",
                place=_place_under(place, rng),
                birth_year=2018 - age,
                sectors=[sector],
                languages=["tg", "ru"] if rng.random() < 0.6 else ["tg"],
                personal=PersonalData(
                    full_name=_name(female, rng),
                    phone=f"+992 9{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                ),
                owner=owners[code],
                consents=_consents(i, joined),
            )
            role = "chair" if i == 0 else "secretary" if i == 1 else "member"
            groups.membership_add(
                actor=admin,
                group=group,
                person=person,
                role=role,
                sector=sector,
                joined_on=joined + dt.timedelta(days=rng.randint(0, 20)),
            )
        groups.group_transition(actor=admin, group=group, to_status=WorkingGroup.Status.FORMING)
        on = joined + dt.timedelta(days=60)
        justification = ""
        if left_out or women * 100 < 40 * (women + men):
            justification = "Ҳукумат узви боқимондаро то охири сол пешниҳод мекунад; гурӯҳ корашро оғоз мекунад."
        groups.group_transition(
            actor=admin, group=group, to_status=WorkingGroup.Status.ACTIVE, justification=justification, on=on
        )
    # One teacher registered twice, once spelt the Russian way, for the duplicate finder to catch.
    for spelling, language in [("Джамшед Рахимов", "ru"), ("Ҷамшед Раҳимов", "tg")]:
        people.person_create(
            actor=None,
            programme=programme,
            sex="male",
            place=places["TJ-SU-ISFARA"],
            birth_year=1986,
            sectors=[sectors["teacher"]],
            languages=[language],
            personal=PersonalData(full_name=spelling),
            owner=owners["TJ-SU-ISFARA"],
        )
