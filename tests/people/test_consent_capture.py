"""Consent captured when a person is registered, shown and filtered on the people list, and form
errors that are always visible (an error summary at the top, folded sections opened)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from hamkori.core.roles import Role
from hamkori.groups import services as groups
from hamkori.groups.models import Membership, WorkingGroup
from hamkori.people import services as people
from hamkori.people.models import Consent, Person

D = dt.date
P = Consent.Purpose


@pytest.fixture
def vanj_group(programme: Any, place: Any, orgs: dict) -> WorkingGroup:
    return groups.group_create(
        actor=None, programme=programme, name="ГКБ Ванҷ", district=place("TJ-GB-VANJ"), owner=orgs["lap"]
    )


def _profile(place: Any, **more: Any) -> dict[str, Any]:
    return {"sex": "female", "birth_year": "1990", "place": place("TJ-GB-VANJ").pk, "sensitivity": "internal", **more}


def _given(**more: Any) -> dict[str, Any]:
    return {
        "participation_consent": "given",
        "consent_method": "verbal",
        "consent_given_on": timezone.localdate().isoformat(),
        "consent_language": "tg",
        **more,
    }


def _live(person: Person) -> set[str]:
    return set(person.consents.filter(withdrawn_on__isnull=True).values_list("purpose", flat=True))


# --- The service --------------------------------------------------------------------------------


def test_person_create_records_consents_in_the_same_transaction(programme: Any, place: Any) -> None:
    person = people.person_create(
        actor=None,
        programme=programme,
        sex="male",
        place=place("TJ-GB-VANJ"),
        birth_year=1980,
        consents=[(P.PARTICIPATION, D(2024, 5, 1), "written", "ru"), (P.CONTACT, D(2024, 5, 1), "written", "ru")],
    )
    assert _live(person) == {"participation", "contact"}
    consent = person.consents.get(purpose=P.PARTICIPATION)
    assert (consent.given_on, consent.method, consent.language) == (D(2024, 5, 1), "written", "ru")
    # A consent the service refuses (given in the future) records nobody.
    with pytest.raises(ValidationError):
        people.person_create(
            actor=None,
            programme=programme,
            sex="male",
            place=place("TJ-GB-VANJ"),
            birth_year=1980,
            consents=[(P.PARTICIPATION, timezone.localdate() + dt.timedelta(days=3), "written", "ru")],
        )
    assert Person.objects.count() == 1


# --- The "add a person" page --------------------------------------------------------------------


def test_registering_a_person_records_their_consent(users: dict, client_for: Any, programme: Any, place: Any) -> None:
    client = client_for(users[Role.ADMIN])
    url = reverse("person_create", args=[programme.code])
    page = client.get(url).content.decode()
    assert 'name="participation_consent"' in page and 'name="contact_consent"' in page
    assert f'value="{timezone.localdate().isoformat()}"' in page  # the date defaults to today
    response = client.post(url, _profile(place, **_given(contact_consent="on")))
    assert response.status_code == 302
    assert _live(Person.objects.get()) == {"participation", "contact"}


def test_registering_requires_consent_or_an_explicit_not_yet(
    users: dict, client_for: Any, programme: Any, place: Any
) -> None:
    client = client_for(users[Role.ADMIN])
    url = reverse("person_create", args=[programme.code])
    response = client.post(url, _profile(place))
    assert response.status_code in (200, 422) and not Person.objects.exists()
    assert 'href="#id_participation_consent"' in response.content.decode()
    # Consent given, but how it was given is missing: refused, nobody recorded.
    response = client.post(url, _profile(place, **_given(consent_method="")))
    assert not Person.objects.exists() and 'href="#id_consent_method"' in response.content.decode()
    # "Not yet": registered without a consent.
    response = client.post(url, _profile(place, participation_consent="not_yet"))
    assert response.status_code == 302 and _live(Person.objects.get()) == set()


def test_registering_into_a_group_records_the_consent_too(
    users: dict, client_for: Any, programme: Any, place: Any, vanj_group: Any
) -> None:
    client = client_for(users[Role.ADMIN])
    url = reverse("group_person_create", args=[programme.code, vanj_group.pk])
    response = client.post(url, _profile(place, **_given()))
    assert response.status_code == 302
    person = Person.objects.get()
    assert _live(person) == {"participation"}
    assert Membership.objects.filter(group=vanj_group, person=person).exists()


# --- The person page ----------------------------------------------------------------------------


def _consent_details(html: str) -> str:
    """The opening tag of the <details> around the consent form."""
    match = re.search(r"<details[^>]*>\s*<summary>[^<]*consent", html, re.IGNORECASE)
    assert match, "no folded consent section"
    return match.group(0)


def test_the_consent_form_is_open_while_participation_consent_is_missing(
    users: dict, client_for: Any, programme: Any, place: Any
) -> None:
    person = people.person_create(
        actor=None, programme=programme, sex="male", place=place("TJ-GB-VANJ"), birth_year=1980
    )
    client = client_for(users[Role.ADMIN])
    url = reverse("person_detail", args=[programme.code, person.pk])
    assert " open" in _consent_details(client.get(url).content.decode())
    people.consent_record(
        actor=None, person=person, purpose=P.PARTICIPATION, given_on=D(2024, 1, 1), method="verbal", language="tg"
    )
    assert " open" not in _consent_details(client.get(url).content.decode())
    # An erroneous consent opens it again, with the summary at the top of the form.
    add = reverse("person_consent_add", args=[programme.code, person.pk])
    response = client.post(add, {"purpose": "contact", "given_on": "2099-01-01", "method": "", "language": "tg"})
    html = response.content.decode()
    assert " open" in _consent_details(html)
    assert 'role="alert"' in html and 'href="#id_method"' in html


# --- The people list ----------------------------------------------------------------------------


def test_the_people_list_shows_and_filters_consent(users: dict, client_for: Any, programme: Any, place: Any) -> None:
    given = people.person_create(
        actor=None,
        programme=programme,
        sex="male",
        place=place("TJ-GB-VANJ"),
        birth_year=1980,
        consents=[(P.PARTICIPATION, D(2024, 1, 1), "verbal", "tg")],
    )
    missing = people.person_create(
        actor=None, programme=programme, sex="female", place=place("TJ-GB-VANJ"), birth_year=1981
    )
    client = client_for(users[Role.ADMIN])
    url = reverse("person_list", args=[programme.code])
    html = client.get(url).content.decode()
    assert 'name="consent"' in html
    row = {p.code: re.search(rf"{p.code}</a>.*?</tr>", html, re.S).group(0) for p in (given, missing)}  # type: ignore[union-attr]
    assert "participation" in row[given.code].lower() and "missing" in row[missing.code].lower()
    only_given = client.get(url, {"consent": "given"}).content.decode()
    assert given.code in only_given and missing.code not in only_given
    only_missing = client.get(url, {"consent": "missing"}).content.decode()
    assert missing.code in only_missing and given.code not in only_missing


# --- Error summaries ------------------------------------------------------------------------------


def test_a_form_with_errors_starts_with_a_summary_linking_to_the_fields(
    users: dict, client_for: Any, programme: Any, place: Any
) -> None:
    client = client_for(users[Role.ADMIN])
    response = client.post(
        reverse("person_create", args=[programme.code]), {"birth_year": "1990", "sensitivity": "internal"}
    )
    html = response.content.decode()
    summary = re.search(r'<div class="error-summary"[^>]*role="alert".*?</div>', html, re.S)
    assert summary, "no error summary"
    text = summary.group(0)
    assert 'href="#id_sex"' in text and 'href="#id_place"' in text
    assert "Sex" in text and "Place" in text
    assert text and html.index("error-summary") < html.index('name="sex"')


def test_a_folded_form_with_errors_is_open_with_its_summary(
    users: dict, client_for: Any, programme: Any, place: Any, vanj_group: Any
) -> None:
    client = client_for(users[Role.ADMIN])
    response = client.post(
        reverse("membership_add", args=[programme.code, vanj_group.pk]), {"person": "", "joined_on": "not a date"}
    )
    html = response.content.decode()
    # The add-member form is never folded away with its errors: either not in a <details> at all (it
    # comes first on the group page) or in an open one.
    folded = re.search(r"<details(?![^>]*\bopen)[^>]*>\s*<summary>[^<]*</summary>\s*<form[^>]*members/", html)
    assert folded is None
    assert re.search(r'<form[^>]*action="[^"]*/members/"', html)
    assert 'class="error-summary"' in html and 'href="#id_person"' in html


@pytest.mark.django_db
def test_the_demo_records_participation_consent_for_most_but_not_all() -> None:
    from hamkori.demo.services import build_demo

    build_demo()
    total = Person.objects.count()
    consented = Person.objects.filter(consents__purpose=P.PARTICIPATION, consents__withdrawn_on__isnull=True).count()
    assert 0.6 * total < consented < total


def test_withdrawing_consent_needs_a_confirmation_and_erases_nothing_without_it(
    users: dict, client_for: Any, programme: Any, place: Any
) -> None:
    """Withdrawing consent to take part erases the person's names and contacts: one stray tap on a
    phone must not do it. Without the ticked confirmation nothing changes; with it, it is withdrawn."""
    from tests import factories

    person = factories.person(programme, place("TJ-GB-VANJ"), name="Зарина Мирзоева")
    consent = people.consent_record(
        actor=None,
        person=person,
        purpose="participation",
        given_on=dt.date(2019, 1, 1),
        method="written",
        language="tg",
    )
    client = client_for(users[Role.STAFF])
    url = reverse("person_consent_withdraw", args=[programme.code, person.pk, consent.pk])
    page = client.get(reverse("person_detail", args=[programme.code, person.pk])).content.decode()
    assert 'name="confirm"' in page and "<details" in page
    client.post(url)
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is None
    assert Person.objects.get(pk=person.pk).deidentified_at is None
    client.post(url, {"confirm": "yes"})
    assert Consent.objects.get(pk=consent.pk).withdrawn_on is not None
    assert Person.objects.get(pk=person.pk).deidentified_at is not None
