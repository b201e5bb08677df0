"""Action plans: who may add and update actions (adversaries first), joint actions, progress, overdue
flags, sign-offs before resolving, the review, a group's promises, and the home page's items."""

# ruff: noqa: F811  (the fixtures imported from actions_world are test parameters of the same name)
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.concerns import actions, services
from hamkori.concerns.home import overdue_items
from hamkori.concerns.models import Action, ActionNote, Concern, ConcernEvent, Review, SignOff, Status
from hamkori.concerns.plan import concern_url
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.groups import services as groups
from tests import factories

from .actions_world import (  # noqa: F401  (fixtures)
    asti_in_vanj,
    hukumat,
    hukumat_liaison,
    planned,
    police_action,
    second,
    set_status,
    today,
)
from .conftest import make_concern


def add_action(client: Any, programme: Any, concern: Concern, **data: Any) -> Any:
    form = {
        "action-title": "Чароғҳо",
        "action-due_on": (today() + dt.timedelta(days=10)).isoformat(),
        **{f"action-{k}": v for k, v in data.items()},
    }
    return client.post(reverse("plan_action_add", args=[programme.code, concern.pk]), form)


def progress(client: Any, programme: Any, action: Action, **data: Any) -> Any:
    prefix = f"a{action.pk}"
    form = {f"{prefix}-state": data.pop("state", action.state), **{f"{prefix}-{k}": v for k, v in data.items()}}
    return client.post(reverse("action_progress", args=[programme.code, action.pk]), form)


# --- Adversaries -----------------------------------------------------------------------------------
def test_asti_partner_in_vanj_cannot_add_actions_to_laps_concern(
    planned: Concern, programme: Any, asti_in_vanj: Any, orgs: dict, client_for: Any
) -> None:
    client = client_for(asti_in_vanj)
    assert client.get(reverse("plan_concern", args=[programme.code, planned.pk])).status_code == 200  # she sees it
    response = add_action(client, programme, planned, owners=[orgs["police"].pk])
    assert response.status_code == 403
    assert "organisation that recorded this concern" in response.content.decode()
    assert not Action.objects.exists()
    with pytest.raises(PermissionDenied):
        actions.action_create(actor=asti_in_vanj, concern=planned, title="x", due_on=today(), owners=[orgs["police"]])
    assert AuditEvent.objects.filter(actor=asti_in_vanj, outcome="denied").exists()


def test_asti_partner_cannot_update_laps_action(
    police_action: Action, programme: Any, asti_in_vanj: Any, client_for: Any
) -> None:
    response = progress(client_for(asti_in_vanj), programme, police_action, progress="50")
    assert response.status_code == 403
    police_action.refresh_from_db()
    assert police_action.progress == 0 and not ActionNote.objects.exists()


@pytest.mark.parametrize("who", [Role.DONOR, "anonymous", "outsider"])
def test_donor_anonymous_and_outsiders_are_refused(
    who: str, police_action: Action, planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    client = client_for(None if who == "anonymous" else users[who])
    pages = [
        reverse("action_detail", args=[programme.code, police_action.pk]),
        reverse("plan_concern", args=[programme.code, planned.pk]),
        reverse("actions_overdue", args=[programme.code]),
        reverse("group_promises", args=[programme.code, planned.group_id]),
    ]
    expected = {Role.DONOR: 403, "outsider": 404, "anonymous": 302}[who]
    for url in pages:
        assert client.get(url).status_code == expected, url
    assert add_action(client, programme, planned, owners=[orgs["police"].pk]).status_code == expected
    assert progress(client, programme, police_action, progress="70").status_code == expected
    assert Action.objects.count() == 1 and not ActionNote.objects.exists()
    api = client.get(f"/api/actions/{police_action.pk}")
    assert api.status_code in (401, 404) if who != Role.DONOR else api.status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF, Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON])
def test_another_programmes_users_get_404(
    role: str, police_action: Action, planned: Concern, programme: Any, second: dict, client_for: Any
) -> None:
    client = client_for(second["users"][role])
    for code in (programme.code, second["programme"].code):
        for url in (
            reverse("action_detail", args=[code, police_action.pk]),
            reverse("plan_concern", args=[code, planned.pk]),
            reverse("group_promises", args=[code, planned.group_id]),
        ):
            assert client.get(url).status_code in (403, 404), url
            if code == programme.code:
                assert client.get(url).status_code == 404
        assert progress(client, programme, police_action, progress="40").status_code in (403, 404)
    assert client.get(f"/api/actions/{police_action.pk}").status_code == 404
    assert (
        client.post(
            f"/api/actions/{police_action.pk}/progress", {"progress": 40}, content_type="application/json"
        ).status_code
        == 404
    )
    listed = client.get("/api/actions/").json()
    assert listed["items"] == []
    police_action.refresh_from_db()
    assert police_action.progress == 0


def test_a_group_member_updates_only_group_owned_actions_of_their_group(
    planned: Concern, police_action: Action, programme: Any, place: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    police_only = actions.action_create(
        actor=users[Role.STAFF], concern=planned, title="Патрул", due_on=today(), owners=[orgs["police"]]
    )
    isfara_group = factories.group(programme, place("TJ-SU-ISFARA"), "ГКБ Исфара")
    elsewhere = actions.action_create(
        actor=None,
        programme=programme,
        district=place("TJ-SU-ISFARA"),
        group=isfara_group,
        title="Вохӯрӣ бо ҷавонон",
        due_on=today(),
        group_owns=True,
    )
    client = client_for(users[Role.GROUP_MEMBER])
    assert progress(client, programme, police_action, progress="30", note="Started").status_code == 302
    police_action.refresh_from_db()
    assert police_action.progress == 30 and police_action.state == Action.State.IN_PROGRESS
    refused = progress(client, programme, police_only, progress="30")
    assert refused.status_code == 403 and "Only the owners of this action" in refused.content.decode()
    assert progress(client, programme, elsewhere, progress="30").status_code == 404
    assert client.get(reverse("action_detail", args=[programme.code, elsewhere.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.action_update(actor=users[Role.GROUP_MEMBER], action=elsewhere, progress=10)
    # The member cannot add actions either (the field does).
    assert add_action(client, programme, planned, group_owns="on").status_code == 403


def test_a_liaison_updates_their_organisations_action_and_never_sees_others(
    police_action: Action, planned: Concern, programme: Any, users: dict, hukumat_liaison: Any, client_for: Any
) -> None:
    police = client_for(users[Role.LIAISON])
    page = police.get(reverse("action_detail", args=[programme.code, police_action.pk]))
    assert page.status_code == 200 and "SECRET-NOTE-7731" not in page.content.decode()
    assert progress(police, programme, police_action, progress="60", note="Two lamps up").status_code == 302
    # Not referred to them: the concern itself stays hidden.
    assert police.get(reverse("plan_concern", args=[programme.code, planned.pk])).status_code == 404
    other = client_for(hukumat_liaison)
    assert other.get(reverse("action_detail", args=[programme.code, police_action.pk])).status_code == 404
    assert progress(other, programme, police_action, progress="90").status_code == 404
    assert other.get(f"/api/actions/{police_action.pk}").status_code == 404
    police_action.refresh_from_db()
    assert police_action.progress == 60


# --- Creating actions ------------------------------------------------------------------------------
def test_a_joint_action_has_several_owners_and_goes_on_the_timeline(
    planned: Concern, programme: Any, users: dict, orgs: dict, hukumat: Any, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    response = add_action(client, programme, planned, owners=[orgs["police"].pk, hukumat.pk, orgs["lap"].pk])
    assert response.status_code == 302 and response["Location"] == f"{concern_url(planned)}#plan"
    action = Action.objects.get()
    assert {o.organisation_id for o in action.ownerships.all()} == {orgs["police"].pk, hukumat.pk, orgs["lap"].pk}
    assert (action.programme, action.district, action.group) == (planned.programme, planned.district, planned.group)
    event = planned.events.filter(kind=ConcernEvent.Kind.ACTION).get()
    assert "Чароғҳо" in event.text and not event.restricted
    assert AuditEvent.objects.filter(action="action.create", object_id=str(action.pk)).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "owners"),  # no owner and not the group
        ({"owners": ["asti"]}, "owners"),  # a partner that does not cover Vanj
        ({"owners": ["donor"]}, "owners"),  # a donor
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"due_on": "2026-02-30"}, "due_on"),
        ({"due_on": ""}, "due_on"),
    ],
)
def test_bad_actions_are_refused_with_clear_errors(
    data: dict, field: str, planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    if "owners" in data:
        data = {"owners": [orgs[key].pk for key in data["owners"]]}
    response = add_action(client_for(users[Role.STAFF]), programme, planned, **data)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert not Action.objects.exists()
    if field == "owners":
        assert "owner" in html.lower()


def test_actions_wait_for_the_concern_to_be_prioritised(
    programme: Any, place: Any, users: dict, orgs: dict, vocabulary: dict
) -> None:
    concern = make_concern(programme, place("TJ-GB-VANJ"), actor=users[Role.STAFF])
    with pytest.raises(ValidationError) as error:
        actions.action_create(
            actor=users[Role.STAFF], concern=concern, title="x", due_on=today(), owners=[orgs["police"]]
        )
    assert "prioritised" in str(error.value.message_dict["concern"])
    with pytest.raises(ValidationError) as error:
        actions.action_create(
            actor=users[Role.STAFF],
            concern=set_status(concern, Status.PRIORITISED),
            title="x",
            due_on=today(),
            group_owns=True,
        )
    assert "group_owns" in error.value.message_dict  # no working group yet


def test_an_action_without_a_concern_is_a_commitment_of_a_district(
    programme: Any, place: Any, users: dict, orgs: dict
) -> None:
    action = actions.action_create(
        actor=users[Role.STAFF],
        programme=programme,
        district=place("TJ-SU-ISFARA"),
        title="Мулоқот бо ҷавонон",
        due_on=today(),
        owners=[orgs["asti"]],
    )
    assert action.concern is None and action.district.code == "TJ-SU-ISFARA"
    with pytest.raises(ValidationError) as error:
        actions.action_create(
            actor=users[Role.PARTNER],
            programme=programme,
            district=place("TJ-SU-ISFARA"),
            title="x",
            due_on=today(),
            owners=[orgs["lap"]],
        )
    assert "district" in error.value.message_dict  # LAP's facilitator works in Vanj only


# --- Progress --------------------------------------------------------------------------------------
def test_progress_notes_done_and_dropped(police_action: Action, planned: Concern, users: dict) -> None:
    staff = users[Role.STAFF]
    with pytest.raises(ValidationError) as error:
        actions.action_update(actor=staff, action=police_action)
    assert "note" in error.value.message_dict
    actions.action_update(actor=staff, action=police_action, progress=40, note="Half the lamps")
    police_action.refresh_from_db()
    assert (police_action.state, police_action.progress) == (Action.State.IN_PROGRESS, 40)
    actions.action_update(actor=staff, action=police_action, state=Action.State.DONE)
    police_action.refresh_from_db()
    assert (police_action.progress, police_action.completed_on) == (100, today())
    with pytest.raises(ValidationError) as error:
        actions.action_update(actor=staff, action=police_action, state=Action.State.DROPPED)
    assert "note" in error.value.message_dict
    for bad in ({"progress": 101}, {"progress": -1}, {"state": "finished"}, {"note": "x" * 2001}):
        with pytest.raises(ValidationError):
            actions.action_update(actor=staff, action=police_action, **bad)
    assert ActionNote.objects.filter(action=police_action).count() == 2
    texts = list(planned.events.filter(kind=ConcernEvent.Kind.ACTION).values_list("text", flat=True))
    assert any("Half the lamps" in t for t in texts)


def test_inline_progress_returns_to_the_concern_and_errors_stay_on_the_plan(
    police_action: Action, planned: Concern, programme: Any, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    prefix = f"a{police_action.pk}"
    url = reverse("action_progress", args=[programme.code, police_action.pk])
    ok = client.post(url, {"back": "plan", f"{prefix}-state": "in_progress", f"{prefix}-progress": "25"})
    assert ok.status_code == 302 and ok["Location"] == f"{concern_url(planned)}#action-{police_action.pk}"
    bad = client.post(url, {"back": "plan", f"{prefix}-state": "in_progress", f"{prefix}-progress": "250"})
    assert bad.status_code == 422 and "Action plan" in bad.content.decode()
    page = client.post(url, {f"{prefix}-state": "dropped"})
    assert page.status_code == 422 and "Say why the action is dropped." in page.content.decode()


# --- Overdue ---------------------------------------------------------------------------------------
def test_overdue_actions_are_flagged_in_words_and_colour(
    planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    late = actions.action_create(
        actor=None, concern=planned, title="LATE-ACTION", due_on=today() - dt.timedelta(days=3), owners=[orgs["police"]]
    )
    done = actions.action_create(
        actor=None, concern=planned, title="DONE-ACTION", due_on=today() - dt.timedelta(days=3), owners=[orgs["lap"]]
    )
    actions.action_update(actor=None, action=done, state=Action.State.DONE)
    assert late.is_overdue and not Action.objects.get(pk=done.pk).is_overdue
    client = client_for(users[Role.PARTNER])
    plan = client.get(reverse("plan_concern", args=[programme.code, planned.pk])).content.decode()
    assert "flag flag-late" in plan and "Overdue by 3 days" in plan and "flag flag-done" in plan
    listing = client.get(reverse("actions_overdue", args=[programme.code])).content.decode()
    assert "LATE-ACTION" in listing and "DONE-ACTION" not in listing
    isfara = client_for(users[Role.STAFF]).get(
        reverse("actions_overdue", args=[programme.code]) + "?district=TJ-SU-ISFARA"
    )
    assert "LATE-ACTION" not in isfara.content.decode()


def _count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", [Role.STAFF, Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON])
def test_list_pages_have_a_constant_query_count(
    role: str, planned: Concern, programme: Any, users: dict, orgs: dict, hukumat: Any, client_for: Any
) -> None:
    client = client_for(users[role])
    code = programme.code
    urls = [reverse("actions_overdue", args=[code])]
    if role != Role.LIAISON:
        urls.append(reverse("group_promises", args=[code, planned.group_id]))

    def add(n: int) -> None:
        for i in range(n):
            actions.action_create(
                actor=None,
                concern=planned,
                title=f"A{i}",
                due_on=today() - dt.timedelta(days=i + 1),
                owners=[orgs["police"], hukumat],
                group_owns=True,
            )

    add(2)
    for url in urls:
        _count_queries(client, url)
        few = _count_queries(client, url)
        add(15)
        assert _count_queries(client, url) <= few, url


# --- Sign-offs, resolving, review ------------------------------------------------------------------
def test_resolving_needs_the_group_and_the_police_then_the_review_closes_it(
    planned: Concern, police_action: Action, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    staff = users[Role.STAFF]
    services.concern_move(actor=staff, concern=planned, to_status=Status.PLANNED)
    services.concern_move(actor=staff, concern=planned, to_status=Status.IN_PROGRESS)
    with pytest.raises(ValidationError) as error:
        services.concern_move(actor=staff, concern=planned, to_status=Status.RESOLVED)
    reason = str(error.value.message_dict["to_status"])
    assert "ГКБ Ванҷ" in reason and "Vanj Police" in reason

    # The plan says who is missing, and offers the member the group's sign-off.
    member = client_for(users[Role.GROUP_MEMBER])
    html = member.get(reverse("plan_concern", args=[programme.code, planned.pk])).content.decode()
    assert 'id="missing-signoffs"' in html and "Vanj Police" in html
    response = member.post(
        reverse("plan_signoff_group", args=[programme.code, planned.pk]), {"sg-outcome": "resolved", "sg-note": "OK"}
    )
    assert response.status_code == 302 and response["Location"] == f"{concern_url(planned)}#signoffs"
    with pytest.raises(ValidationError) as error:
        services.concern_move(actor=staff, concern=planned, to_status=Status.RESOLVED)
    assert "Vanj Police" in str(error.value) and "ГКБ Ванҷ" not in str(error.value)
    # A member cannot sign for the police; the police liaison can, from the action's page.
    with pytest.raises(PermissionDenied):
        actions.signoff_authority(actor=users[Role.GROUP_MEMBER], concern=planned, organisation=orgs["police"])
    police = client_for(users[Role.LIAISON])
    action_page = reverse("action_detail", args=[programme.code, police_action.pk])
    assert "Sign off for Vanj Police" in police.get(action_page).content.decode()
    signed = police.post(
        reverse("plan_signoff_authority", args=[programme.code, planned.pk]),
        {"organisation": orgs["police"].pk, f"so{orgs['police'].pk}-outcome": "resolved", "back": action_page},
    )
    assert signed.status_code == 302 and signed["Location"] == action_page
    assert SignOff.objects.filter(concern=planned).count() == 2
    services.concern_move(actor=staff, concern=planned, to_status=Status.RESOLVED)

    review_url = reverse("plan_review", args=[programme.code, planned.pk])
    bad = member.post(review_url, {"review-reviewed_on": today().isoformat(), "review-rating_before": "9"})
    assert bad.status_code == 422 and not Review.objects.exists()
    ok = member.post(
        review_url,
        {
            "review-reviewed_on": today().isoformat(),
            "review-rating_before": "2",
            "review-rating_after": "4",
            "review-what_changed": "Children walk home in the light",
        },
    )
    assert ok.status_code == 302
    planned.refresh_from_db()
    assert planned.status == Status.REVIEWED
    event = planned.events.filter(kind=ConcernEvent.Kind.REVIEW).get()
    assert "2" in event.text and "4" in event.text and "Children" not in event.text


def test_sign_offs_are_checked(
    planned: Concern, police_action: Action, users: dict, orgs: dict, hukumat: Any, hukumat_liaison: Any
) -> None:
    staff = users[Role.STAFF]
    with pytest.raises(ValidationError):  # not in progress yet
        actions.signoff_group(actor=staff, concern=planned)
    set_status(planned, Status.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        actions.signoff_authority(actor=hukumat_liaison, concern=planned, organisation=orgs["police"])
    with pytest.raises(ValidationError) as error:
        actions.signoff_authority(actor=hukumat_liaison, concern=planned, organisation=hukumat)
    assert "owns none" in str(error.value)
    actions.signoff_group(actor=staff, concern=planned)
    with pytest.raises(ValidationError):
        actions.signoff_group(actor=staff, concern=planned)  # once
    with pytest.raises(PermissionDenied):
        actions.signoff_group(actor=users[Role.DONOR], concern=planned)


def test_a_review_waits_for_the_concern_to_close(planned: Concern, users: dict) -> None:
    with pytest.raises(ValidationError) as error:
        actions.review_record(
            actor=users[Role.STAFF],
            concern=planned,
            reviewed_on=today(),
            rating_before=1,
            rating_after=3,
            what_changed="x",
        )
    assert "closed" in str(error.value)
    set_status(planned, Status.NOT_ACTIONABLE)
    with pytest.raises(ValidationError) as error:
        actions.review_record(
            actor=users[Role.STAFF],
            concern=planned,
            reviewed_on=today() + dt.timedelta(days=1),
            rating_before=1,
            rating_after=6,
            what_changed="",
        )
    assert set(error.value.message_dict) == {"reviewed_on", "rating_after", "what_changed"}
    actions.review_record(
        actor=users[Role.STAFF], concern=planned, reviewed_on=today(), rating_before=1, rating_after=3, what_changed="x"
    )
    assert Concern.objects.get(pk=planned.pk).status == Status.REVIEWED


# --- Publishing ------------------------------------------------------------------------------------
def test_only_staff_publish_an_actions_wording_after_the_do_no_harm_check(
    police_action: Action, programme: Any, users: dict, client_for: Any
) -> None:
    url = reverse("action_publish", args=[programme.code, police_action.pk])
    assert client_for(users[Role.PARTNER]).post(url, {"public_text": "Lamps"}).status_code == 403
    staff = client_for(users[Role.STAFF])
    assert staff.post(url, {"public_text": "Lamps on the school road"}).status_code == 422
    phone = staff.post(url, {"public_text": "Call 992 93 555 1234", "do_no_harm_checked": "on"})
    assert phone.status_code == 422 and "phone number" in phone.content.decode()
    assert staff.post(url, {"public_text": "Lamps on the school road", "do_no_harm_checked": "on"}).status_code == 302
    police_action.refresh_from_db()
    assert police_action.public_text == "Lamps on the school road" and police_action.published_by == users[Role.STAFF]


# --- A group's promises, the group page, home items ------------------------------------------------
def test_a_groups_promises_page_and_panel(
    planned: Concern, police_action: Action, programme: Any, place: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    actions.action_create(
        actor=None, concern=planned, title="LATE-ONE", due_on=today() - dt.timedelta(days=2), owners=[orgs["police"]]
    )
    url = reverse("group_promises", args=[programme.code, planned.group_id])
    for role in (Role.GROUP_MEMBER, Role.PARTNER, Role.STAFF):
        html = client_for(users[role]).get(url).content.decode()
        assert "LATE-ONE" in html and police_action.title in html and planned.reference in html
        assert "Mistrust of police" in html  # the concern's driver
    assert client_for(users[Role.LIAISON]).get(url).status_code == 403
    late_only = client_for(users[Role.STAFF]).get(url + "?show=late").content.decode()
    assert "LATE-ONE" in late_only and police_action.title not in late_only
    group_page = client_for(users[Role.GROUP_MEMBER]).get(
        reverse("group_detail", args=[programme.code, planned.group_id])
    )
    panel = group_page.content.decode()
    assert 'id="promises"' in panel and "LATE-ONE" in panel and url in panel
    other = groups.group_create(actor=None, programme=programme, name="ГКБ 2", district=place("TJ-GB-VANJ"))
    assert (
        client_for(users[Role.GROUP_MEMBER]).get(reverse("group_promises", args=[programme.code, other.pk])).status_code
        == 404
    )


def test_home_items_for_overdue_actions(
    planned: Concern, programme: Any, users: dict, orgs: dict, hukumat_liaison: Any, client_for: Any
) -> None:
    actions.action_create(
        actor=None,
        concern=planned,
        title="x",
        due_on=today() - dt.timedelta(days=1),
        owners=[orgs["police"]],
        group_owns=True,
    )
    overview = reverse("programme_overview", args=[programme.code])
    assert "1 action is overdue" in client_for(users[Role.STAFF]).get(overview).content.decode()
    assert (
        "1 action your organisation owns is overdue" in client_for(users[Role.LIAISON]).get(overview).content.decode()
    )
    assert (
        "ГКБ Ванҷ: 1 promised action is overdue" in client_for(users[Role.GROUP_MEMBER]).get(overview).content.decode()
    )
    assert overdue_items(hukumat_liaison, programme) == []
    assert overdue_items(users[Role.DONOR], programme) == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER, Role.GROUP_MEMBER, Role.LIAISON])
def test_home_query_count_does_not_grow_with_actions(
    role: str, planned: Concern, programme: Any, users: dict, orgs: dict, client_for: Any
) -> None:
    client = client_for(users[role])
    overview = reverse("programme_overview", args=[programme.code])

    def add(n: int) -> None:
        for i in range(n):
            actions.action_create(
                actor=None,
                concern=planned,
                title=f"A{i}",
                due_on=today() - dt.timedelta(days=1),
                owners=[orgs["police"]],
                group_owns=True,
            )

    add(1)
    _count_queries(client, overview)
    few = _count_queries(client, overview)
    add(20)
    assert _count_queries(client, overview) == few


# --- API -------------------------------------------------------------------------------------------
def test_api_lists_and_updates_actions_in_scope(
    planned: Concern,
    police_action: Action,
    programme: Any,
    users: dict,
    orgs: dict,
    hukumat_liaison: Any,
    client_for: Any,
) -> None:
    late = actions.action_create(
        actor=None, concern=planned, title="late", due_on=today() - dt.timedelta(days=1), owners=[orgs["lap"]]
    )
    staff = client_for(users[Role.STAFF])
    body = staff.get(f"/api/actions/?programme={programme.code}&overdue=true").json()
    assert [a["id"] for a in body["items"]] == [late.pk] and body["items"][0]["overdue"] is True
    assert staff.get("/api/actions/?state=done").json()["items"] == []
    assert staff.get("/api/actions/?offset=99999999999").status_code == 422
    police = client_for(users[Role.LIAISON])
    assert [a["id"] for a in police.get("/api/actions/").json()["items"]] == [police_action.pk]
    response = police.post(
        f"/api/actions/{police_action.pk}/progress",
        json.dumps({"state": "done", "note": "All lamps work"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["state"] == "done" and detail["progress"] == 100 and detail["notes"][0]["text"] == "All lamps work"
    assert "SECRET-NOTE-7731" not in response.content.decode()
    empty = police.post(f"/api/actions/{police_action.pk}/progress", "{}", content_type="application/json")
    assert empty.status_code == 422 and empty.json()["errors"]["note"]
    assert client_for(hukumat_liaison).get("/api/actions/").json()["items"] == []
    assert (
        client_for(users[Role.PARTNER])
        .post(
            f"/api/actions/{police_action.pk}/progress",
            json.dumps({"state": "in_progress", "progress": 80, "note": "One lamp broke again"}),
            content_type="application/json",
        )
        .json()["completed_on"]
        is None
    )
    donor = client_for(users[Role.DONOR])
    assert donor.get("/api/actions/").json()["items"] == []


def test_the_apis_state_enums_are_the_models_choices() -> None:
    from hamkori.concerns.api_actions import ActionState, ReferralState
    from hamkori.concerns.models import Referral

    assert [s.value for s in ActionState] == Action.State.values
    assert [s.value for s in ReferralState] == Referral.State.values
