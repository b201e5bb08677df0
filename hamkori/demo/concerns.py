"""The demo's community security cycle: the profile's drivers, concerns in the six locations at every
stage, a prioritisation round per district where police and community disagree, action plans with
joint actions, a referral the Vanj police liaison has answered and one still waiting, sign-offs,
reviews, published notes and public district pages. Built through the services, with fixed dates
relative to today (so overdue actions stay overdue), and never twice."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict

from django.utils import timezone

from hamkori.accounts.models import User
from hamkori.concerns import actions, intake, publication, rounds, services
from hamkori.concerns.models import AffectedGroup, Concern, Criterion, Driver, Stakeholder, Status
from hamkori.demo.concerns_data import CONCERNS, DRIVERS
from hamkori.groups.models import WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: The order of the stages the builder walks a concern through.
PATH = [Status.REPORTED, Status.TRIAGED, Status.PRIORITISED, Status.PLANNED, Status.IN_PROGRESS, Status.RESOLVED]
AFTER_TRIAGE_CLOSE = {Status.NOT_ACTIONABLE, Status.REFERRED_ELSEWHERE}

ACTION_TITLES = {
    "opportunities": "Ҳукумат ва гурӯҳ барои ҷавонон курсҳои касбомӯзӣ ташкил мекунанд",
    "expression": "Вохӯрии кушода бо раиси ҷамоат дар бораи мушкилоти об",
    "exclusion": "Ҷаласаҳои ҷамоат дар вақти барои занон мувофиқ гузаронида мешаванд",
    "police_mistrust": "Нозири участка ҳар ҳафта дар маркази ҷамоат қабули шаҳрвандон мегузаронад",
    "police_behaviour": "Семинар барои кормандони милитсия дар бораи муносибат бо ҷавонон",
    "recruitment": "Маъракаи иттилоотӣ барои ҷавонон ва оилаҳои муҳоҷирон",
}
PUBLIC_TEXT = {
    "opportunities": "Курсҳои касбомӯзӣ барои ҷавонон бо ҳамкории ҳукумати ноҳия",
    "expression": "Вохӯрии кушода бо раиси ҷамоат дар бораи мушкилоти об",
    "exclusion": "Ҷаласаҳои ҷамоат ба вақте гузаронида шуданд, ки занон иштирок карда метавонанд",
    "police_mistrust": "Қабули ҳарҳафтаинаи нозири участка дар маркази ҷамоат",
    "police_behaviour": "Омӯзиш барои кормандони милитсия оид ба кор бо ҷавонон",
    "recruitment": "Маъракаи иттилоотӣ барои ҷавонон ва оилаҳои муҳоҷирон",
}


def _authority(code: str, orgs: dict[str, Organisation]) -> Organisation | None:
    return orgs.get("police_vanj") if code == "TJ-GB-VANJ" else None


def build_concerns(
    *, programme: Programme, admin: User, partner: User, liaison: User, orgs: dict[str, Organisation]
) -> str | None:
    """Build the cycle; return a receipt code of a public submission for the demo's printout."""
    if Concern.objects.filter(programme=programme).exists():
        first = Concern.objects.filter(programme=programme, receipt_code__isnull=False).order_by("pk").first()
        return first.receipt_code if first else None
    rng = random.Random(2019)
    today = timezone.localdate()
    services.vocabulary_ensure(actor=admin, programme=programme, drivers=DRIVERS)
    drivers = {d.code: d for d in Driver.objects.filter(programme=programme)}
    affected = {a.code: a for a in AffectedGroup.objects.filter(programme=programme)}
    criteria = list(Criterion.objects.filter(programme=programme, active=True))
    places = {p.code: p for p in Place.objects.filter(code__in={c[0] for c in CONCERNS})}
    groups = {g.district.code: g for g in WorkingGroup.objects.filter(programme=programme).select_related("district")}
    receipt = None

    made: dict[str, list[tuple[Concern, str, list[str]]]] = defaultdict(list)
    for code, driver_codes, affected_codes, source, language, text, stage in CONCERNS:
        district = places[code]
        if source == "public":
            concern, _created = intake.concern_submit_public(
                programme=programme,
                district=district,
                description=text,
                language=language,
                intake_key=_uuid(rng),
            )
            receipt = receipt or concern.receipt_code
        else:
            concern = services.concern_create(
                actor=partner if code == "TJ-GB-VANJ" else admin,
                programme=programme,
                description=text,
                district=district,
                language=language,
                source=source,
                drivers=[drivers[c] for c in driver_codes],
                affected_groups=[affected[c] for c in affected_codes],
            )
        made[code].append((concern, stage, driver_codes))

    for code, entries in made.items():
        group = groups.get(code)
        actor = partner if code == "TJ-GB-VANJ" else admin
        to_round = []
        for concern, stage, driver_codes in entries:
            if stage == Status.REPORTED:
                continue
            services.concern_triage(
                actor=actor,
                concern=concern,
                drivers=[drivers[c] for c in (driver_codes or ["opportunities"])],
                affected_groups=list(concern.affected_groups.all()),
                sensitivity="restricted" if "police_behaviour" in driver_codes else "internal",
                group=group,
            )
            if stage == Status.DECLINED:
                services.concern_move(
                    actor=actor, concern=concern, to_status=Status.DECLINED, reason="Такрори нигаронии дигар."
                )
            elif stage in AFTER_TRIAGE_CLOSE:
                services.concern_move(
                    actor=actor,
                    concern=concern,
                    to_status=stage,
                    reason="Ба мақомоти дахлдор супорида шуд."
                    if stage == Status.REFERRED_ELSEWHERE
                    else "Берун аз салоҳияти гурӯҳ.",
                )
            elif stage != Status.TRIAGED:
                to_round.append((concern, stage, driver_codes))
        if not to_round or group is None:
            continue
        round_ = rounds.round_create(
            actor=actor,
            group=group,
            title=f"Афзалиятҳои {group.name}",
            held_on=today - dt.timedelta(days=45),
            criteria=criteria,
            concerns=[c for c, _s, _d in to_round],
        )
        for stakeholder in Stakeholder.values:
            scores = {}
            for i, (concern, _stage, driver_codes) in enumerate(to_round):
                for criterion in criteria:
                    value = 5 - min(i, 3)
                    if stakeholder == Stakeholder.POLICE and "police_mistrust" in driver_codes:
                        value = 1  # the police do not see their own trust as the priority
                    scores[(concern.pk, criterion.pk)] = max(1, min(5, value + rng.choice([-1, 0, 0, 1])))
            rounds.round_score(actor=actor, round=round_, stakeholder=stakeholder, scores=scores)
        rounds.round_decide(actor=actor, round=round_, chosen=[c for c, _s, _d in to_round])
        for n, (concern, stage, driver_codes) in enumerate(to_round):
            if stage == Status.PRIORITISED:
                continue
            _plan(
                concern,
                stage,
                driver_codes,
                n,
                actor=actor,
                admin=admin,
                liaison=liaison,
                orgs=orgs,
                today=today,
                code=code,
            )

    for code in ("TJ-GB-VANJ", "TJ-KT-HAMADONI", "TJ-RA-NUROBOD"):
        publication.district_page_publish(
            actor=admin,
            programme=programme,
            district=places[code],
            introduction="",
            do_no_harm_confirmed=True,
        )
    return receipt


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _plan(
    concern: Concern,
    stage: str,
    driver_codes: list[str],
    n: int,
    *,
    actor: User,
    admin: User,
    liaison: User,
    orgs: dict[str, Organisation],
    today: dt.date,
    code: str,
) -> None:
    driver = driver_codes[0] if driver_codes else "opportunities"
    authority = _authority(code, orgs)
    owners = [authority] if authority is not None else []
    overdue = stage == Status.IN_PROGRESS and n % 2 == 0
    action = actions.action_create(
        actor=actor,
        concern=concern,
        title=ACTION_TITLES[driver],
        due_on=today + dt.timedelta(days=-12 if overdue else 40),
        owners=owners,
        group_owns=True,
    )
    services.concern_move(actor=actor, concern=concern, to_status=Status.PLANNED)
    if stage == Status.PLANNED:
        return
    services.concern_move(actor=actor, concern=concern, to_status=Status.IN_PROGRESS)
    if authority is not None:
        referral = actions.referral_create(
            actor=actor,
            concern=concern,
            organisation=authority,
            action=action,
            message="Гурӯҳ хоҳиш мекунад, ки милитсия дар амали муштарак иштирок кунад ва то мӯҳлат ҷавоб диҳад.",
            respond_by=today + dt.timedelta(days=14),
        )
        if stage != Status.IN_PROGRESS:
            actions.referral_acknowledge(actor=liaison, referral=referral)
            actions.referral_respond(
                actor=liaison,
                referral=referral,
                response="Нозири участка ҳар сешанбе дар маркази ҷамоат қабул мекунад.",
            )
    if stage == Status.IN_PROGRESS:
        actions.action_update(actor=actor, action=action, progress=40, note="Ду вохӯрӣ гузаронида шуд.")
        return
    actions.action_update(actor=actor, action=action, state="done", note="Иҷро шуд.")
    outcome = Status.PARTLY_RESOLVED if stage == Status.PARTLY_RESOLVED else Status.RESOLVED
    actions.signoff_group(actor=actor, concern=concern, outcome=outcome)
    if authority is not None:
        actions.signoff_authority(actor=liaison, concern=concern, organisation=authority, outcome=outcome)
    services.concern_move(actor=actor, concern=concern, to_status=outcome)
    actions.action_publish(actor=admin, action=action, public_text=PUBLIC_TEXT[driver], do_no_harm_checked=True)
    services.concern_publish_note(actor=admin, concern=concern, text=PUBLIC_TEXT[driver] + ".", do_no_harm_checked=True)
    if stage == Status.REVIEWED:
        actions.review_record(
            actor=actor,
            concern=concern,
            reviewed_on=today - dt.timedelta(days=3),
            rating_before=2,
            rating_after=4,
            what_changed="Одамон мегӯянд, ки акнун бехавфтар ҳис мекунанд.",
        )
