"""The demo programme: the 2018–2019 Tajikistan community-security project of
``shared/seed/project-profile.txt``, built through the services with a fixed random seed.
Running it again changes nothing (every step finds what it made before)."""

from __future__ import annotations

import base64
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hamkori.accounts import services as accounts
from hamkori.accounts.models import User
from hamkori.core.roles import MFA_REQUIRED_ROLES, Role
from hamkori.demo.concerns import build_concerns
from hamkori.demo.events import build_events
from hamkori.demo.grants import build_grants
from hamkori.demo.people import build_people_and_groups
from hamkori.orgs.models import Organisation
from hamkori.orgs.services import organisation_upsert
from hamkori.places.models import Place
from hamkori.programmes import services as programmes
from hamkori.programmes.models import Programme

SEED = 2018
PROGRAMME_CODE = "tj-community-security"
EMAIL_DOMAIN = "hamkori.example"

# (code, English label) of the six locations, in the profile's order.
LOCATIONS = [
    "TJ-KT-HAMADONI",
    "TJ-SU-ISFARA",
    "TJ-KT-KUSHONIYON",
    "TJ-RA-NUROBOD",
    "TJ-GB-VANJ",
    "TJ-SU-ISFARA-ISFARA",
]

ORGANISATIONS = {
    "saferworld": ("lead", "Saferworld", "Saferworld", "Saferworld", "SW"),
    "pas": (
        "donor",
        "Шӯъбаи робита бо ҷомеаи Сафорати ИМА дар Душанбе",
        "Отдел по связям с общественностью Посольства США в Душанбе",
        "Public Affairs Section, United States Embassy in Dushanbe",
        "PAS",
    ),
    "asti": (
        "partner",
        "Ассотсиатсияи зиёиёни илмӣ-техникии Тоҷикистон",
        "Ассоциация научно-технической интеллигенции Таджикистана",
        "Association of Scientific and Technical Intelligentsia of Tajikistan",
        "ASTI",
    ),
    "lap": (
        "partner",
        "Ассотсиатсияи ҳуқуқшиносони Помир",
        "Ассоциация юристов Памира",
        "Lawyers Association of Pamir",
        "LAP",
    ),
    "marifatnoki": ("partner", "Маърифатнокӣ", "Маърифатноки", "Marifatnoki", ""),
    "zarshedabonu": ("partner", "Заршедабону", "Заршедабону", "Zarshedabonu", ""),
    "mvd": (
        "police",
        "Вазорати корҳои дохилии Ҷумҳурии Тоҷикистон",
        "Министерство внутренних дел Республики Таджикистан",
        "Ministry of Internal Affairs of the Republic of Tajikistan",
        "ВКД",
    ),
    "youth": (
        "authority",
        "Кумитаи кор бо ҷавонон ва варзиши назди Ҳукумати Ҷумҳурии Тоҷикистон",
        "Комитет по делам молодёжи и спорта при Правительстве Республики Таджикистан",
        "Committee for Youth Affairs and Sports under the Government of Tajikistan",
        "КҶВ",
    ),
    "police_vanj": (
        "police",
        "Шӯъбаи корҳои дохилии ноҳияи Ванҷ",
        "Отдел внутренних дел Ванчского района",
        "Vanj District Department of Internal Affairs",
        "ШКД Ванҷ",
    ),
}

# Which partner facilitates in which location (the demo's assumption; the profile names no mapping).
PARTNER_LOCATIONS = {
    "lap": ["TJ-GB-VANJ"],
    "zarshedabonu": ["TJ-KT-HAMADONI", "TJ-KT-KUSHONIYON"],
    "marifatnoki": ["TJ-RA-NUROBOD"],
    "asti": ["TJ-SU-ISFARA", "TJ-SU-ISFARA-ISFARA"],
}

# role -> (email local part, display name, organisation key, place codes, language)
ACCOUNTS: list[tuple[str, str, str, str | None, list[str], str]] = [
    (Role.ADMIN, "admin", "Нигина Раҳимова", "saferworld", [], "tg"),
    (Role.STAFF, "staff", "Фаррух Назаров", "saferworld", [], "ru"),
    (Role.PARTNER, "partner", "Гулбаҳор Давлатмамадова", "lap", ["TJ-GB-VANJ"], "tg"),
    (Role.GROUP_MEMBER, "member", "Шоҳона Мирзоева", None, ["TJ-GB-VANJ"], "tg"),
    (Role.LIAISON, "liaison", "Азиз Қурбонов", "police_vanj", ["TJ-GB-VANJ"], "ru"),
    (Role.DONOR, "donor", "Sarah Mitchell", "pas", [], "en"),
]

SUMMARY = {
    "en": (
        "Communities, cross-sectoral working groups, police and local authorities identify the drivers "
        "of insecurity, prioritise them and address them together; small grants fund citizens' outreach "
        "campaigns; dialogues with authorities and five discussion papers carry communities' concerns upward."
    ),
    "ru": (
        "Сообщества, межсекторальные рабочие группы, милиция и местные органы власти выявляют причины "
        "небезопасности, расставляют приоритеты и вместе их устраняют; малые гранты финансируют "
        "информационные кампании граждан; диалоги с властями и пять аналитических записок доносят "
        "проблемы сообществ до руководства."
    ),
    "tg": (
        "Ҷамоатҳо, гурӯҳҳои кории байнибахшӣ, милитсия ва мақомоти маҳаллӣ омилҳои ноамниро муайян "
        "мекунанд, афзалиятҳоро муқаррар намуда, якҷоя ҳал мекунанд; грантҳои хурд маъракаҳои "
        "иттилоотии шаҳрвандонро маблағгузорӣ мекунанд; муколама бо мақомот ва панҷ ҳуҷҷати таҳлилӣ "
        "нигарониҳои ҷамоатҳоро ба сатҳи болоӣ мерасонанд."
    ),
}


@dataclass
class DemoAccount:
    role: str
    email: str
    display_name: str
    totp_secret: str | None


@dataclass
class DemoResult:
    programme: Programme
    password: str
    accounts: list[DemoAccount] = field(default_factory=list)
    #: A receipt code of a public submission, to try at /report/status/.
    receipt_code: str | None = None
    #: The demo call's public application form (/apply/<key>/form/), for anyone without an account.
    apply_path: str | None = None


def totp_secret_for(rng: random.Random) -> str:
    return base64.b32encode(bytes(rng.getrandbits(8) for _ in range(20))).decode("ascii")


@transaction.atomic
def build_demo() -> DemoResult:
    rng = random.Random(SEED)
    places = {p.code: p for p in Place.objects.filter(code__in=[*LOCATIONS, "TJ"])}
    missing = [c for c in LOCATIONS if c not in places]
    if missing:
        raise RuntimeError(f"Places missing (run migrations first): {missing}")

    orgs: dict[str, Organisation] = {}
    for key, (kind, tg, ru, en, short) in ORGANISATIONS.items():
        orgs[key], _ = organisation_upsert(
            actor=None, kind=kind, name_en=en, name_tg=tg, name_ru=ru, short_name=short, place=places["TJ"]
        )

    programme = Programme.objects.filter(code=PROGRAMME_CODE).first()
    if programme is None:
        programme = programmes.programme_create(
            actor=None,
            code=PROGRAMME_CODE,
            title_en="Citizen narrative campaign: community security in Tajikistan",
            title_ru="Гражданская информационная кампания: безопасность сообществ в Таджикистане",
            title_tg="Маъракаи иттилоотии шаҳрвандӣ: амнияти ҷамоатҳо дар Тоҷикистон",
            summary_en=SUMMARY["en"],
            summary_ru=SUMMARY["ru"],
            summary_tg=SUMMARY["tg"],
            lead_organisation=orgs["saferworld"],
            donors=[orgs["pas"]],
            budget=Decimal("309304.00"),
            currency="USD",
            start_date=dt.date(2018, 6, 25),
            end_date=dt.date(2019, 12, 31),
            country=places["TJ"],
            public_reports=True,
        )
    programmes.programme_set_locations(actor=None, programme=programme, places=[places[c] for c in LOCATIONS])
    for key, codes in PARTNER_LOCATIONS.items():
        programmes.programme_set_partner(
            actor=None, programme=programme, organisation=orgs[key], places=[places[c] for c in codes]
        )

    password = settings.HAMKORI_DEMO_PASSWORD
    result = DemoResult(programme=programme, password=password)
    for role, local, name, org_key, codes, language in ACCOUNTS:
        email = f"{local}@{EMAIL_DOMAIN}"
        secret = totp_secret_for(rng)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = accounts.user_create(
                actor=None, email=email, password=password, display_name=name, preferred_language=language
            )
        accounts.role_assign(
            actor=None,
            user=user,
            programme=programme,
            role=role,
            organisation=orgs[org_key] if org_key else None,
            places=[places[c] for c in codes],
        )
        needs_mfa = role in MFA_REQUIRED_ROLES
        if needs_mfa:
            accounts.totp_activate(actor=None, user=user, secret=secret)
        result.accounts.append(DemoAccount(role, email, name, secret if needs_mfa else None))

    owners = {code: orgs[key] for key, codes in PARTNER_LOCATIONS.items() for code in codes}
    admin = User.objects.get(email=f"admin@{EMAIL_DOMAIN}")
    build_people_and_groups(programme=programme, admin=admin, owners=owners, rng=rng)
    link_member_account(programme=programme, admin=admin, member=User.objects.get(email=f"member@{EMAIL_DOMAIN}"))
    result.receipt_code = build_concerns(
        programme=programme,
        admin=admin,
        partner=User.objects.get(email=f"partner@{EMAIL_DOMAIN}"),
        liaison=User.objects.get(email=f"liaison@{EMAIL_DOMAIN}"),
        orgs=orgs,
    )
    build_events(programme=programme, admin=admin, orgs=orgs, owners=owners)
    call = build_grants(
        programme=programme,
        admin=admin,
        staff=User.objects.get(email=f"staff@{EMAIL_DOMAIN}"),
        partner=User.objects.get(email=f"partner@{EMAIL_DOMAIN}"),
        orgs=orgs,
        owners=owners,
    )
    result.apply_path = f"/apply/{call.public_key}/"
    return result


def link_member_account(*, programme: Programme, admin: User, member: User) -> None:
    """The demo's group-member account is a woman in the Vanj working group: it sees that group."""
    from hamkori.groups.models import current_q
    from hamkori.people.models import Person
    from hamkori.people.services import person_link_account

    if Person.objects.filter(programme=programme, account=member).exists():
        return
    person = (
        Person.objects.filter(
            current_q(timezone.localdate(), prefix="memberships__"),
            programme=programme,
            sex="female",
            memberships__group__district__code="TJ-GB-VANJ",
        )
        .order_by("code")
        .first()
    )
    if person is not None:
        person_link_account(actor=admin, person=person, account=member)
