"""Programme administration pages: a new programme, settings, partners, organisations, sectors,
and the audit log page."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from hamkori.accounts.services import totp_activate, user_create
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.orgs.models import Organisation
from hamkori.people.models import Sector
from hamkori.programmes.models import Programme
from tests.conftest import PASSWORD, TOTP_SECRET


def test_installation_administrator_creates_a_programme(db: Any, orgs: dict, place: Any, client_for: Any) -> None:
    root = user_create(actor=None, email="root@test.example", password=PASSWORD)
    root.is_superuser = True
    root.save(update_fields=["is_superuser"])
    totp_activate(actor=None, user=root, secret=TOTP_SECRET)
    client = client_for(root)
    data = {
        "code": "kg-2027",
        "title_en": "Batken community safety",
        "lead_organisation": orgs["lead"].pk,
        "donors": [orgs["donor"].pk],
        "budget": "125000.50",
        "currency": "EUR",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "time_zone": "Asia/Bishkek",
        "locations": [place("TJ-SU-ISFARA").pk],
    }
    bad = client.post(reverse("programme_new"), {**data, "end_date": "2026-01-01"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    assert not Programme.objects.filter(code="kg-2027").exists()
    response = client.post(reverse("programme_new"), data)
    assert response.status_code == 302
    programme = Programme.objects.get(code="kg-2027")
    assert (str(programme.budget), programme.currency) == ("125000.50", "EUR")
    assert [loc.place.code for loc in programme.locations.all()] == ["TJ-SU-ISFARA"]


def test_only_superusers_create_programmes(users: dict, client_for: Any) -> None:
    assert client_for(users[Role.ADMIN]).get(reverse("programme_new")).status_code == 403


def test_admin_edits_settings_and_partners(
    users: dict, client_for: Any, programme: Any, orgs: dict, place: Any
) -> None:
    client = client_for(users[Role.ADMIN])
    url = reverse("programme_settings", args=[programme.code])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "title_tg": "Барнома",
        "title_ru": "",
        "title_en": "Renamed",
        "lead_organisation": orgs["lead"].pk,
        "donors": [orgs["donor"].pk],
        "budget": "2000",
        "currency": "TJS",
        "start_date": "2018-06-25",
        "end_date": "2019-12-31",
        "time_zone": "Asia/Dushanbe",
        "locations": [place("TJ-GB-VANJ").pk, place("TJ-SU-ISFARA").pk, place("TJ-RA-NUROBOD").pk],
    }
    assert client.post(url, data).status_code == 302
    programme.refresh_from_db()
    assert (programme.title_en, str(programme.budget), programme.currency) == ("Renamed", "2000.00", "TJS")
    assert programme.locations.count() == 3
    assert AuditEvent.objects.filter(action="programme.update", object_id=str(programme.pk)).exists()
    marif = Organisation.objects.create(kind="partner", name_en="Marifatnoki")
    response = client.post(
        reverse("programme_partner", args=[programme.code]),
        {"organisation": marif.pk, "places": [place("TJ-RA-NUROBOD").pk]},
    )
    assert response.status_code == 302
    assert programme.partnerships.filter(organisation=marif).exists()
    assert client_for(users[Role.STAFF]).post(url, data).status_code == 403


def test_organisations_page(users: dict, client_for: Any) -> None:
    client = client_for(users[Role.ADMIN])
    response = client.post(
        reverse("organisation_list"), {"kind": "police", "name_en": "Isfara police", "name_tg": "Милитсияи Исфара"}
    )
    assert response.status_code == 302
    assert Organisation.objects.filter(name_en="Isfara police", kind="police").exists()
    denied = client_for(users[Role.PARTNER]).post(reverse("organisation_list"), {"kind": "police", "name_en": "Fake"})
    assert denied.status_code == 403 and not Organisation.objects.filter(name_en="Fake").exists()


def test_admin_adds_a_sector(users: dict, client_for: Any, programme: Any) -> None:
    client = client_for(users[Role.ADMIN])
    url = reverse("sector_list", args=[programme.code])
    response = client.post(
        url,
        {
            "code": "water_user",
            "name_tg": "Истифодабарандаи об",
            "name_ru": "Водопользователь",
            "name_en": "Water user",
        },
    )
    assert response.status_code == 302 and Sector.objects.filter(code="water_user").exists()
    again = client.post(url, {"code": "water_user", "name_tg": "x", "name_ru": "x", "name_en": "x"})
    assert again.status_code == 200 and "already exists" in again.content.decode()
    assert client_for(users[Role.PARTNER]).get(url).status_code == 403


def test_audit_page_lists_and_filters(users: dict, client_for: Any, programme: Any) -> None:
    client = client_for(users[Role.ADMIN])
    client_for(users["outsider"]).get(reverse("programme_overview", args=[programme.code]))  # a refused attempt
    url = reverse("audit_list", args=[programme.code])
    page = client.get(url, {"action": "programme.create"}).content.decode().split('id="audit"')[1]
    assert "created the programme" in page and "changed the programme&#x27;s locations" not in page
    denied = client.get(url, {"outcome": "denied"}).content.decode().split('id="audit"')[1]
    assert "a role" not in denied  # role.assign events are not refusals
    assert "outsider@test.example" in denied and "Refused" in denied


def test_password_reset_mails_a_link(users: dict) -> None:
    response = Client().post(reverse("account_reset_password"), {"email": "member@test.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/accounts/password/reset/key/" in mail.outbox[0].body
