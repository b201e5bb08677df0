"""Fixtures of calls, applications, reviews and grants, built through the services (shared by tests/grants)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from hamkori.core.roles import Role
from hamkori.grants import applications, awards, calls, reviews
from hamkori.grants.models import ApplicantKind, Application, CampaignFormat, GrantCall, ScreeningQuestion

VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"


@pytest.fixture
def grant_vocab(programme: Any) -> dict[str, dict[str, Any]]:
    """The default campaign formats and do-no-harm questions, by code."""
    calls.vocabulary_ensure(actor=None, programme=programme)
    return {
        "formats": {f.code: f for f in CampaignFormat.objects.filter(programme=programme)},
        "questions": {q.code: q for q in ScreeningQuestion.objects.filter(programme=programme)},
    }


def make_call(programme: Any, place: Any, *, envelope: str = "50000", open_: bool = True, **values: Any) -> GrantCall:
    """An open call in TJS for Vanj and Isfara, deadline in 30 days, three weighted criteria."""
    defaults: dict[str, Any] = {
        "title": "Маъракаҳои шаҳрвандӣ 2026",
        "text": "Гурӯҳҳои ҷамоатӣ барои маъракаҳои иттилоотӣ грант мегиранд.",
        "currency": "TJS",
        "envelope": envelope,
        "max_grant": "20000",
        "deadline": timezone.now() + dt.timedelta(days=30),
        "districts": [place(VANJ), place(ISFARA)],
        "applicant_kinds": [],
        "languages": ["tg", "ru"],
        "criteria": [("Relevance to a safety concern", 3, ""), ("Feasibility", 2, ""), ("Reach", 1, "")],
    }
    defaults.update(values)
    call = calls.call_save(actor=None, programme=programme, **defaults)
    if open_:
        call = calls.call_set_status(actor=None, call=call, status="open")
    return call


def make_application(
    call: GrantCall,
    place: Any,
    vocab: dict,
    *,
    actor: Any = None,
    amount: str = "12000",
    submit: bool = True,
    district: str = VANJ,
    name: str = "Ҷамъияти ҷавонони Ванҷ",
) -> Application:
    draft = applications.Draft(
        applicant_name=name,
        applicant_kind=ApplicantKind.YOUTH_GROUP,
        district=place(district),
        title="Театри сайёр дар бораи муҳоҷират",
        summary="Намоишҳо дар деҳаҳо",
        audience="Ҷавонон ва оилаҳои муҳоҷирон",
        formats=[vocab["formats"]["theatre"]],
        languages=["tg"],
        starts_on=dt.date(2027, 1, 10),
        ends_on=dt.date(2027, 5, 30),
        budget=[("Костюмҳо", amount)],
    )
    saved = applications.application_save(actor=actor, call=call, client_key=uuid.uuid4(), draft=draft)
    application = saved.application
    if submit:
        application = applications.application_submit(actor=actor, application=application, token=saved.token)
    return application


def approve(application: Application, vocab: dict, reviewer: Any, *, amount: Any = None) -> Application:
    """A passed screening, one submitted review, approval."""
    review = reviews.review_assign(actor=None, application=application, reviewer=reviewer)
    reviews.review_declare(actor=reviewer, review=review, conflict=False)
    criteria = list(application.call.criteria.all())
    reviews.review_save(
        actor=reviewer, review=review, scores={c.pk: (4, "") for c in criteria}, comment="Хуб", submit=True
    )
    reviews.screening_save(
        actor=None, application=application, answers={q.pk: (True, "") for q in vocab["questions"].values()}
    )
    return reviews.application_decide(actor=None, application=application, decision="approve", reason="", amount=amount)


@pytest.fixture
def call(programme: Any, place: Any, grant_vocab: dict) -> GrantCall:
    return make_call(programme, place)


@pytest.fixture
def application(call: GrantCall, place: Any, grant_vocab: dict, users: dict) -> Application:
    """A submitted Vanj application entered by LAP's partner."""
    return make_application(call, place, grant_vocab, actor=users[Role.PARTNER])


@pytest.fixture
def grant(application: Application, grant_vocab: dict, users: dict) -> Any:
    """The application approved (reviewed by staff) and its agreement signed."""
    approve(application, grant_vocab, users[Role.STAFF])
    application.refresh_from_db()
    return awards.agreement_sign(actor=None, grant=application.grant, signed_on=timezone.localdate())
