"""The demo's year of events: in each of the six locations a monthly working-group meeting with its members
ticked, two trainings with pre- and post-test scores (members and young people who are not members), a
conflict-analysis workshop, a police reporting day and a mobile theatre performance counted by tally, a
district dialogue, and next month's meetings still planned; and two national dialogues in Dushanbe whose
commitments the authorities made, some of them overdue. Built through the services, with dates relative to
today, and never twice."""

from __future__ import annotations

import datetime as dt
import functools
import random
from typing import Any

from django.utils import timezone

from hamkori.accounts.models import User
from hamkori.concerns import actions
from hamkori.demo.people import MEN, SURNAMES, WOMEN
from hamkori.events import attendance, commitments, services
from hamkori.events.models import AttendeeRole, Event, EventKind, TrainingTopic
from hamkori.groups.models import WorkingGroup, current_q
from hamkori.orgs.models import Organisation
from hamkori.people import services as people
from hamkori.people.models import Person
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from hamkori.vault.services import PersonalData

#: Young people trained in each location who are not members of its working group.
TRAINEES = 12
BANDS = ["u18", "18-24", "25-35", "36-50", "51-64"]
BAND_WEIGHTS = [2, 5, 3, 2, 1]


def _trainees(programme: Programme, district: Place, owner: Organisation, rng: random.Random) -> list[Person]:
    made = []
    for i in range(TRAINEES):
        female = i % 5 != 0 and rng.random() < 0.7
        age = rng.randint(16, 29)
        surname = rng.choice(SURNAMES)
        made.append(
            people.person_create(
                actor=None,
                programme=programme,
                sex="female" if female else "male",
                place=district,
                birth_year=timezone.localdate().year - age,
                languages=["tg"],
                personal=PersonalData(
                    full_name=f"{rng.choice(WOMEN if female else MEN)} {surname + 'а' if female else surname}"
                ),
                owner=owner,
                # Asked at registration for their first training: consent to take part, in writing.
                consents=[("participation", timezone.localdate() - dt.timedelta(days=330), "written", "tg")],
            )
        )
    return made


def _at(programme: Programme, day: dt.date, start: str, hours: int) -> dict[str, dt.datetime]:
    begin = services.local_datetime(programme, day, dt.time.fromisoformat(start))
    return {"starts_at": begin, "ends_at": begin + dt.timedelta(hours=hours)}


def _tally(rng: random.Random, roles: dict[str, AttendeeRole], size: int, role: str = "community") -> dict:
    cells: dict[tuple[str, str, int], int] = {}
    for _ in range(size):
        key = (rng.choice(["female", "male"]), rng.choices(BANDS, BAND_WEIGHTS)[0], roles[role].pk)
        cells[key] = cells.get(key, 0) + 1
    return cells


def _event(
    kind: str,
    day: dt.date,
    title: str,
    *,
    admin: User,
    programme: Programme,
    kinds: dict[str, EventKind],
    group: WorkingGroup,
    organiser: Organisation,
    start: str = "10:00",
    hours: int = 3,
    venue: str = "Маркази ҷамоат",
    groups: list[WorkingGroup] | None = None,
    **extra: Any,
) -> Event:
    when = _at(programme, day, start, hours)
    return services.event_create(
        actor=admin,
        programme=programme,
        kind=kinds[kind],
        title=title,
        place=group.district,
        organiser=organiser,
        venue=venue,
        groups=[group] if groups is None else groups,
        starts_at=when["starts_at"],
        ends_at=when["ends_at"],
        **extra,
    )


def build_events(
    *, programme: Programme, admin: User, orgs: dict[str, Organisation], owners: dict[str, Organisation]
) -> list[Event]:
    """Build the year; return the two national dialogues (their commitments are made by the caller)."""
    if Event.objects.filter(programme=programme).exists():
        return list(Event.objects.filter(programme=programme, level="national").order_by("starts_at"))
    rng = random.Random(2020)
    services.vocabulary_ensure(actor=admin, programme=programme)
    kinds = {k.code: k for k in EventKind.objects.filter(programme=programme)}
    topics = {t.code: t for t in TrainingTopic.objects.filter(programme=programme)}
    roles = {r.code: r for r in AttendeeRole.objects.filter(programme=programme)}
    today = timezone.localdate()
    groups = WorkingGroup.objects.filter(programme=programme).select_related("district")
    for group in groups:
        district = group.district
        organiser = owners[district.code]
        members = list(
            Person.objects.filter(current_q(today, prefix="memberships__"), memberships__group=group).order_by("code")
        )
        trainees = _trainees(programme, district, organiser, rng)

        event = functools.partial(
            _event, admin=admin, programme=programme, kinds=kinds, group=group, organiser=organiser
        )

        for month in range(12, 0, -1):
            day = today - dt.timedelta(days=30 * month - rng.randint(0, 6))
            meeting = event(
                "cwg-meeting",
                day,
                f"Ҷаласаи ҳармоҳаи {group.name}",
                agenda="1. Ҳисобот оид ба амалҳо\n2. Нигарониҳои нав\n3. Нақшаи моҳи оянда",
                minutes="Гурӯҳ иҷрои амалҳоро баррасӣ кард ва ду нигаронии навро ба қайд гирифт.",
            )
            came = [p for p in members if rng.random() < 0.8]
            attendance.attendance_save(
                actor=admin,
                event=meeting,
                entries=[attendance.Entry(person=p.pk, role=roles["cwg"].pk, organisation=organiser.pk) for p in came],
            )
        for n, (topic, months_ago) in enumerate([("cycle", 10), ("outreach", 4)]):
            day = today - dt.timedelta(days=30 * months_ago + 3 * n)
            training = event(
                "training",
                day,
                f"Омӯзиш: {topics[topic].name_tg}",
                hours=6,
                start="09:00",
                topics=[topics[topic]],
                test_max_score=20,
            )
            chosen = [p for p in members if rng.random() < 0.6] + [p for p in trainees if rng.random() < 0.75]
            attendance.attendance_save(
                actor=admin,
                event=training,
                entries=[
                    attendance.Entry(person=p.pk, role=(roles["cwg"] if p in members else roles["community"]).pk)
                    for p in chosen
                ],
            )
            scores = {}
            for p in chosen:
                pre = rng.randint(4, 12)
                scores[p.pk] = (pre, min(20, pre + rng.randint(1, 7))) if rng.random() < 0.9 else (pre, None)
            attendance.scores_save(actor=admin, event=training, scores=scores)
        workshop = event("conflict-analysis", today - dt.timedelta(days=200), "Таҳлили низоъ дар ҷамоат", hours=5)
        attendance.attendance_save(
            actor=admin,
            event=workshop,
            entries=[attendance.Entry(person=p.pk, role=roles["cwg"].pk) for p in members[: len(members) // 2 + 2]],
        )
        reporting = event("reporting-day", today - dt.timedelta(days=120), "Рӯзи ҳисоботи нозири участка", groups=[])
        attendance.tally_save(actor=admin, event=reporting, cells=_tally(rng, roles, rng.randint(25, 45)))
        theatre = event(
            "theatre",
            today - dt.timedelta(days=75),
            "Театри сайёр: «Ҷавонон ва амният»",
            start="16:00",
            hours=2,
            groups=[],
            venue="Майдони маркази ноҳия",
        )
        attendance.tally_save(actor=admin, event=theatre, cells=_tally(rng, roles, rng.randint(80, 160)))
        dialogue = event(
            "dialogue",
            today - dt.timedelta(days=50),
            "Муколама бо ҳукумати ноҳия оид ба нигарониҳои афзалиятнок",
            decisions="Ҳукумат розӣ шуд, ки масъалаи равшании кӯчаҳоро баррасӣ кунад.",
        )
        attendance.attendance_save(
            actor=admin,
            event=dialogue,
            entries=[attendance.Entry(person=p.pk, role=roles["cwg"].pk) for p in members[:6]],
        )
        attendance.tally_save(actor=admin, event=dialogue, cells=_tally(rng, roles, 8, role="authority"))
        event("cwg-meeting", today + dt.timedelta(days=12 + rng.randint(0, 6)), f"Ҷаласаи ҳармоҳаи {group.name}")
    country = Place.objects.get(code="TJ")
    nationals = []
    for days_ago, title in [
        (150, "Муколамаи миллӣ: ҷавонон ва амнияти ҷамоатҳо"),
        (40, "Муколамаи миллӣ бо Вазорати корҳои дохилӣ оид ба ҳамкории милитсия ва ҷамоатҳо"),
    ]:
        national = services.event_create(
            actor=admin,
            programme=programme,
            kind=kinds["dialogue"],
            level="national",
            title=title,
            place=country,
            organiser=orgs["saferworld"],
            venue="Душанбе, меҳмонхонаи «Ватан»",
            language="ru",
            starts_at=_at(programme, today - dt.timedelta(days=days_ago), "10:00", 6)["starts_at"],
            ends_at=_at(programme, today - dt.timedelta(days=days_ago), "10:00", 6)["ends_at"],
        )
        attendance.tally_save(actor=admin, event=national, cells=_tally(rng, roles, 45, role="authority"))
        nationals.append(national)
    _commitments(programme=programme, admin=admin, orgs=orgs, nationals=nationals, today=today)
    return nationals


def _commitments(
    *, programme: Programme, admin: User, orgs: dict[str, Organisation], nationals: list[Event], today: dt.date
) -> None:
    """What the authorities promised at the two national dialogues and at Vanj's district dialogue: some done,
    some under way, two overdue."""
    places = {p.code: p for p in Place.objects.filter(code__in=["TJ-SU-ISFARA", "TJ-KT-HAMADONI", "TJ-GB-VANJ"])}
    youth, interior = nationals
    # (event, owner, what, promised by, district, due (days from today), state, progress)
    promises = [
        (
            youth,
            "youth",
            "Амнияти ҷамоатҳоро ба нақшаи амалҳои сиёсати ҷавонон дохил кардан",
            "Муовини раиси Кумита",
            "TJ-SU-ISFARA",
            -60,
            "open",
            0,
        ),
        (
            youth,
            "youth",
            "Курсҳои касбомӯзӣ барои ҷавонони Исфара ва Ҳамадонӣ маблағгузорӣ кардан",
            "Сардори раёсати барномаҳо",
            "TJ-KT-HAMADONI",
            45,
            "in_progress",
            40,
        ),
        (
            interior,
            "mvd",
            "Ба шӯъбаҳои милитсияи ноҳияҳо дастур оид ба ҳисоботдиҳии мунтазам ба аҳолӣ фиристодан",
            "Муовини вазир",
            "TJ-GB-VANJ",
            -20,
            "in_progress",
            30,
        ),
        (
            interior,
            "mvd",
            "Қабули ҳарҳафтаинаи нозирони участка дар марказҳои ҷамоатҳоро ҷорӣ кардан",
            "Сардори раёсати милитсияи ҷамъиятӣ",
            "TJ-GB-VANJ",
            60,
            "open",
            0,
        ),
        (
            interior,
            "mvd",
            "Рақами телефони боварӣ барои ҷавонон дар ҳамаи ноҳияҳои барнома эълон кардан",
            "Муовини вазир",
            "TJ-SU-ISFARA",
            -5,
            "done",
            100,
        ),
    ]
    vanj_dialogue = (
        Event.objects.filter(programme=programme, kind__code="dialogue", district=places["TJ-GB-VANJ"])
        .order_by("starts_at")
        .first()
    )
    if vanj_dialogue is not None:
        promises.append(
            (vanj_dialogue, "police_vanj", "Посбонии шабона дар назди мактаб ва пул",
             "Сардори шӯъбаи корҳои дохилӣ", "TJ-GB-VANJ", 20, "in_progress", 50)
        )  # fmt: skip
    for event, owner, title, made_by, district, due, state, progress in promises:
        commitment = commitments.commitment_create(
            actor=admin,
            event=event,
            title=title,
            owners=[orgs[owner]],
            due_on=max(today + dt.timedelta(days=due), services.local_date(programme, event.starts_at)),
            made_by=made_by,
            district=places[district],
        )
        if state != "open":
            actions.action_update(
                actor=admin, action=commitment.action, state=state, progress=progress, note="Маълумот аз мақомот"
            )
