"""The money path through the services on the real database: award within the envelope, tranches released
only when their condition holds, disbursements at the day's rate, reports, closing; amounts as Decimal with
their currency's places; and two releases or awards at the same moment that cannot overspend."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import awards, money, reviews
from hamkori.grants.models import (
    ApplicationStatus,
    Disbursement,
    Grant,
    GrantStatus,
    Tranche,
    TrancheStatus,
)
from tests.grants.conftest import ISFARA, approve, make_application, make_call

TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("0", "TJS", "more than zero"),
        ("-5", "TJS", "more than zero"),
        ("12.345", "TJS", "has 2 decimal places"),
        ("abc", "USD", "Enter an amount"),
        ("1e400", "USD", "too large"),
        ("NaN", "TJS", "Enter an amount"),
        ("10", "XYZ", "Choose a currency"),
    ],
)
def test_bad_amounts_are_refused_in_words(typed: str, currency: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        money.amount_of(typed, currency=currency, field="amount")
    assert message in " ".join(error.value.message_dict["amount"])


def test_amounts_keep_their_places_and_conversion_rounds_half_up_once() -> None:
    assert money.amount_of("1 500,5", currency="TJS", field="a") == Decimal("1500.50")
    assert money.convert(Decimal("1000.00"), Decimal("10.915450"), "TJS") == Decimal("10915.45")
    assert money.convert(Decimal("0.05"), Decimal("10.9"), "TJS") == Decimal("0.55")  # 0.545 -> 0.55


def test_the_whole_path_adds_up_to_the_last_diram(
    programme: Any, place: Any, grant_vocab: dict, users: dict, call: Any
) -> None:
    staff = users[Role.STAFF]
    application = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], amount="12000.55")
    approve(application, grant_vocab, staff)
    grant = Grant.objects.get(application=application)
    assert grant.amount == Decimal("12000.55") and grant.currency == "TJS"
    awards.tranches_plan(actor=staff, grant=grant, rows=[("7000.30", "signed", None), ("5000.25", "report", "1")])
    first, second = grant.tranches.order_by("number")
    with pytest.raises(ValidationError, match="not signed"):
        awards.tranche_release(actor=staff, tranche=first, paid_on=TODAY)
    awards.agreement_sign(actor=staff, grant=grant, signed_on=TODAY)
    awards.tranche_release(actor=staff, tranche=first, paid_on=TODAY, reference="BANK-1")
    with pytest.raises(ValidationError, match="already released"):
        awards.tranche_release(actor=staff, tranche=first, paid_on=TODAY)
    with pytest.raises(ValidationError, match="Report 1 is not approved"):
        awards.tranche_release(actor=staff, tranche=second, paid_on=TODAY)
    with pytest.raises(ValidationError) as error:
        awards.report_submit(actor=users[Role.PARTNER], grant=grant, kind="interim", narrative="x", spent="9000")
    assert "more than the 7000.30" in error.value.message_dict["spent"][0]
    report = awards.report_submit(
        actor=users[Role.PARTNER], grant=grant, kind="interim", narrative="Се намоиш", spent="6999.99"
    )
    awards.report_review(actor=staff, report=report, approve=True)
    awards.tranche_release(actor=staff, tranche=second, paid_on=TODAY)
    with pytest.raises(ValidationError) as error:
        awards.grant_close(actor=staff, grant=grant)
    assert "final report" in " ".join(error.value.message_dict["__all__"])
    final = awards.report_submit(
        actor=users[Role.PARTNER], grant=grant, kind="final", narrative="Ҳама", spent="12000.55"
    )
    awards.report_review(actor=staff, report=final, approve=True)
    awards.grant_close(actor=staff, grant=grant, note="Анҷом")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.CLOSED
    totals = money.call_totals([call])[call.pk]
    assert totals.committed == Decimal("12000.55") == totals.disbursed
    assert totals.paid == {"TJS": Decimal("12000.55")} and totals.remaining == Decimal("37999.45")
    actions = set(AuditEvent.objects.filter(object_id=str(grant.pk)).values_list("action", flat=True))
    assert {"grant.award", "grant.plan", "grant.sign", "grant.release", "grant.report", "grant.close"} <= actions


def test_a_payment_in_another_currency_uses_the_rate_of_the_day(
    programme: Any, place: Any, grant_vocab: dict, users: dict
) -> None:
    staff = users[Role.STAFF]
    call = make_call(programme, place, currency="USD", envelope="10000", max_grant="3000")
    application = make_application(call, place, grant_vocab, actor=staff, amount="2500")
    approve(application, grant_vocab, staff)
    grant = Grant.objects.get(application=application)
    awards.agreement_sign(actor=staff, grant=grant, signed_on=TODAY)
    tranche = grant.tranches.get()
    with pytest.raises(ValidationError, match="exchange rate"):
        awards.tranche_release(actor=staff, tranche=tranche, paid_on=TODAY, paid_currency="TJS")
    awards.rate_save(
        actor=staff, programme=programme, on=TODAY - dt.timedelta(days=3), base="USD", quote="TJS", rate="10.5"
    )
    awards.rate_save(actor=staff, programme=programme, on=TODAY, base="USD", quote="TJS", rate="10.915450")
    awards.rate_save(
        actor=staff, programme=programme, on=TODAY + dt.timedelta(days=1), base="USD", quote="TJS", rate="11"
    )
    payment = awards.tranche_release(actor=staff, tranche=tranche, paid_on=TODAY, paid_currency="TJS")
    assert payment.paid_amount == Decimal("27288.63") and payment.rate_on == TODAY  # 2500 × 10.91545 = 27288.625
    with pytest.raises(ValidationError, match="can no longer change"):
        awards.rate_save(actor=staff, programme=programme, on=TODAY, base="USD", quote="TJS", rate="12")
    with pytest.raises(ValidationError):
        awards.rate_save(actor=staff, programme=programme, on=TODAY, base="USD", quote="USD", rate="1")


def test_an_award_above_what_is_left_of_the_envelope_is_refused_and_nothing_is_saved(
    programme: Any, place: Any, grant_vocab: dict, users: dict
) -> None:
    call = make_call(programme, place, envelope="20000", max_grant="15000")
    first = make_application(call, place, grant_vocab, actor=users[Role.STAFF], amount="15000")
    second = make_application(call, place, grant_vocab, actor=users[Role.STAFF], amount="6000", district=ISFARA)
    approve(first, grant_vocab, users[Role.STAFF])
    with pytest.raises(ValidationError) as error:
        approve(second, grant_vocab, users[Role.STAFF])
    assert "Only 5000.00 TJS of the envelope is left" in error.value.message_dict["amount"][0]
    second.refresh_from_db()
    assert second.status == ApplicationStatus.SUBMITTED and not Grant.objects.filter(application=second).exists()
    reviews.application_decide(
        actor=users[Role.STAFF], application=second, decision="approve", reason="Камтар", amount="5000"
    )
    assert money.call_totals([call])[call.pk].remaining == Decimal("0.00")


def test_a_tranche_schedule_must_add_up_to_the_grant(grant: Any, users: dict) -> None:
    with pytest.raises(ValidationError) as error:
        awards.tranches_plan(
            actor=users[Role.STAFF], grant=grant, rows=[("5000", "signed", None), ("1000", "report", "1")]
        )
    assert "add up to 6000.00 TJS; the grant is 12000.00 TJS" in error.value.message_dict["tranches"][0]
    with pytest.raises(ValidationError):
        awards.tranches_plan(actor=users[Role.STAFF], grant=grant, rows=[("12000", "report", "")])
    assert list(grant.tranches.values_list("amount", flat=True)) == [Decimal("12000.00")]


def test_only_the_lead_organisation_moves_money(grant: Any, users: dict) -> None:
    tranche = grant.tranches.get()
    for role in (Role.PARTNER, Role.DONOR, Role.GROUP_MEMBER, Role.LIAISON):
        with pytest.raises(PermissionDenied):
            awards.tranche_release(actor=users[role], tranche=tranche, paid_on=TODAY)
    assert not Disbursement.objects.exists()


def _at_once(barrier: threading.Barrier, act: Callable[[], Any], results: list[Any]) -> None:
    """One of two simultaneous requests, on this thread's own database connection."""
    from django.db import connection as own

    try:
        barrier.wait(timeout=10)
        for _attempt in range(200):  # SQLite's shared in-memory test database answers "locked" at once
            try:
                results.append(act())
                return
            except OperationalError:
                threading.Event().wait(0.02)
        raise AssertionError("the database stayed locked")
    except BaseException as exc:
        results.append(exc)
    finally:
        own.close()


def _run_together(*acts: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(acts))
    results: list[Any] = []
    threads = [threading.Thread(target=_at_once, args=(barrier, act, results)) for act in acts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_staff_releasing_the_same_tranche_at_once_pay_it_once(
    programme: Any, place: Any, grant_vocab: dict, users: dict
) -> None:
    call = make_call(programme, place)
    application = make_application(call, place, grant_vocab, actor=users[Role.STAFF])
    approve(application, grant_vocab, users[Role.STAFF])
    grant = Grant.objects.get(application=application)
    awards.agreement_sign(actor=None, grant=grant, signed_on=TODAY)
    tranche = grant.tranches.get()
    results = _run_together(
        lambda: awards.tranche_release(actor=users[Role.STAFF], tranche=tranche, paid_on=TODAY),
        lambda: awards.tranche_release(actor=users[Role.ADMIN], tranche=tranche, paid_on=TODAY),
    )
    assert len(results) == 2
    paid = [r for r in results if isinstance(r, Disbursement)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(paid) == 1 and len(refused) == 1, results
    assert "already released" in " ".join(refused[0].messages)
    assert Disbursement.objects.filter(tranche=tranche).count() == 1
    assert money.call_totals([call])[call.pk].disbursed == Decimal("12000.00")


@pytest.mark.django_db(transaction=True)
def test_two_awards_at_once_cannot_overspend_the_envelope(
    programme: Any, place: Any, grant_vocab: dict, users: dict
) -> None:
    """Each fits what is left alone; together they would not: the call's lock serves one, then refuses the other."""
    call = make_call(programme, place, envelope="20000", max_grant="12000")
    staff = users[Role.STAFF]
    ready = []
    for district in ("TJ-GB-VANJ", ISFARA):
        application = make_application(call, place, grant_vocab, actor=staff, amount="12000", district=district)
        review = reviews.review_assign(actor=None, application=application, reviewer=staff)
        reviews.review_declare(actor=staff, review=review, conflict=False)
        reviews.review_save(
            actor=staff, review=review, scores={c.pk: (3, "") for c in call.criteria.all()}, submit=True
        )
        reviews.screening_save(
            actor=None, application=application, answers={q.pk: (True, "") for q in grant_vocab["questions"].values()}
        )
        ready.append(application)
    results = _run_together(
        *[
            (lambda a=a: reviews.application_decide(actor=staff, application=a, decision="approve", reason=""))
            for a in ready
        ]
    )
    assert len(results) == 2
    assert sum(1 for r in results if isinstance(r, ValidationError)) == 1, results
    assert Grant.objects.filter(call=call).count() == 1
    assert money.call_totals([call])[call.pk].committed == Decimal("12000.00") <= call.envelope
    assert Tranche.objects.filter(grant__call=call, status=TrancheStatus.PLANNED).count() == 1
