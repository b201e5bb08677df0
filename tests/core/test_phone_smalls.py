"""A facilitator on a phone, in Tajik or Russian, can do the whole job: the smaller items (names,
languages, places as checkboxes, host organisations of the district, the one district preselected,
representation rules per kind of group)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hamkori.core.roles import Role
from hamkori.groups import services as groups
from hamkori.groups.balance import balance_by_group, balance_of
from hamkori.groups.models import BalancePolicy, WorkingGroup
from hamkori.orgs.models import Organisation
from hamkori.orgs.services import organisation_upsert
from hamkori.people import services as people
from hamkori.people.models import Person, Sector

pytestmark = pytest.mark.django_db
D = dt.date


def page(client: Any, url: str, language: str = "en", **params: Any) -> str:
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def selected_option(html: str, name: str) -> str | None:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, f"no select {name}"
    found = re.search(r'<option value="(\d+)"[^>]*\bselected\b', select.group(0))
    return found.group(1) if found else None


def a_person(programme: Any, place: Any, **values: Any) -> Person:
    values.setdefault("sex", "female")
    return people.person_create(
        actor=None, programme=programme, place=place(values.pop("code", "TJ-GB-VANJ")), birth_year=1990, **values
    )


# --- 1. The person's name is not the name of a thing ----------------------------------------------
def test_person_name_column_is_not_called_title_in_russian(
    users: dict, client_for: Any, programme: Any, place: Any
) -> None:
    a_person(programme, place)
    client = client_for(users[Role.ADMIN])
    html = page(client, reverse("person_list", args=[programme.code]), "ru")
    assert "Название" not in html  # "Name" of a person has its own context ("Имя" / "Ном")
    group_form = page(client, reverse("group_create", args=[programme.code]), "ru")
    assert "Название" in group_form  # a group's name is still a "Название"


# --- 2. Languages by name ---------------------------------------------------------------------------
def test_person_page_names_the_languages_in_the_page_language(
    users: dict, client_for: Any, programme: Any, place: Any
) -> None:
    person = a_person(programme, place, languages=["tg", "ru"])
    client = client_for(users[Role.ADMIN])
    url = reverse("person_detail", args=[programme.code, person.pk])
    assert "Tajik, Russian" in page(client, url, "en")
    assert "Таджикский, Русский" in page(client, url, "ru")
    assert "tg, ru" not in page(client, url, "en")


# --- 3. Places as checkboxes, grouped by region -------------------------------------------------------
def test_programme_locations_are_checkboxes_grouped_by_region(
    users: dict, client_for: Any, programme: Any, place: Any
) -> None:
    client = client_for(users[Role.ADMIN])
    html = page(client, reverse("programme_settings", args=[programme.code]))
    assert '<select name="locations"' not in html
    boxes = re.findall(r'<input type="checkbox" name="locations" value="(\d+)"[^>]*>', html)
    assert len(boxes) > 50  # every district, city and town, each one tap
    checked = re.findall(r'<input type="checkbox" name="locations" value="(\d+)"[^>]*\bchecked\b', html)
    assert sorted(map(int, checked)) == sorted([place("TJ-GB-VANJ").pk, place("TJ-SU-ISFARA").pk])
    # Grouped by region: each region a fieldset with its name as the legend, its districts inside.
    sughd = re.search(r"<fieldset[^>]*>\s*<legend>Sughd Region</legend>(.*?)</fieldset>", html, re.S)
    assert sughd and f'value="{place("TJ-SU-ISFARA").pk}"' in sughd.group(1)
    assert f'value="{place("TJ-GB-VANJ").pk}"' not in sughd.group(1)
    # The partner's and the user's places are checkboxes too.
    assert '<select name="places"' not in html


# --- 4. Host organisations of the group's district ----------------------------------------------------
@pytest.fixture
def local_bodies(place: Any) -> dict[str, Organisation]:
    def make(kind: str, en: str, code: str | None) -> Organisation:
        return organisation_upsert(actor=None, kind=kind, name_en=en, place=place(code) if code else None)[0]

    return {
        "vanj_hukumat": make("authority", "Vanj district hukumat", "TJ-GB-VANJ"),
        "isfara_hukumat": make("authority", "Isfara city hukumat", "TJ-SU-ISFARA"),
        "ministry": make("authority", "Ministry of Internal Affairs", "TJ"),
        "isfara_council": make("public_council", "Isfara public council", "TJ-SU-ISFARA"),
    }


def test_host_organisations_are_those_of_the_groups_district(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict, local_bodies: dict
) -> None:
    client = client_for(users[Role.PARTNER])  # LAP, Vanj only
    html = page(client, reverse("group_create", args=[programme.code]))
    host = re.search(r'<select name="host_organisation".*?</select>', html, re.S)
    assert host
    offered = host.group(0)
    for wanted in ["Vanj district hukumat", "Ministry of Internal Affairs", "Lawyers Association of Pamir", "Lead NGO"]:
        assert wanted in offered
    for other in ["Isfara city hukumat", "Isfara public council", "ASTI"]:
        assert other not in offered
    # A host from another district is refused by the form ...
    response = client.post(
        reverse("group_create", args=[programme.code]),
        {
            "name": "ГКБ Ванҷ",
            "kind": "cwg",
            "district": place("TJ-GB-VANJ").pk,
            "host_organisation": local_bodies["isfara_hukumat"].pk,
        },
    )
    assert response.status_code == 200 and not WorkingGroup.objects.exists()
    # ... and by the service.
    with pytest.raises(ValidationError) as err:
        groups.group_create(
            actor=None,
            programme=programme,
            name="ГКБ Ванҷ",
            district=place("TJ-GB-VANJ"),
            host_organisation=local_bodies["isfara_hukumat"],
        )
    assert "host_organisation" in err.value.message_dict
    group = groups.group_create(
        actor=None,
        programme=programme,
        name="ГКБ Ванҷ",
        district=place("TJ-GB-VANJ"),
        host_organisation=local_bodies["vanj_hukumat"],
    )
    with pytest.raises(ValidationError):
        groups.group_update(actor=None, group=group, host_organisation=orgs["asti"])


# --- 5. The one district preselected ----------------------------------------------------------------
def test_a_partner_with_one_district_finds_it_preselected(
    users: dict, client_for: Any, programme: Any, place: Any
) -> None:
    vanj = str(place("TJ-GB-VANJ").pk)
    partner = client_for(users[Role.PARTNER])
    assert selected_option(page(partner, reverse("group_create", args=[programme.code])), "district") == vanj
    assert selected_option(page(partner, reverse("person_create", args=[programme.code])), "place") == vanj
    assert selected_option(page(partner, reverse("people_import", args=[programme.code])), "place") == vanj
    admin = client_for(users[Role.ADMIN])  # two districts: the choice is theirs
    assert selected_option(page(admin, reverse("group_create", args=[programme.code])), "district") is None
    assert selected_option(page(admin, reverse("person_create", args=[programme.code])), "place") is None


def test_import_rows_without_a_place_take_the_chosen_one(
    users: dict, client_for: Any, programme: Any, place: Any
) -> None:
    content = "\ufeffsex,birth_year,place\r\nfemale,1990,\r\nmale,1985,TJ-GB-VANJ\r\n".encode()
    partner = client_for(users[Role.PARTNER])
    response = partner.post(
        reverse("people_import", args=[programme.code]),
        {"file": SimpleUploadedFile("p.csv", content, content_type="text/csv"), "place": place("TJ-GB-VANJ").pk},
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert sorted(p.place.code for p in Person.objects.all()) == ["TJ-GB-VANJ", "TJ-GB-VANJ"]
    # Without a place chosen, an empty cell is still a problem.
    response = partner.post(
        reverse("people_import", args=[programme.code]),
        {"file": SimpleUploadedFile("p.csv", content, content_type="text/csv"), "place": ""},
    )
    assert response.status_code == 200 and "Give the place." in response.content.decode()


# --- 6. Representation rules per kind of group -------------------------------------------------------
@pytest.fixture
def sectors(db: Any) -> dict[str, Sector]:
    return {s.code: s for s in Sector.objects.all()}


def _rules(programme: Any, sectors: dict, required: list[str], kind: str | None = None) -> Any:
    extra = {} if kind is None else {"kind": kind}
    return groups.balance_policy_update(
        actor=None,
        programme=programme,
        women_target_percent=50,
        women_minimum_percent=40,
        youth_max_age=30,
        minimum_members=3,
        required_sectors=[sectors[c] for c in required],
        **extra,
    )


def test_partnership_team_is_told_it_lacks_police_not_a_teacher(programme: Any, place: Any, sectors: dict) -> None:
    _rules(programme, sectors, ["religious_leader", "teacher"])  # the programme-wide rules
    _rules(programme, sectors, ["police", "local_authority"], kind=WorkingGroup.Kind.PARTNERSHIP_TEAM)
    vanj = place("TJ-GB-VANJ")
    team = groups.group_create(
        actor=None, programme=programme, name="Team", district=vanj, kind=WorkingGroup.Kind.PARTNERSHIP_TEAM
    )
    cwg = groups.group_create(actor=None, programme=programme, name="CWG", district=vanj)
    for group in (team, cwg):
        groups.membership_add(actor=None, group=group, person=a_person(programme, place), joined_on=D(2019, 1, 1))
    issues = balance_of(team, D(2019, 2, 1)).issues()
    assert "no police" in issues and "no local authority" in issues
    assert "no teacher" not in issues and "no religious leader" not in issues
    cwg_issues = balance_of(cwg, D(2019, 2, 1)).issues()  # a CWG keeps today's rules
    assert "no teacher" in cwg_issues and "no religious leader" in cwg_issues and "no police" not in cwg_issues
    both = balance_by_group(programme, [team, cwg], D(2019, 2, 1))
    assert [s.code for s in both[team.pk].missing_sectors] == ["police", "local_authority"] or {
        s.code for s in both[team.pk].missing_sectors
    } == {"police", "local_authority"}
    assert {s.code for s in both[cwg.pk].missing_sectors} == {"religious_leader", "teacher"}


def test_admin_sets_rules_for_one_kind_on_the_rules_page(
    users: dict, client_for: Any, programme: Any, sectors: dict
) -> None:
    _rules(programme, sectors, ["teacher"])
    client = client_for(users[Role.ADMIN])
    url = reverse("balance_policy", args=[programme.code])
    html = page(client, url, kind=WorkingGroup.Kind.PUBLIC_COUNCIL)
    assert "Public council" in html
    response = client.post(
        f"{url}?kind=public_council",
        {
            "kind": "public_council",
            "women_target_percent": 40,
            "women_minimum_percent": 30,
            "youth_max_age": 30,
            "minimum_members": 5,
            "required_sectors": [sectors["elder"].pk],
        },
    )
    assert response.status_code == 302
    council = BalancePolicy.objects.get(programme=programme, kind="public_council")
    assert [s.code for s in council.required_sectors.all()] == ["elder"]
    default = BalancePolicy.objects.get(programme=programme, kind="")
    assert [s.code for s in default.required_sectors.all()] == ["teacher"]  # untouched
