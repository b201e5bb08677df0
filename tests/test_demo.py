from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from hamkori.accounts.models import RoleAssignment, User
from hamkori.accounts.totp import current_code
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.demo.services import build_demo
from hamkori.orgs.models import Organisation
from hamkori.programmes.models import Programme

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Programme.objects.count(),
        Organisation.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
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
