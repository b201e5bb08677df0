from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from hamkori.accounts.models import RoleAssignment, User
from hamkori.accounts.totp import current_code
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.demo.services import build_demo
from hamkori.groups.balance import balance_by_group
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.people.models import Person
from hamkori.programmes.models import Programme
from hamkori.vault.models import VaultRecord

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Programme.objects.count(),
        Organisation.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
        Person.objects.count(),
        WorkingGroup.objects.count(),
        Membership.objects.count(),
        VaultRecord.objects.count(),
    )


def test_demo_builds_the_profile_programme_and_is_idempotent() -> None:
    first = build_demo()
    after_first = counts()
    second = build_demo()
    assert counts() == after_first
    assert [a.email for a in first.accounts] == [a.email for a in second.accounts]
    programme = first.programme
    assert str(programme.budget) == "309304.00" and programme.currency == "USD"
    assert (programme.start_date.isoformat(), programme.end_date.isoformat()) == ("2018-06-25", "2019-12-31")
    assert [loc.place.code for loc in programme.locations.all()] == [
        "TJ-KT-HAMADONI",
        "TJ-SU-ISFARA",
        "TJ-KT-KUSHONIYON",
        "TJ-RA-NUROBOD",
        "TJ-GB-VANJ",
        "TJ-SU-ISFARA-ISFARA",
    ]
    partners = {p.organisation.name_en for p in programme.partnerships.all()}
    assert partners == {
        "Association of Scientific and Technical Intelligentsia of Tajikistan",
        "Lawyers Association of Pamir",
        "Marifatnoki",
        "Zarshedabonu",
    }
    assert [d.name_en for d in programme.donors.all()] == ["Public Affairs Section, United States Embassy in Dushanbe"]
    assert {a.role for a in first.accounts} == set(Role.values)


def test_demo_command_prints_every_login_and_a_working_second_factor() -> None:
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    text = out.getvalue()
    result = build_demo()
    for account in result.accounts:
        assert account.email in text
        user = User.objects.get(email=account.email)
        assert user.check_password(result.password)
        if account.totp_secret:
            assert account.totp_secret in text
            out2 = StringIO()
            call_command("totp_code", account.email, stdout=out2)
            assert out2.getvalue().strip() == current_code(account.totp_secret)
    assert result.password in text


def test_demo_groups_are_mostly_but_not_perfectly_balanced() -> None:
    import datetime as dt

    programme = build_demo().programme
    groups = list(WorkingGroup.objects.filter(programme=programme).select_related("district"))
    assert len(groups) == 6 and {g.status for g in groups} == {"active"}
    balances = balance_by_group(programme, groups, dt.date(2019, 6, 1))
    short = {g.district.code for g in groups if not balances[g.pk].meets_minimums}
    assert short == {"TJ-RA-NUROBOD", "TJ-GB-VANJ"}
    nurobod = next(balances[g.pk] for g in groups if g.district.code == "TJ-RA-NUROBOD")
    assert "religious_leader" in {s.code for s in nurobod.missing_sectors}
    assert all(
        g.status_changes.filter(to_status="active").exclude(justification="").exists()
        for g in groups
        if g.district.code in short
    )


def test_demo_runs_the_community_security_cycle_in_every_location() -> None:
    """Concerns in the six locations at every stage, with the profile's drivers; the Vanj police liaison
    has answered one referral and has one waiting; a receipt code works; public pages are published."""
    from django.test import Client

    from hamkori.concerns.models import Concern, DistrictPage, Driver, Referral, Status

    result = build_demo()
    programme = result.programme
    concerns = Concern.objects.filter(programme=programme)
    assert set(concerns.values_list("district__code", flat=True)) == {
        loc.place.code for loc in programme.locations.all()
    }
    stages = set(concerns.values_list("status", flat=True))
    assert stages >= set(Status.values) - {Status.MERGED}, set(Status.values) - stages
    assert Driver.objects.filter(programme=programme).count() == 6
    liaison = User.objects.get(email="liaison@hamkori.example")
    visible = Referral.objects.visible_to(liaison)
    assert {r.state for r in visible} >= {Referral.State.SENT, Referral.State.RESPONDED}
    assert DistrictPage.objects.filter(programme=programme, published_at__isnull=False).count() == 3
    assert result.receipt_code
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.post("/report/status/", {"code": result.receipt_code.lower()}).content.decode()
    assert "Received" in page and "No concern was found" not in page


def test_demo_runs_a_call_for_small_grants_with_applications_reviews_grants_and_campaigns() -> None:
    """One open TJS call taking public applications; applications from community, youth and women's groups in
    the six locations at every stage; two reviews and a screening for every decided one; dated dollar rates;
    grants just awarded, with the first tranche released, with the report approved and the second released,
    and closed; leaflets, posters, a video and a mobile theatre with the people reached, some at demo events;
    the money adds up; and the API shows a partner only her districts."""
    import datetime as dt

    from django.db.models import Sum
    from django.test import Client
    from django.utils import timezone

    from hamkori.grants.calls import call_is_open
    from hamkori.grants.models import (
        Application,
        CampaignProduct,
        ExchangeRate,
        Grant,
        GrantCall,
        Reach,
        ReachCount,
        Tranche,
    )
    from hamkori.grants.money import call_totals

    programme = build_demo().programme
    call = GrantCall.objects.get(programme=programme)
    assert call.currency == "TJS" and call.public_applications and call_is_open(call)
    assert call.deadline > timezone.now() + dt.timedelta(weeks=4)
    assert {p.code for p in call.districts.all()} == {loc.place.code for loc in programme.locations.all()}
    apps = Application.objects.filter(call=call)
    assert set(apps.values_list("district__code", flat=True)) == {loc.place.code for loc in programme.locations.all()}
    assert {"draft", "submitted", "changes", "rejected", "approved"} <= set(apps.values_list("status", flat=True))
    assert {"community", "youth", "women"} <= set(apps.values_list("applicant_kind", flat=True))
    assert apps.filter(entered_by__isnull=True, status="submitted").exclude(owner=None).exists()  # taken on
    for application in apps.filter(status__in=["approved", "rejected", "changes"]):
        assert hasattr(application, "screening"), application
        assert application.reviews.filter(submitted_at__isnull=False).count() == 2, application
        assert application.decision_reason, application
    assert apps.filter(reviews__conflict="declared").exists()
    rates = ExchangeRate.objects.filter(programme=programme, base="USD", quote="TJS")
    assert rates.count() >= 6 and all(Decimal("10") < r.rate < Decimal("12") for r in rates)
    # Grants at every stage.
    grants = Grant.objects.filter(call=call)
    released = {g.number: g.tranches.filter(status="released").count() for g in grants}
    assert grants.count() == apps.filter(status="approved").count() == 6
    assert sorted(released.values()) == [0, 1, 1, 2, 2, 2]
    assert grants.filter(status="closed").count() == 1
    assert grants.filter(agreement_signed_on__isnull=True).count() == 1
    assert all(g.reports.filter(number=1, status="approved").exists() for g in grants if released[g.number] == 2)
    totals = call_totals([call])[call.pk]
    assert totals.committed == grants.aggregate(s=Sum("amount"))["s"] <= call.envelope
    assert (
        totals.disbursed == Tranche.objects.filter(grant__call=call, status="released").aggregate(s=Sum("amount"))["s"]
    )
    for grant in grants:
        assert sum(t.amount for t in grant.tranches.all()) == grant.amount
    # Campaign products and their reach.
    products = CampaignProduct.objects.filter(programme=programme)
    assert {"leaflet", "poster", "video", "theatre"} <= set(products.values_list("format__code", flat=True))
    assert not products.filter(reach=None).exists()
    for product in products:
        assert sum(r.copies for r in product.reach.all()) <= product.quantity, product
    reach = Reach.objects.filter(programme=programme)
    assert reach.filter(event__isnull=False).exists()
    assert set(ReachCount.objects.filter(reach__in=reach).values_list("sex", flat=True)) == {"female", "male"}
    assert ReachCount.objects.filter(reach__in=reach).values("age_band").distinct().count() >= 5
    # The API, as LAP's partner (Vanj only).
    client = Client()
    client.force_login(User.objects.get(email="partner@hamkori.example"))
    rows = client.get("/api/grants/applications", {"programme": programme.code, "limit": 100}).json()["items"]
    assert rows and {r["district"] for r in rows} == {"TJ-GB-VANJ"}
    assert {r["status"] for r in rows} >= {"approved", "submitted"}
