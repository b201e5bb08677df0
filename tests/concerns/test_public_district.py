"""A district's public accountability page: nothing until staff publish it after the do-no-harm
check, and then only published wording, owner kinds, statuses and protected counts: never a name,
a description, a village, a restricted note or anything about the reporter.

Actions are agreed, updated and published through their services (``concerns.actions``); a concern's
status past triage is set directly (the rounds that prioritise it are not what is tested here).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hamkori.concerns import actions, publication, services
from hamkori.concerns.models import Action, Concern, DistrictPage, Status
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.vault.services import PersonalData, vault_put

from .conftest import make_concern

VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"
DESCRIPTION = "Писари Раҳмон дар масҷид ҷалб мекунад"  # a description: never public
PERSON_IN_NOTE = "Фирӯза Давлатова"  # a name in a restricted note: never public
REPORTER = "Фаррух Назаров"  # the reporter, in the vault: never public
STREET = "кӯчаи Ленин 5"  # where, in words: never public
ACTION_TEXT = "Милитсия ва ҷамоат чароғҳои кӯчаро насб мекунанд"
NOTE_TEXT = "Ду чароғ дар роҳи мактаб гузошта шуд"
RESTRICTED_NOTE_TEXT = "Мулоқот бо падару модарон гузаронида шуд"


def public_url(programme: Any, district: str = VANJ) -> str:
    return reverse("public_district", args=[programme.code, district])


def publish_url(programme: Any) -> str:
    return reverse("concern_publish", args=[programme.code])


def published_action(
    staff: Any,
    concern: Concern,
    text: str,
    *,
    state: str = "",
    progress: int | None = None,
    owners: Any = (),
    group_owns: bool = False,
) -> Action:
    """An action agreed for ``concern``, brought to ``state``/``progress``, its wording published."""
    action = actions.action_create(
        actor=staff,
        concern=concern,
        title="дохилӣ: Раҳмон",
        due_on=timezone.localdate() + dt.timedelta(days=20),
        owners=owners,
        group_owns=group_owns,
    )
    if state or progress is not None:
        action = actions.action_update(actor=staff, action=action, state=state or None, progress=progress)
    return actions.action_publish(actor=staff, action=action, public_text=text, do_no_harm_checked=True)


@pytest.fixture
def world(programme: Any, place: Any, users: dict, vocabulary: dict, orgs: dict, vanj_group: Any) -> dict[str, Any]:
    staff = users[Role.STAFF]
    drivers = vocabulary["drivers"]
    lights = make_concern(
        programme,
        place(VANJ),
        actor=staff,
        description=DESCRIPTION,
        place=place("TJ-GB-VANJ-ROVAND"),
        location_text=STREET,
        drivers=[drivers["opportunities"], drivers["police_mistrust"]],
        restricted_notes=f"{PERSON_IN_NOTE} дид",
        group=vanj_group,
    )
    key = uuid.uuid4()
    vault_put(actor=None, subject_key=key, data=PersonalData(full_name=REPORTER, phone="+992 900 00 00 00"))
    Concern.objects.filter(pk=lights.pk).update(reporter_key=key, status=Status.IN_PROGRESS)
    services.concern_publish_note(actor=staff, concern=lights, text=NOTE_TEXT, do_no_harm_checked=True)
    secret = make_concern(
        programme,
        place(VANJ),
        actor=staff,
        description=DESCRIPTION,
        sensitivity="restricted",
        drivers=[drivers["recruitment"]],
    )
    services.concern_publish_note(actor=staff, concern=secret, text=RESTRICTED_NOTE_TEXT, do_no_harm_checked=True)
    for _ in range(6):
        make_concern(programme, place(VANJ), drivers=[drivers["opportunities"]])
    action = published_action(staff, lights, ACTION_TEXT, progress=40, owners=[orgs["police"]], group_owns=True)
    actions.action_create(  # agreed, its wording never published
        actor=staff, concern=lights, title="not yet checked", due_on=timezone.localdate(), owners=[orgs["lap"]]
    )
    return {"lights": lights, "secret": secret, "action": action}


def publish(staff: Any, programme: Any, place: Any, **values: Any) -> DistrictPage:
    values.setdefault("introduction", "Гурӯҳи корӣ ҳар моҳ ҷамъ меояд.")
    values.setdefault("do_no_harm_confirmed", True)
    return publication.district_page_publish(actor=staff, programme=programme, district=place(VANJ), **values)


# --- adversaries first -------------------------------------------------------------------------------
def test_an_unpublished_page_and_index_answer_404(client: Any, programme: Any, world: dict) -> None:
    assert client.get(public_url(programme)).status_code == 404
    assert client.get(reverse("public_index", args=[programme.code])).status_code == 404
    assert client.get(reverse("public_index", args=["no-such-programme"])).status_code == 404
    assert client.get(public_url(programme, "TJ-KT-HAMADONI")).status_code == 404


def test_publishing_needs_the_confirmation_and_changes_nothing_without_it(
    users: dict, programme: Any, place: Any, world: dict, client: Any
) -> None:
    with pytest.raises(ValidationError) as error:
        publish(users[Role.STAFF], programme, place, do_no_harm_confirmed=False)
    assert "do_no_harm_confirmed" in error.value.message_dict
    assert not DistrictPage.objects.exists()
    assert client.get(public_url(programme)).status_code == 404


def test_the_page_refuses_to_publish_until_every_box_is_ticked(
    users: dict, programme: Any, client_for: Any, world: dict, client: Any
) -> None:
    staff = client_for(users[Role.STAFF])
    form = {"district": VANJ, "introduction": "Салом", "names_no_one": "on", "no_village": "on", "do": "publish"}
    response = staff.post(publish_url(programme), form)
    assert response.status_code == 422
    assert "Confirm the do-no-harm check" in response.content.decode()
    assert client.get(public_url(programme)).status_code == 404
    response = staff.post(publish_url(programme), {**form, "nothing_verbatim": "on"})
    assert response.status_code == 302
    assert client.get(public_url(programme)).status_code == 200
    event = AuditEvent.objects.get(action="concern.district_page_publish")
    assert event.actor == users[Role.STAFF] and event.summary["district"] == VANJ


@pytest.mark.parametrize("role", [Role.PARTNER, Role.DONOR, Role.LIAISON, Role.GROUP_MEMBER])
def test_only_the_lead_organisation_publishes(
    role: str, users: dict, programme: Any, place: Any, client_for: Any, world: dict
) -> None:
    form = {"district": VANJ, "names_no_one": "on", "no_village": "on", "nothing_verbatim": "on", "do": "publish"}
    assert client_for(users[role]).post(publish_url(programme), form).status_code == 403
    with pytest.raises(PermissionDenied):
        publish(users[role], programme, place)
    assert not DistrictPage.objects.exists()


def test_another_programmes_staff_cannot_publish_here(
    programme: Any, orgs: dict, place: Any, make_user: Any, client_for: Any, world: dict
) -> None:
    from tests import factories

    other = factories.programme(
        code="other-prog",
        title_en="Other",
        title_ru="Другая",
        title_tg="Дигар",
        lead=orgs["lead"],
        locations=[place(VANJ)],
    )
    staff_b = make_user("b-staff@test.example", programme=other, role=Role.STAFF, organisation=orgs["lead"])
    form = {"district": VANJ, "names_no_one": "on", "no_village": "on", "nothing_verbatim": "on", "do": "publish"}
    assert client_for(staff_b).post(publish_url(programme), form).status_code == 404
    with pytest.raises(PermissionDenied):
        publish(staff_b, programme, place)
    # Publishing B's own Vanj page does not publish A's.
    publication.district_page_publish(
        actor=staff_b, programme=other, district=place(VANJ), introduction="", do_no_harm_confirmed=True
    )
    assert Client().get(public_url(programme)).status_code == 404


def test_a_district_outside_the_programme_is_refused(users: dict, programme: Any, place: Any) -> None:
    with pytest.raises(ValidationError) as error:
        publication.district_page_publish(
            actor=users[Role.STAFF],
            programme=programme,
            district=place("TJ-KT-HAMADONI"),
            introduction="",
            do_no_harm_confirmed=True,
        )
    assert "district" in error.value.message_dict


# --- what the public page shows ----------------------------------------------------------------------
def test_the_public_page_names_no_one_and_shows_no_description(
    users: dict, programme: Any, place: Any, world: dict, client: Any
) -> None:
    publish(users[Role.STAFF], programme, place)
    response = client.get(public_url(programme))
    assert response.status_code == 200
    html = response.content.decode()
    # What is published.
    assert ACTION_TEXT in html and NOTE_TEXT in html
    assert "In progress" in html and "40%" in html
    assert "police" in html and "working group" in html
    assert "Lack of opportunities" in html and "Also about: Mistrust of police" in html
    assert html.count(ACTION_TEXT) == 1 and html.count(NOTE_TEXT) == 1, "each shown once"
    # Never: names, descriptions, the reporter, a village, a street, restricted notes or concerns.
    for absent in (
        DESCRIPTION,
        PERSON_IN_NOTE,
        REPORTER,
        "900 00",
        STREET,
        "Rovand",
        "Рованд",
        RESTRICTED_NOTE_TEXT,
        "Vanj Police",
        "Милитсияи Ванҷ",
        "Lead NGO",
        "Раҳмон",
        "not yet checked",
        world["lights"].reference,
        "staff@test.example",
    ):
        assert absent not in html, absent


def test_small_counts_show_as_less_than_five(users: dict, programme: Any, place: Any, world: dict, client: Any) -> None:
    publish(users[Role.STAFF], programme, place)
    html = client.get(public_url(programme)).content.decode()
    counts = html.split('id="public-counts"')[1].split("</table>")[0]
    # Lack of opportunities: 7 raised (6 new, 1 in progress); mistrust of police: 1; recruitment: 1.
    assert "&lt;5" in counts
    assert ">7<" in counts, "the total of seven is published"
    assert "disclosure-legend" in html
    for small in (">1<", ">2<", ">3<", ">4<"):
        assert small not in counts


def test_a_withdrawn_page_answers_404_again(
    users: dict, programme: Any, place: Any, world: dict, client_for: Any, client: Any
) -> None:
    publish(users[Role.STAFF], programme, place)
    assert client.get(reverse("public_index", args=[programme.code])).status_code == 200
    response = client_for(users[Role.STAFF]).post(publish_url(programme), {"district": VANJ, "do": "withdraw"})
    assert response.status_code == 302
    assert client.get(public_url(programme)).status_code == 404
    assert client.get(reverse("public_index", args=[programme.code])).status_code == 404
    assert AuditEvent.objects.filter(action="concern.district_page_withdraw").count() == 1
    # Withdrawing again changes nothing and records nothing.
    publication.district_page_withdraw(actor=users[Role.STAFF], programme=programme, district=place(VANJ))
    assert AuditEvent.objects.filter(action="concern.district_page_withdraw").count() == 1


def test_public_wording_and_introduction_are_escaped(
    users: dict, programme: Any, place: Any, world: dict, client: Any
) -> None:
    actions.action_publish(
        actor=users[Role.STAFF],
        action=world["action"],
        public_text='<img src=x onerror="alert(1)">',
        do_no_harm_checked=True,
    )
    publish(users[Role.STAFF], programme, place, introduction="<script>alert(2)</script>")
    html = client.get(public_url(programme)).content.decode()
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_the_index_lists_published_districts_in_every_language(
    users: dict, programme: Any, place: Any, world: dict, client: Any
) -> None:
    publish(users[Role.STAFF], programme, place)
    for language, name in (("tg", "Ванҷ"), ("ru", "Ванч"), ("en", "Vanj")):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        index = client.get(reverse("public_index", args=[programme.code])).content.decode()
        assert f'<html lang="{language}">' in index
        assert public_url(programme) in index and name in index
        assert public_url(programme, ISFARA) not in index
        page = client.get(public_url(programme))
        assert page.status_code == 200 and f'<html lang="{language}">' in page.content.decode()


def test_the_public_page_needs_no_javascript(users: dict, programme: Any, place: Any, world: dict, client: Any) -> None:
    publish(users[Role.STAFF], programme, place)
    html = client.get(public_url(programme)).content.decode()
    assert "chart.umd.min.js" not in html
    assert "<progress" in html and "40%</progress>" in html, "progress readable as text too"


def test_the_staff_preview_shows_what_would_appear(users: dict, programme: Any, client_for: Any, world: dict) -> None:
    staff = client_for(users[Role.STAFF])
    listing = staff.get(publish_url(programme)).content.decode()
    assert "not published" in listing and "?district=TJ-GB-VANJ" in listing
    page = staff.get(publish_url(programme), {"district": VANJ}).content.decode()
    assert ACTION_TEXT in page and NOTE_TEXT in page
    assert RESTRICTED_NOTE_TEXT not in page and "not yet checked" not in page
    assert "It names no one" in page and "word for word" in page and "finer than the district" in page
    assert page.count('id="id_TJ-GB-VANJ_introduction"') == 1


def test_public_page_query_count_does_not_grow(
    users: dict, programme: Any, place: Any, world: dict, client: Any, vocabulary: dict
) -> None:
    publish(users[Role.STAFF], programme, place)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(public_url(programme)).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(15):
        concern = make_concern(programme, place(VANJ), drivers=[vocabulary["drivers"]["recruitment"]])
        Concern.objects.filter(pk=concern.pk).update(status=Status.PLANNED)
        published_action(users[Role.STAFF], concern, f"Амал {i}", state="done", owners=[programme.lead_organisation])
        services.concern_publish_note(actor=None, concern=concern, text=f"Кор {i}", do_no_harm_checked=True)
    assert count() == few
