"""Commitments made at dialogues: who may record and follow them up (adversaries first), what is refused,
where they show (the dialogue's page, the organisation's page, the overdue list, the action's page, the
home pages), the API, and bounded queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from hamkori.concerns.home import overdue_items
from hamkori.concerns.models import Action, ActionOwner
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.commitments import commitment_create, commitment_home_items
from hamkori.events.models import Commitment, Event
from hamkori.orgs.services import organisation_upsert
from tests.events.conftest import HELD_DAY, make_event

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def hukumat(orgs: dict) -> Any:
    return organisation_upsert(actor=None, kind="authority", name_en="Vanj Hukumat", name_ru="Хукумат Ванджа")[0]


@pytest.fixture
def hukumat_liaison(make_user: Any, programme: Any, hukumat: Any, place: Any) -> Any:
    return make_user(
        "hukumat-liaison@test.example",
        programme=programme,
        role=Role.LIAISON,
        organisation=hukumat,
        places=[place("TJ-GB-VANJ")],
    )


@pytest.fixture
def lap_dialogue(programme: Any, place: Any, users: dict, vocab: dict) -> Event:
    """A dialogue in Vanj organised by LAP (its partner recorded it)."""
    return make_event(
        programme, place("TJ-GB-VANJ"), vocab["kinds"]["dialogue"], actor=users[Role.PARTNER], title="Муколамаи LAP"
    )


@pytest.fixture
def promise(lap_dialogue: Event, users: dict, orgs: dict) -> Commitment:
    """The police promised at LAP's dialogue to light the school road; it is overdue."""
    return commitment_create(
        actor=users[Role.PARTNER],
        event=lap_dialogue,
        title="Чароғҳои роҳи мактаб",
        made_by="Сардори милиса",
        owners=[orgs["police"]],
        due_on=HELD_DAY + dt.timedelta(days=14),
    )


def post_commitment(client: Any, programme: Any, event: Event, **data: Any) -> Any:
    form = {
        "commitment-title": "Патрул дар бозор",
        "commitment-due_on": (today() + dt.timedelta(days=30)).isoformat(),
        **{f"commitment-{k}": v for k, v in data.items()},
    }
    return client.post(reverse("commitment_add", args=[programme.code, event.pk]), form)


def post_progress(client: Any, programme: Any, action: Action, **data: Any) -> Any:
    prefix = f"a{action.pk}"
    form = {f"{prefix}-state": data.pop("state", action.state), **{f"{prefix}-{k}": v for k, v in data.items()}}
    return client.post(reverse("action_progress", args=[programme.code, action.pk]), form)


# --- Adversaries -----------------------------------------------------------------------------------
def test_those_who_may_not_change_the_dialogue_cannot_add_a_commitment(
    lap_dialogue: Event, programme: Any, users: dict, orgs: dict, adversaries: dict, client_for: Any
) -> None:
    expected = {
        "other_partner": 403,  # ASTI's partner in Vanj sees LAP's dialogue, may not change it
        "other_admin": 404,  # another programme
        Role.DONOR: 403,
        Role.LIAISON: 403,
        Role.GROUP_MEMBER: 403,
        "outsider": 404,
    }
    for who, status in expected.items():
        user = adversaries.get(who) or users[who]
        response = post_commitment(client_for(user), programme, lap_dialogue, owners=[orgs["police"].pk])
        assert response.status_code == status, (who, response.status_code)
    response = post_commitment(client_for(None), programme, lap_dialogue, owners=[orgs["police"].pk])
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Commitment.objects.exists() and not Action.objects.exists()
    with pytest.raises(PermissionDenied):
        commitment_create(
            actor=adversaries["other_partner"],
            event=lap_dialogue,
            title="x",
            owners=[orgs["police"]],
            due_on=today(),
        )


def test_another_liaison_and_another_partner_cannot_update_the_commitment(
    promise: Commitment, programme: Any, hukumat_liaison: Any, adversaries: dict, users: dict, client_for: Any
) -> None:
    action = promise.action
    # The hukumat's liaison does not see the dialogue nor the action (404); ASTI's partner sees both but
    # may not change a commitment of LAP's dialogue (403); a donor and a group member have no page.
    assert (
        client_for(hukumat_liaison).get(reverse("action_detail", args=[programme.code, action.pk])).status_code == 404
    )
    assert (
        client_for(hukumat_liaison)
        .get(reverse("event_commitments", args=[programme.code, promise.event_id]))
        .status_code
        == 404
    )
    for user, status in (
        (hukumat_liaison, 404),
        (adversaries["other_partner"], 403),
        (adversaries["other_admin"], 404),
        (users[Role.DONOR], 403),
        (users[Role.GROUP_MEMBER], 404),
    ):
        response = post_progress(client_for(user), programme, action, state="done", note="Иҷро шуд")
        assert response.status_code == status, (user, response.status_code)
    action.refresh_from_db()
    assert action.state == Action.State.OPEN and not action.notes.exists()


def test_the_liaison_of_the_owner_sees_the_dialogue_and_follows_up(
    promise: Commitment, programme: Any, users: dict, client_for: Any
) -> None:
    liaison = users[Role.LIAISON]  # the police's liaison
    client = client_for(liaison)
    page = client.get(reverse("event_commitments", args=[programme.code, promise.event_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Чароғҳои роҳи мактаб" in html and "Сардори милиса" in html
    assert "Overdue by" in html  # the flag in words
    assert "commitment-title" not in html  # no form: the liaison does not change the dialogue
    action_page = client.get(reverse("action_detail", args=[programme.code, promise.action_id]))
    assert action_page.status_code == 200
    assert "Муколамаи LAP" in action_page.content.decode()  # the link back to the dialogue
    response = post_progress(client, programme, promise.action, state="in_progress", progress=40, note="Сар шуд")
    assert response.status_code == 302
    promise.action.refresh_from_db()
    assert promise.action.progress == 40 and promise.action.state == Action.State.IN_PROGRESS


def test_lap_partner_records_and_asti_cannot_change_it(
    promise: Commitment, programme: Any, users: dict, adversaries: dict
) -> None:
    from hamkori.access.policy import decide

    assert decide(users[Role.PARTNER], "action.change", promise.action)
    assert not decide(adversaries["other_partner"], "action.change", promise.action)
    assert AuditEvent.objects.filter(action="event.commitment", object_id=str(promise.event_id)).exists()


def test_other_programme_sees_nothing(promise: Commitment, programme: Any, adversaries: dict, client_for: Any) -> None:
    client = client_for(adversaries["other_admin"])
    other = adversaries["other_programme"].code
    assert client.get(reverse("commitment_list", args=[programme.code])).status_code == 404
    page = client.get(reverse("commitment_list", args=[other]))
    assert page.status_code == 200 and "Чароғҳои роҳи мактаб" not in page.content.decode()
    assert client.get(reverse("event_commitments", args=[other, promise.event_id])).status_code == 404
    listed = client.get("/api/commitments/").json()
    assert listed["count"] == 0
    assert client.get(f"/api/commitments/{promise.pk}").status_code == 404


# --- Bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("training", "event"),
        ("cancelled", "event"),
        ("before", "due_on"),
        ("no_owner", "owners"),
        ("stranger", "owners"),
        ("blank", "title"),
    ],
)
def test_bad_commitments_are_refused_and_nothing_is_saved(
    case: str, field: str, programme: Any, place: Any, users: dict, vocab: dict, orgs: dict, training: Event
) -> None:
    staff = users[Role.STAFF]
    future = today() + dt.timedelta(days=20)
    event = make_event(programme, place("TJ-GB-VANJ"), vocab["kinds"]["dialogue"], actor=staff, day=future)
    values: dict[str, Any] = {"title": "Патрул", "owners": [orgs["police"]], "due_on": future + dt.timedelta(days=5)}
    if case == "training":
        event = training
    elif case == "cancelled":
        services.event_cancel(actor=staff, event=event, reason="Борон")
    elif case == "before":
        values["due_on"] = future - dt.timedelta(days=1)
    elif case == "no_owner":
        values["owners"] = []
    elif case == "stranger":
        values["owners"] = [orgs["asti"]]  # ASTI does not cover Vanj
    elif case == "blank":
        values["title"] = "   "
    with pytest.raises(ValidationError) as caught:
        commitment_create(actor=staff, event=event, **values)
    assert field in caught.value.message_dict
    assert not Commitment.objects.exists() and not Action.objects.exists() and not ActionOwner.objects.exists()


def test_a_national_dialogue_asks_where_it_is_followed_up(
    programme: Any, place: Any, users: dict, vocab: dict, orgs: dict
) -> None:
    staff = users[Role.STAFF]
    event = make_event(
        programme, place("TJ"), vocab["kinds"]["dialogue"], actor=staff, level="national", title="Муколамаи миллӣ"
    )
    assert event.district is None
    values = {"title": "Қонун", "owners": [orgs["lead"]], "due_on": HELD_DAY + dt.timedelta(days=60)}
    with pytest.raises(ValidationError) as caught:
        commitment_create(actor=staff, event=event, **values)
    assert "district" in caught.value.message_dict
    commitment = commitment_create(actor=staff, event=event, district=place("TJ-SU-ISFARA"), **values)
    assert commitment.action.district == place("TJ-SU-ISFARA") and commitment.action.concern is None


# --- Where they show -------------------------------------------------------------------------------
def test_the_dialogue_panel_adds_one_through_the_form(
    lap_dialogue: Event, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    page = client.get(reverse("event_commitments", args=[programme.code, lap_dialogue.pk])).content.decode()
    assert "commitment-title" in page  # the form, for LAP's partner
    refused = post_commitment(client, programme, lap_dialogue, owners=[])
    assert refused.status_code == 422
    done = post_commitment(client, programme, lap_dialogue, owners=[orgs["police"].pk], made_by="Раиси ноҳия")
    assert done.status_code == 302 and "#commitments" in done["Location"]
    commitment = Commitment.objects.get()
    assert commitment.made_by == "Раиси ноҳия" and list(commitment.action.owners.all()) == [orgs["police"]]


def test_overdue_list_and_home_items_count_commitments(
    promise: Commitment, programme: Any, users: dict, client_for: Any
) -> None:
    page = client_for(users[Role.STAFF]).get(reverse("actions_overdue", args=[programme.code])).content.decode()
    assert "Чароғҳои роҳи мактаб" in page and "Муколамаи LAP" in page  # the event beside the action
    assert overdue_items(users[Role.STAFF], programme)[0].count == 1
    liaison_items = overdue_items(users[Role.LIAISON], programme)
    assert liaison_items and liaison_items[0].count == 1
    mine = commitment_home_items(users[Role.LIAISON], programme)
    assert mine and mine[0].count == 1
    assert mine[0].url == reverse("organisation_commitments", args=[programme.code, promise.action.owners.get().pk])
    assert commitment_home_items(users[Role.STAFF], programme) == []
    home = client_for(users[Role.LIAISON]).get(reverse("programme_overview", args=[programme.code]))
    assert "commitment your organisation made" in home.content.decode()


def test_the_organisation_page_lists_what_it_owns(
    promise: Commitment, programme: Any, users: dict, orgs: dict, hukumat: Any, client_for: Any
) -> None:
    client = client_for(users[Role.STAFF])
    url = reverse("organisation_commitments", args=[programme.code, orgs["police"].pk])
    page = client.get(url + "?show=late").content.decode()
    assert "Vanj Police" in page and "Чароғҳои роҳи мактаб" in page and "Муколамаи LAP" in page
    # An organisation with nothing in the programme has no page in it.
    assert client.get(reverse("organisation_commitments", args=[programme.code, hukumat.pk])).status_code == 404
    listing = client.get(reverse("commitment_list", args=[programme.code]) + "?show=all").content.decode()
    assert url in listing  # reachable from the list


def test_lists_keep_a_bounded_number_of_queries(
    lap_dialogue: Event, programme: Any, users: dict, orgs: dict, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(12):
        commitment_create(
            actor=users[Role.STAFF],
            event=lap_dialogue,
            title=f"Ваъда {i}",
            owners=[orgs["police"], orgs["lap"]],
            due_on=HELD_DAY + dt.timedelta(days=i),
        )
    client = client_for(users[Role.STAFF])
    for url in (
        reverse("commitment_list", args=[programme.code]) + "?show=all",
        reverse("organisation_commitments", args=[programme.code, orgs["police"].pk]) + "?show=all",
        reverse("event_commitments", args=[programme.code, lap_dialogue.pk]),
        reverse("actions_overdue", args=[programme.code]),
    ):
        client.get(url)  # warm the caches of the session and grants
        with django_assert_max_num_queries(30):
            assert client.get(url).status_code == 200, url


# --- API -------------------------------------------------------------------------------------------
def test_api_lists_creates_and_filters(
    promise: Commitment, lap_dialogue: Event, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    body = {
        "event": lap_dialogue.pk,
        "title": "Бозсозии пул",
        "owners": [orgs["lap"].pk],
        "due_on": (today() + dt.timedelta(days=10)).isoformat(),
        "made_by": "Ҷамоат",
    }
    made = client.post("/api/commitments/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["event"]["id"] == lap_dialogue.pk and made.json()["overdue"] is False
    late = client.get("/api/commitments/", {"overdue": "true"}).json()
    assert [row["id"] for row in late["items"]] == [promise.pk]
    by_owner = client.get("/api/commitments/", {"organisation": orgs["lap"].pk}).json()
    assert [row["title"] for row in by_owner["items"]] == ["Бозсозии пул"]
    assert client.get("/api/commitments/", {"event": lap_dialogue.pk}).json()["count"] == 2
    bad = client.post("/api/commitments/", {**body, "owners": []}, content_type="application/json")
    assert bad.status_code == 422 and "owners" in bad.json()["errors"]
    # Progress goes through the actions API.
    progress = client_for(users[Role.LIAISON]).post(
        f"/api/actions/{promise.action_id}/progress", {"state": "done"}, content_type="application/json"
    )
    assert progress.status_code == 200 and progress.json()["state"] == "done"
    asti = client_for(users[Role.PARTNER])
    assert asti.get(f"/api/commitments/{promise.pk}").status_code == 200


def test_api_refuses_adversaries(
    lap_dialogue: Event, promise: Commitment, programme: Any, adversaries: dict, hukumat_liaison: Any, orgs: dict,
    client_for: Any,
) -> None:  # fmt: skip
    body = {"event": lap_dialogue.pk, "title": "x", "owners": [orgs["police"].pk], "due_on": today().isoformat()}
    asti = client_for(adversaries["other_partner"])
    assert asti.post("/api/commitments/", body, content_type="application/json").status_code == 403
    other = client_for(adversaries["other_admin"])
    assert other.post("/api/commitments/", body, content_type="application/json").status_code == 404
    hukumat = client_for(hukumat_liaison)
    assert hukumat.get("/api/commitments/").json()["count"] == 0
    assert hukumat.get(f"/api/commitments/{promise.pk}").status_code == 404
    assert client_for(None).get("/api/commitments/").status_code == 401
    assert Commitment.objects.count() == 1
