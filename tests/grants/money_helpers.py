"""Helpers of the grant and money page tests (tests/grants/test_grant_pages.py, test_money_pages.py,
test_ledger.py): grants built through the services, the adversaries, and a snapshot of everything the money
pages could write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import awards
from hamkori.grants.models import Disbursement, ExchangeRate, Grant, GrantReport, Tranche
from tests import factories
from tests.grants.conftest import ISFARA, VANJ, approve, make_application, make_call

#: Audit actions the money pages write.
MONEY_ACTIONS = [
    "grant.sign",
    "grant.plan",
    "grant.release",
    "grant.report",
    "grant.report_approve",
    "grant.report_return",
    "grant.close",
    "grant.events",
    "grants.rate",
]


def url(name: str, programme: Any, *args: Any) -> str:
    return reverse(name, args=[programme.code, *args])


def awarded(
    call: Any, place: Any, vocab: dict, users: dict, *, amount: str = "12000", district: str = VANJ, **more: Any
) -> Grant:
    """An application of LAP's partner (Vanj; staff enter Isfara's), approved by staff: a grant with one planned
    tranche, agreement unsigned."""
    entered_by = users[Role.PARTNER] if district == VANJ else users[Role.STAFF]
    application = make_application(call, place, vocab, actor=entered_by, amount=amount, district=district, **more)
    approve(application, vocab, users[Role.STAFF])
    return Grant.objects.get(application=application)


def state() -> tuple[Any, ...]:
    """Everything a money page could change."""
    return (
        list(Grant.objects.order_by("pk").values()),
        list(Tranche.objects.order_by("pk").values()),
        list(Disbursement.objects.order_by("pk").values()),
        list(GrantReport.objects.order_by("pk").values()),
        list(ExchangeRate.objects.order_by("pk").values()),
        list(Grant.events.through.objects.order_by("pk").values()),
        AuditEvent.objects.filter(action__in=MONEY_ACTIONS).count(),
    )


def adversaries(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    """ASTI's partner given Vanj too (she sees LAP's Vanj grant, only the organisation holds her back), ASTI's
    partner in Isfara only, and an admin of another programme."""
    other = factories.programme(
        code="other-prog",
        title_en="Other programme",
        title_ru="Другая программа",
        title_tg="Барномаи дигар",
        lead=orgs["lead"],
        locations=[place(VANJ)],
        partners=[(orgs["lap"], [place(VANJ)])],
    )
    return {
        "asti_vanj": make_user(
            "asti-vanj@test.example",
            programme=programme,
            role=Role.PARTNER,
            organisation=orgs["asti"],
            places=[place(VANJ)],
        ),
        "asti_isfara": make_user(
            "asti-isfara@test.example",
            programme=programme,
            role=Role.PARTNER,
            organisation=orgs["asti"],
            places=[place("TJ-SU-ISFARA")],
        ),
        "other_admin": make_user(
            "other-admin@test.example", programme=other, role=Role.ADMIN, organisation=orgs["lead"]
        ),
        "other_programme": other,
    }


def build_money(programme: Any, place: Any, grant_vocab: dict, users: dict, today: dt.date) -> dict[str, Any]:
    """A TJS call with two grants (one paid 7000.30 TJS, one paid 1000 TJS in USD), a USD call with one grant
    paid in TJS, and a draft call."""
    staff = users[Role.STAFF]
    tjs = make_call(programme, place, envelope="50000.50", title="Маъракаҳо 2026")
    usd = make_call(programme, place, envelope="10000", max_grant="5000", currency="USD", title="Campaigns USD")
    draft = make_call(programme, place, envelope="777", max_grant="500", open_=False, title="Draft call")
    first = awarded(tjs, place, grant_vocab, users, amount="12000.55", name="Ҷамъияти ҷавонони Ванҷ")
    second = awarded(tjs, place, grant_vocab, users, amount="3000", district=ISFARA, name="Занони Исфара")
    third = awarded(usd, place, grant_vocab, users, amount="2500", name="Театри Ванҷ")
    for grant in (first, second, third):
        awards.agreement_sign(actor=None, grant=grant, signed_on=today - dt.timedelta(days=10))
    awards.tranches_plan(actor=None, grant=first, rows=[("7000.30", "signed", None), ("5000.25", "report", "1")])
    awards.tranche_release(actor=staff, tranche=first.tranches.get(number=1), paid_on=today, reference="B-1")
    awards.rate_save(
        actor=staff, programme=programme, on=today - dt.timedelta(days=1), base="TJS", quote="USD", rate="0.0915"
    )
    awards.tranches_plan(actor=None, grant=second, rows=[("1000", "signed", None), ("2000", "signed", None)])
    awards.tranche_release(actor=staff, tranche=second.tranches.get(number=1), paid_on=today, paid_currency="USD")
    awards.rate_save(actor=staff, programme=programme, on=today, base="USD", quote="TJS", rate="10.915450")
    awards.tranche_release(actor=staff, tranche=third.tranches.get(), paid_on=today, paid_currency="TJS")
    return {"tjs": tjs, "usd": usd, "draft": draft, "grants": [first, second, third]}
