"""The demo's small grants: one call in somoni for citizens' outreach campaigns (the profile's "small grants to
communities for proposed outreach campaigns … leaflets and booklets … videos and posters, or … mobile
theatres"), open until five weeks after today and decided on a rolling basis; three applications from
community, youth and women's groups in each of the six locations, at every stage (drafts, one of them from the
public form; submitted, one taken on from the public form; changes requested; rejected, one for a do-no-harm
risk; approved); two reviewers' reviews (one conflict of interest declared) and a screening per decided
application; the month's exchange rates of the dollar; six grants at different stages (just awarded, first
tranche released, report approved and second tranche released, closed) and what their campaigns produced
(leaflets, posters, a video, a mobile theatre) with the people reached by sex and age band, some of it at the
demo's events. Built through the services, with dates relative to today, and never twice."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from hamkori.accounts.models import User
from hamkori.demo.people import MEN, SURNAMES, WOMEN
from hamkori.events.models import Event
from hamkori.events.services import local_date, local_datetime
from hamkori.grants import applications, awards, calls, campaigns, reviews
from hamkori.grants.models import (
    Application,
    CampaignFormat,
    GrantCall,
    ScreeningQuestion,
)
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData

ENVELOPE = "450000"
MAX_GRANT = "50000"
#: The age bands people reached fall in, and how often (campaigns reach mostly young people).
BANDS = ["u18", "18-24", "25-35", "36-50", "51-64", "65+"]
BAND_WEIGHTS = [3, 5, 4, 3, 2, 1]

CALL_TEXT = (
    "Барнома ба гурӯҳҳои ҷамоатӣ, ҷавонон ва занони шаш ноҳияи барнома грантҳои хурд медиҳад, то маъракаҳои "
    "иттилоотиро дар бораи нигарониҳои амниятии ҷамоат ва роҳҳои ҳалли онҳо гузаронанд: варақаҳо ва китобчаҳо, "
    "плакатҳо, видеоҳо, театри сайёр ва вохӯриҳо. Маърака бояд ба нигаронии афзалиятноки гурӯҳи кории "
    "байнибахшӣ ҷавоб диҳад, ба касе зарар нарасонад ва занону ҷавононро фаро гирад. Аризаҳо ба тартиби доимӣ "
    "то мӯҳлати охирин баррасӣ мешаванд.\n\n"
    "Программа выделяет малые гранты общественным, молодёжным и женским группам шести районов на "
    "информационные кампании о проблемах безопасности сообществ и путях их решения. Заявки рассматриваются "
    "по мере поступления до окончания срока."
)

CRITERIA = [
    (
        "Алоқамандӣ бо нигарониҳои амниятии ҷамоат",
        3,
        "Оё маърака ба нигаронии афзалиятноки гурӯҳи кории ноҳия ҷавоб медиҳад?",
    ),
    ("Иҷрошавандагӣ ва буҷаи асоснок", 2, "Нақша воқеӣ аст ва ҳар харҷ асоснок шудааст?"),
    ("Фарогирии занон, ҷавонон ва гурӯҳҳои канормонда", 2, "Кӣ иштирок мекунад ва кӣ ба маърака дастрасӣ дорад?"),
    ("Ҳассосият ба низоъ", 1, "Маърака ба касе зарар намерасонад ва ихтилофро шадид намекунад?"),
]


@dataclass
class Plan:
    """One application of the demo and how far it goes."""

    district: str
    place: str | None
    kind: str
    applicant: str
    title: str
    summary: str
    audience: str
    formats: list[str]
    languages: list[str]
    #: (item, amount) in somoni.
    budget: list[tuple[str, str]]
    #: draft, public-draft, submitted, public-submitted, changes, rejected, risk, approved
    stage: str
    #: For approved applications: awarded, first, second, closed.
    grant_stage: str = ""
    reason: str = ""
    #: (format code, title, language, quantity) of what the campaign produced.
    products: list[tuple[str, str, str, int]] = field(default_factory=list)


PLANS = [
    # Hamadoni (Zarshedabonu)
    Plan(
        "TJ-KT-HAMADONI",
        "TJ-KT-HAMADONI-PANJOB",
        "youth",
        "Ҷамъияти ҷамоатии ҷавонони «Ояндасоз»",
        "Театри сайёр «Роҳи бозгашт» дар бораи муҳоҷирати меҳнатӣ ва ҷалб ба гурӯҳҳои зӯровар",
        "Шаш намоиши театри сайёр дар маркази ноҳия ва ҷамоатҳо, баъди ҳар намоиш гуфтугӯ бо нозири участка ва "
        "модарони муҳоҷирон.",
        "Ҷавонони 15–30-сола, оилаҳои муҳоҷирони меҳнатӣ",
        ["theatre"],
        ["tg"],
        [
            ("Либос ва ороиши саҳна", "9800"),
            ("Роҳкиро ва хӯроки ҳунармандон", "14200"),
            ("Садо ва равшанӣ", "11000"),
            ("Эълонҳо ва даъватномаҳо", "7000"),
        ],
        "approved",
        "closed",
        products=[("theatre", "Театри сайёр «Роҳи бозгашт»", "tg", 6)],
    ),
    Plan(
        "TJ-KT-HAMADONI",
        "TJ-KT-HAMADONI-CHUBEK",
        "women",
        "Гурӯҳи занони ҷамоати Чубек",
        "Вохӯриҳои «Занон ва амнияти маҳалла» ва таҷҳизонии маркази занон",
        "Се вохӯрӣ бо занон ва харидани мебел ва компютер барои маркази занон.",
        "Занони ҷамоати Чубек",
        ["event"],
        ["tg"],
        [("Компютер ва принтер", "21000"), ("Мебел", "15000"), ("Вохӯриҳо", "4000")],
        "rejected",
        reason="Бештари буҷа барои таҷҳизот аст, на барои маърака. Лоиҳаро бо тамаркуз ба вохӯриҳо ва "
        "маводи иттилоотӣ дар даври навбатӣ пешниҳод кунед.",
    ),
    Plan(
        "TJ-KT-HAMADONI",
        "TJ-KT-HAMADONI-MOSKVA",
        "community",
        "Шӯрои маҳаллаи «Дӯстӣ»",
        "Плакатҳо дар бораи равшании кӯчаҳо ва роҳи бехатари мактаб",
        "Плакатҳо дар назди мактабҳо ва бозор; вохӯрӣ бо раиси ҷамоат.",
        "Волидон ва хонандагон",
        ["poster"],
        ["tg"],
        [("Тарроҳӣ ва чопи плакатҳо", "6500")],
        "draft",
    ),
    # Isfara (ASTI)
    Plan(
        "TJ-SU-ISFARA",
        "TJ-SU-ISFARA-CHORKUH",
        "community",
        "Гурӯҳи ташаббусии ҷамоати Чоркӯҳ",
        "Варақа ва плакат «Ба кӣ муроҷиат кунем?»: нозири участка ва ҷамоат",
        "Варақаҳо бо забонҳои тоҷикӣ ва русӣ бо рақамҳои телефони нозирони участка ва тартиби муроҷиат, "
        "плакатҳо дар марказҳои ҷамоат ва рӯзҳои ҳисоботи нозирон.",
        "Сокинони ҷамоати Чоркӯҳ, махсусан ҷавонон ва занон",
        ["leaflet", "poster"],
        ["tg", "ru"],
        [
            ("Тарроҳӣ", "4500"),
            ("Чопи 4000 варақа", "16000"),
            ("Чопи 200 плакат", "9000"),
            ("Паҳнкунӣ ва вохӯриҳо", "9000"),
        ],
        "approved",
        "second",
        products=[
            ("leaflet", "Варақаи «Ба кӣ муроҷиат кунем?»", "tg", 3000),
            ("leaflet", "Листовка «Куда обратиться?»", "ru", 1000),
            ("poster", "Плакати «Нозири участкаи шумо»", "tg", 200),
        ],
    ),
    Plan(
        "TJ-SU-ISFARA",
        None,
        "youth",
        "Клуби ҷавонони «Исфара-Нур»",
        "Озмуни видеоҳои кӯтоҳ «Таҳаммулпазирӣ дар шаҳри мо»",
        "Ҷавонон видеоҳои кӯтоҳ месозанд; беҳтаринҳо дар шабакаҳои иҷтимоӣ ва дар мактабҳо нишон дода мешаванд.",
        "Ҷавонони 14–25-сола",
        ["video", "social"],
        ["tg", "uz"],
        [("Омӯзиши наворбардорӣ", "8000"), ("Ҷоизаҳо", "6000"), ("Намоишҳо", "5500")],
        "submitted",
    ),
    Plan(
        "TJ-SU-ISFARA",
        "TJ-SU-ISFARA-NEFTOBOD",
        "women",
        "Гурӯҳи занони Нафтобод",
        "Барномаи радиоӣ «Овози занон» бо забонҳои тоҷикӣ ва ӯзбекӣ",
        "Даҳ барномаи радиоӣ бо иштироки занон, нозири участка ва ҳуқуқшинос.",
        "Занони шаҳракҳо ва деҳаҳо",
        ["radio"],
        ["tg", "uz"],
        [("Вақти эфир", "18000"), ("Ҳаққи қалами муаллифон", "7000")],
        "changes",
        reason="Нархномаи радиоро замима кунед ва нишон диҳед, ки ҳар барнома кай ва чанд дақиқа пахш мешавад.",
    ),
    # Kushoniyon (Zarshedabonu)
    Plan(
        "TJ-KT-KUSHONIYON",
        "TJ-KT-KUSHONIYON-BOKHTARIYON",
        "youth",
        "Иттиҳодияи ҷавонони Бохтариён",
        "Видеофилми «Хонаи мо — амнияти мо»",
        "Филми 20-дақиқаӣ дар бораи ҳамкории ҷавонон, милитсия ва ҷамоат дар ҳалли нигарониҳои маҳалла; намоиш "
        "дар мактабҳо, телевизиони маҳаллӣ ва шабакаҳои иҷтимоӣ.",
        "Ҷавонон, волидон ва омӯзгорон",
        ["video", "social"],
        ["tg", "ru"],
        [
            ("Сенария ва наворбардорӣ", "21000"),
            ("Монтаж ва садо", "12000"),
            ("Намоишҳо дар мактабҳо", "7500"),
            ("Таблиғ дар шабакаҳои иҷтимоӣ", "4500"),
        ],
        "approved",
        "second",
        products=[("video", "Видеофилми «Хонаи мо — амнияти мо»", "tg", 1)],
    ),
    Plan(
        "TJ-KT-KUSHONIYON",
        "TJ-KT-KUSHONIYON-NAVBAHOR",
        "community",
        "Маҳаллаи «Навбаҳор»",
        "Вохӯрии оммавӣ ва варақаҳо оид ба бехатарии ҳаракат дар роҳ",
        "Варақаҳо дар бораи қоидаҳои ҳаракат ва вохӯрӣ бо нозири БДА.",
        "Ронандагон ва пиёдагардон",
        ["leaflet", "event"],
        ["tg"],
        [("Чопи варақаҳо", "5000"), ("Вохӯрӣ", "3000")],
        "rejected",
        reason="Бехатарии ҳаракат дар роҳ муҳим аст, аммо ба нигарониҳои афзалиятноки гурӯҳи кории ноҳия ва ба "
        "мақсадҳои ин даъват дохил намешавад.",
    ),
    Plan(
        "TJ-KT-KUSHONIYON",
        "TJ-KT-KUSHONIYON-ORIYON",
        "women",
        "Гурӯҳи занони ҷамоати Ориён",
        "Китобчаи «Ҳуқуқҳои ман ҳангоми боздошт»",
        "Китобчаи 16-саҳифагӣ бо забони содда ва се вохӯрӣ бо ҳуқуқшинос.",
        "Занон ва ҷавонон",
        ["booklet", "event"],
        ["tg", "ru"],
        [("Навиштан ва тасдиқи ҳуқуқшинос", "6000"), ("Чопи 1500 китобча", "13500"), ("Вохӯриҳо", "4500")],
        "submitted",
    ),
    # Nurobod (Marifatnoki)
    Plan(
        "TJ-RA-NUROBOD",
        "TJ-RA-NUROBOD-DARBAND",
        "cwg",
        "Гурӯҳи кории байнибахшии Нуробод",
        "Плакатҳо ва вохӯриҳо: «Ҷавонон ва милитсия — гуфтугӯ»",
        "Чор вохӯрии ҷавонон бо нозирони участка дар ҷамоатҳо ва плакатҳо бо натиҷаҳои онҳо.",
        "Ҷавонони деҳаҳо ва нозирони участка",
        ["poster", "event"],
        ["tg"],
        [("Вохӯриҳо", "16000"), ("Чопи плакатҳо", "8000"), ("Нақлиёт", "12000")],
        "approved",
        "first",
        products=[("poster", "Плакати «Ҷавонон ва милитсия — гуфтугӯ»", "tg", 150)],
    ),
    Plan(
        "TJ-RA-NUROBOD",
        "TJ-RA-NUROBOD-KHUMDON",
        "youth",
        "Ҷавонони деҳаи Хумдон",
        "Мусобиқаи футбол ва вохӯрӣ бо нозири участка",
        "Мусобиқаи футбол байни деҳаҳо ва гуфтугӯ бо нозири участка баъди бозиҳо.",
        "Ҷавонписарон ва ҷавондухтарон",
        ["event"],
        ["tg"],
        [("Либоси варзишӣ ва тӯбҳо", "9000"), ("Ҷоизаҳо", "3000")],
        "changes",
        reason="Нишон диҳед, ки духтарон чӣ гуна иштирок мекунанд ва гуфтугӯ бо нозир дар бораи кадом нигарониҳо "
        "мешавад.",
    ),
    Plan(
        "TJ-RA-NUROBOD",
        "TJ-RA-NUROBOD-MEHROBOD",
        "women",
        "Гурӯҳи занони ҷамоати Меҳробод",
        "Варақаҳо барои модарон дар бораи пешгирии ҷалби ҷавонон ба гурӯҳҳои зӯровар",
        "Варақаҳо ва суҳбатҳо бо модарон дар марказҳои тиббӣ.",
        "Модарони наврасон",
        ["leaflet"],
        ["tg"],
        [("Чопи варақаҳо", "7000")],
        "draft",
    ),
    # Vanj (LAP, entered by its partner account)
    Plan(
        "TJ-GB-VANJ",
        "TJ-GB-VANJ-ROVAND",
        "community",
        "Ҷамъияти ҷамоатии «Рованд»",
        "Варақаҳо бо забонҳои тоҷикӣ ва русӣ: «Милитсия ва ҷамоат — ҳамкорӣ»",
        "Варақаҳо дар бораи тартиби муроҷиат ба милитсия ва ҷамоат, паҳнкунӣ дар муколамаи ноҳия ва деҳаҳо.",
        "Сокинони деҳаҳои болооб",
        ["leaflet"],
        ["tg", "ru"],
        [("Тарроҳӣ ва тарҷума", "5500"), ("Чопи 2000 варақа", "12500"), ("Паҳнкунӣ дар деҳаҳо", "10000")],
        "approved",
        "first",
        products=[
            ("leaflet", "Варақаи «Милитсия ва ҷамоат — ҳамкорӣ»", "tg", 1500),
            ("leaflet", "Листовка «Милиция и община — сотрудничество»", "ru", 500),
        ],
    ),
    Plan(
        "TJ-GB-VANJ",
        "TJ-GB-VANJ-YAZGHULOM",
        "youth",
        "Гурӯҳи ҷавонони Язгулом",
        "Театри сайёр дар деҳаҳои дурдасти Язгулом",
        "Се намоиш дар бораи ихтилофҳои байни ҷавонон ва роҳҳои осоиштаи ҳалли онҳо.",
        "Ҷавонон ва калонсолони деҳаҳо",
        ["theatre"],
        ["tg"],
        [("Роҳкиро", "9000"), ("Либос", "4000"), ("Садо", "3500")],
        "submitted",
    ),
    Plan(
        "TJ-GB-VANJ",
        "TJ-GB-VANJ-ZHOVID",
        "women",
        "Гурӯҳи занони Ҷовид",
        "Варақа ва намоишгоҳи аксҳо: «Занони муҳоҷирон»",
        "Намоишгоҳи аксҳо ва ҳикояҳои занони муҳоҷирон бо ному насаб ва варақаҳо.",
        "Сокинони ноҳия",
        ["leaflet", "event"],
        ["tg"],
        [("Наворбардорӣ", "6000"), ("Чоп", "9000")],
        "risk",
        reason="Намоиши ному аксҳои занон ва оилаҳои муҳоҷирон метавонад ба онҳо зарар расонад. Лоиҳаро бе ному "
        "аксҳои шинохташаванда аз нав пешниҳод кунед.",
    ),
    # Isfara town (ASTI; two from the public form)
    Plan(
        "TJ-SU-ISFARA-ISFARA",
        None,
        "youth",
        "Маркази ҷавонони шаҳри Исфара",
        "Саҳнаҳои театрӣ ва видео: «Ба доми ифротгароён наафтем»",
        "Ҳашт намоиши кӯтоҳ дар коллеҷҳо ва видеои онҳо барои шабакаҳои иҷтимоӣ.",
        "Донишҷӯёни коллеҷҳо ва ҷавонони бекор",
        ["theatre", "video"],
        ["tg", "uz"],
        [("Намоишҳо", "18000"), ("Видео", "14000"), ("Нақлиёт", "8000")],
        "approved",
        "awarded",
    ),
    Plan(
        "TJ-SU-ISFARA-ISFARA",
        None,
        "community",
        "Шӯрои маҳаллаи «Истиқлол»",
        "Плакатҳо дар бораи телефони боварӣ барои ҷавонон",
        "Плакатҳо дар истгоҳҳо, бозор ва мактабҳо бо рақами телефони боварӣ.",
        "Ҷавонон ва волидон",
        ["poster"],
        ["tg", "ru"],
        [("Чопи 300 плакат", "9000"), ("Овезон кардан", "2000")],
        "public-submitted",
    ),
    Plan(
        "TJ-SU-ISFARA-ISFARA",
        None,
        "women",
        "Гурӯҳи занони «Меҳр»",
        "Дарсҳои ҳуқуқӣ барои занон ва варақаҳо",
        "",
        "Занони шаҳр",
        [],
        ["tg"],
        [],
        "public-draft",
    ),
]


@dataclass
class Context:
    programme: Programme
    call: GrantCall
    admin: User
    staff: User
    partner: User
    orgs: dict[str, Organisation]
    owners: dict[str, Organisation]
    places: dict[str, Place]
    formats: dict[str, CampaignFormat]
    questions: list[ScreeningQuestion]
    rng: random.Random
    today: dt.date


def _key(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _contact(rng: random.Random) -> PersonalData:
    female = rng.random() < 0.6
    surname = rng.choice(SURNAMES)
    return PersonalData(
        full_name=f"{rng.choice(WOMEN if female else MEN)} {surname + 'а' if female else surname}",
        phone=f"+992 9{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
    )


def _counts(rng: random.Random, people: int) -> dict[tuple[str, str], int]:
    cells: dict[tuple[str, str], int] = {}
    for _ in range(people):
        key = ("female" if rng.random() < 0.55 else "male", rng.choices(BANDS, BAND_WEIGHTS)[0])
        cells[key] = cells.get(key, 0) + 1
    return cells


def _draft(ctx: Context, plan: Plan) -> applications.Draft:
    live = plan.grant_stage in ("first", "second", "closed")
    starts = ctx.today - dt.timedelta(days=150) if live else ctx.today + dt.timedelta(days=60)
    return applications.Draft(
        applicant_name=plan.applicant,
        applicant_kind=plan.kind,
        district=ctx.places[plan.district],
        place=ctx.places[plan.place] if plan.place else None,
        title=plan.title,
        summary=plan.summary,
        audience=plan.audience,
        formats=[ctx.formats[code] for code in plan.formats],
        languages=plan.languages,
        starts_on=starts if plan.budget else None,
        ends_on=starts + dt.timedelta(days=150) if plan.budget else None,
        budget=plan.budget,
        contact=_contact(ctx.rng),
    )


def _review(ctx: Context, application: Application, reviewer: User, *, good: bool, submit: bool = True) -> None:
    review = reviews.review_assign(actor=ctx.admin, application=application, reviewer=reviewer)
    reviews.review_declare(actor=reviewer, review=review, conflict=False)
    low, high = (3, 5) if good else (1, 3)
    comments = (
        ["Ба нигаронии афзалиятноки ноҳия мувофиқ аст.", "Буҷа асоснок аст.", "Занон ва ҷавонон фаро гирифта шудаанд."]
        if good
        else ["Алоқа бо нигарониҳои гурӯҳи корӣ суст аст.", "Буҷа аз ҳад зиёд аст.", "Нақша норавшан аст."]
    )
    reviews.review_save(
        actor=reviewer,
        review=review,
        scores={
            c.pk: (ctx.rng.randint(low, high), ctx.rng.choice(comments) if ctx.rng.random() < 0.5 else "")
            for c in ctx.call.criteria.all()
        },
        comment=ctx.rng.choice(comments),
        submit=submit,
    )


def _screen(ctx: Context, application: Application, *, risk: bool = False) -> None:
    answers: dict[int, tuple[bool | None, str]] = {q.pk: (True, "") for q in ctx.questions}
    if risk:
        first = ctx.questions[0]  # "The campaign names and blames no one"
        answers[first.pk] = (False, "Ному аксҳои занони муҳоҷирон нишон дода мешаванд.")
    reviews.screening_save(
        actor=ctx.staff,
        application=application,
        answers=answers,
        note="Хавф ёфт шуд." if risk else "Хавфе ёфт нашуд.",
    )


def _application(ctx: Context, plan: Plan) -> Application:
    """Save the plan's application at its stage (the decision and the grant come after)."""
    if plan.stage.startswith("public"):
        saved = applications.application_save(
            actor=None, call=ctx.call, client_key=_key(ctx.rng), draft=_draft(ctx, plan)
        )
        application = saved.application
        if plan.stage == "public-submitted":
            application = applications.application_submit(actor=None, application=application, token=saved.token)
            application = applications.application_take_on(
                actor=ctx.admin, application=application, owner=ctx.owners[plan.district]
            )
        return application
    actor = ctx.partner if plan.district == "TJ-GB-VANJ" else ctx.staff
    owner = None if actor is ctx.partner else ctx.owners[plan.district]
    saved = applications.application_save(
        actor=actor, call=ctx.call, client_key=_key(ctx.rng), draft=_draft(ctx, plan), owner=owner
    )
    application = saved.application
    if plan.stage != "draft":
        application = applications.application_submit(actor=actor, application=application)
    return application


def _decide(ctx: Context, plan: Plan, application: Application, waiting: int) -> None:
    """Reviews, screening and the decision the plan's stage asks for. Of the applications still waiting
    (``waiting`` counts them), the first has one review and a conflict of interest declared, the second both
    reviews (the screening and decision are next), the third one review, the others reviewers who have not
    started."""
    if plan.stage in ("draft", "public-draft"):
        return
    if plan.stage in ("submitted", "public-submitted"):
        if waiting <= 2:
            _review(ctx, application, ctx.staff, good=True)
        if waiting == 1:
            _review(ctx, application, ctx.admin, good=True)
            return
        review = reviews.review_assign(actor=ctx.admin, application=application, reviewer=ctx.admin)
        if waiting == 0:
            reviews.review_declare(
                actor=ctx.admin, review=review, conflict=True, note="Роҳбари гурӯҳ хешованди ман аст."
            )
        if waiting >= 3:
            reviews.review_assign(actor=ctx.admin, application=application, reviewer=ctx.staff)
        return
    good = plan.stage in ("approved", "changes", "risk")
    _review(ctx, application, ctx.staff, good=good)
    _review(ctx, application, ctx.admin, good=good)
    _screen(ctx, application, risk=plan.stage == "risk")
    decision = {"approved": "approve", "changes": "changes", "rejected": "reject", "risk": "reject"}[plan.stage]
    reviews.application_decide(
        actor=ctx.admin,
        application=application,
        decision=decision,
        reason=plan.reason or "Маърака ба нигаронии афзалиятноки ноҳия ҷавоб медиҳад. Табрик!",
    )


def _rates(ctx: Context) -> None:
    """The dollar in somoni on the first of each of the last nine months and today (as the National Bank gave)."""
    rate = Decimal("10.9480")
    days = {ctx.today}
    for back in range(9):
        month = ctx.today.month - 1 - back
        days.add(dt.date(ctx.today.year + month // 12, month % 12 + 1, 1))
    for day in sorted(days):
        rate += Decimal(ctx.rng.randint(-60, 40)) / 10000
        awards.rate_save(actor=ctx.admin, programme=ctx.programme, on=day, base="USD", quote="TJS", rate=rate)


def _event(ctx: Context, district: str, kind: str) -> Event | None:
    return (
        Event.objects.filter(programme=ctx.programme, kind__code=kind, district__code=district)
        .order_by("starts_at")
        .first()
    )


#: The kinds of demo event a product was shown or handed out at, by format (the first one held in time).
EVENT_KINDS = {"theatre": ["theatre"], "video": ["dialogue"], "leaflet": ["reporting-day", "dialogue"],
               "poster": ["dialogue", "reporting-day"]}  # fmt: skip


def _reach(ctx: Context, product: Any, actor: User | None, plan: Plan, fmt: str, since: dt.date) -> None:
    """The product's distributions or performances since ``since``, one of them at a demo event."""
    district = ctx.places[plan.district]
    place = ctx.places[plan.place] if plan.place else district
    rows: list[tuple[dt.date, Place, str, Event | None]] = []
    for kind in EVENT_KINDS.get(fmt, []):
        event = _event(ctx, plan.district, kind)
        day = local_date(ctx.programme, event.starts_at) if event is not None else None
        if event is not None and day is not None and since <= day <= ctx.today:
            rows.append((day, event.place, {"theatre": "performance", "video": "screening"}.get(fmt, "event"), event))
            break
    if fmt == "theatre":
        rows += [(since + dt.timedelta(days=20 + 15 * n), place, "performance", None) for n in range(3)]
    elif fmt == "video":
        rows += [
            (since + dt.timedelta(days=40), district, "broadcast", None),
            (since + dt.timedelta(days=45), district, "online", None),
            (since + dt.timedelta(days=55), place, "screening", None),
        ]
    else:
        rows += [(since + dt.timedelta(days=15 + 20 * n), place if n else district, "distribution", None)
                 for n in range(2)]  # fmt: skip
    printed = fmt in ("leaflet", "poster")
    left = product.quantity  # copies never handed out twice
    for on, where, channel, event in sorted(rows, key=lambda row: row[0]):
        if on > ctx.today:
            continue
        people = ctx.rng.randint(40, 140)
        copies = min(left // 2 or left, people + ctx.rng.randint(0, 80)) if printed else 0
        left -= copies
        campaigns.reach_save(
            actor=actor,
            product=product,
            on=on,
            place=where,
            channel=channel,
            counts=_counts(ctx.rng, people),
            copies=copies,
            feedback=ctx.rng.choice(FEEDBACK),
            event=event,
        )


FEEDBACK = [
    "Одамон саволҳо доданд ва рақами нозирро навиштанд.",
    "Ҷавонон пешниҳод карданд, ки намоиш дар деҳаҳои дигар ҳам гузарад.",
    "Занон гуфтанд, ки акнун медонанд ба кӣ муроҷиат кунанд.",
    "",
]


def _money(ctx: Context, plan: Plan, application: Application, index: int) -> None:
    """Take the grant of an approved application to its plan's stage, and record what its campaign produced."""
    application.refresh_from_db()
    grant = application.grant
    first = (grant.amount * Decimal("0.6")).quantize(Decimal("1"))
    awards.tranches_plan(
        actor=ctx.admin, grant=grant, rows=[(str(first), "signed", None), (str(grant.amount - first), "report", 1)]
    )
    if plan.grant_stage == "awarded":
        return
    reporter = ctx.partner if plan.district == "TJ-GB-VANJ" else None
    signed = ctx.today - dt.timedelta(days={"first": 65, "second": 140, "closed": 170}[plan.grant_stage] + index)
    awards.agreement_sign(actor=ctx.admin, grant=grant, signed_on=signed)
    one, two = grant.tranches.order_by("number")
    awards.tranche_release(
        actor=ctx.admin, tranche=one, paid_on=signed + dt.timedelta(days=7), reference=f"ПП-{grant.pk:03d}-1"
    )
    for fmt, title, language, quantity in plan.products:
        product = campaigns.product_save(
            actor=reporter,
            programme=ctx.programme,
            grant=grant,
            district=None,
            format=ctx.formats[fmt],
            title=title,
            language=language,
            quantity=quantity,
            description=plan.summary,
        )
        _reach(ctx, product, reporter, plan, fmt, signed + dt.timedelta(days=10))
    spent = (one.amount * Decimal("0.93")).quantize(Decimal("0.01")) + Decimal("0.75")
    if plan.grant_stage == "first":
        report = awards.report_submit(
            actor=reporter,
            grant=grant,
            kind="interim",
            narrative="Маводҳо чоп ва қисман паҳн шуданд; вохӯриҳои аввал гузаронида шуданд.",
            spent=spent,
        )
        if reporter is not None:  # Vanj: returned, for LAP's partner to complete
            awards.report_review(
                actor=ctx.admin,
                report=report,
                approve=False,
                note="Шумораи варақаҳои паҳншуда ва рӯйхати деҳаҳоро илова кунед.",
            )
        return
    report = awards.report_submit(
        actor=reporter,
        grant=grant,
        kind="interim",
        narrative="Нимаи аввали маърака гузашт: маводҳо омода ва паҳн шуданд, намоишҳо ва вохӯриҳо гузаштанд.",
        spent=spent,
    )
    awards.report_review(actor=ctx.admin, report=report, approve=True, note="Қабул шуд.")
    awards.tranche_release(
        actor=ctx.admin, tranche=two, paid_on=signed + dt.timedelta(days=70), reference=f"ПП-{grant.pk:03d}-2"
    )
    if plan.grant_stage == "second":
        if index % 2:  # one final report waits for review
            awards.report_submit(
                actor=reporter,
                grant=grant,
                kind="final",
                narrative="Маърака анҷом ёфт. Ҳисоботи молиявӣ бо чекҳо замима шудааст.",
                spent=grant.amount - Decimal("310.50"),
            )
        return
    final = awards.report_submit(
        actor=reporter,
        grant=grant,
        kind="final",
        narrative="Ҳамаи шаш намоиш гузашт; ҷамоатҳо пешниҳод карданд, ки театр дар мактабҳо идома ёбад.",
        spent=grant.amount,
    )
    awards.report_review(actor=ctx.admin, report=final, approve=True, note="Ҳисоботи ниҳоӣ қабул шуд.")
    awards.grant_close(actor=ctx.admin, grant=grant, note="Грант пурра иҷро шуд.")


def build_grants(
    *,
    programme: Programme,
    admin: User,
    staff: User,
    partner: User,
    orgs: dict[str, Organisation],
    owners: dict[str, Organisation],
) -> GrantCall:
    """Build the call and everything on it; return the call (found, the second time)."""
    found = GrantCall.objects.filter(programme=programme).order_by("pk").first()
    if found is not None:
        return found
    rng = random.Random(2019)
    today = timezone.localdate()
    calls.vocabulary_ensure(actor=admin, programme=programme)
    places = {
        p.code: p
        for p in Place.objects.filter(code__in={c for plan in PLANS for c in (plan.district, plan.place) if c})
    }
    call = calls.call_save(
        actor=admin,
        programme=programme,
        title="Грантҳои хурд барои маъракаҳои иттилоотии шаҳрвандӣ",
        text=CALL_TEXT,
        currency="TJS",
        envelope=ENVELOPE,
        max_grant=MAX_GRANT,
        deadline=local_datetime(programme, today + dt.timedelta(weeks=5), dt.time(18)),
        districts=[loc.place for loc in programme.locations.select_related("place").order_by("order", "pk")],
        applicant_kinds=["community", "youth", "women", "cwg"],
        languages=["tg", "ru", "uz"],
        score_max=5,
        public_applications=True,
        criteria=CRITERIA,
    )
    call = calls.call_set_status(actor=admin, call=call, status="open")
    ctx = Context(
        programme=programme,
        call=call,
        admin=admin,
        staff=staff,
        partner=partner,
        orgs=orgs,
        owners=owners,
        places=places,
        formats={f.code: f for f in CampaignFormat.objects.filter(programme=programme)},
        questions=list(ScreeningQuestion.objects.filter(programme=programme, active=True).order_by("order", "pk")),
        rng=rng,
        today=today,
    )
    _rates(ctx)
    made = [(plan, _application(ctx, plan)) for plan in PLANS]
    waiting = 0
    for plan, application in made:
        _decide(ctx, plan, application, waiting)
        waiting += plan.stage in ("submitted", "public-submitted")
    for index, (plan, application) in enumerate(made):
        if plan.stage == "approved":
            _money(ctx, plan, application, index)
    return call
