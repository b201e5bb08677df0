"""Prioritisation rounds: who may set one up, score and decide (adversaries first), bad scores, the
results' arithmetic and its disagreement flag, the decision, and the round page's query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.concerns import rounds, services
from hamkori.concerns.models import (
    Concern,
    ConcernEvent,
    Criterion,
    PrioritisationRound,
    Score,
    Stakeholder,
    Status,
)
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.people.services import person_link_account
from tests import factories

from .conftest import make_concern

pytestmark = pytest.mark.django_db
D = dt.date


# --- Set-up ------------------------------------------------------------------------------------------
def triaged(programme: Any, place: Any, users: dict, vocabulary: dict, text: str, **values: Any) -> Concern:
    """A concern in Vanj, recorded by LAP's partner and triaged by staff."""
    concern = make_concern(
        programme,
        place("TJ-GB-VANJ"),
        actor=users[Role.PARTNER],
        description=text,
        drivers=[vocabulary["drivers"]["opportunities"]],
    )
    return services.concern_triage(
        actor=users[Role.STAFF],
        concern=concern,
        drivers=[vocabulary["drivers"]["opportunities"]],
        sensitivity=values.get("sensitivity", "internal"),
    )


@pytest.fixture
def criteria(programme: Any, vocabulary: dict) -> dict[str, Criterion]:
    return {c.code: c for c in Criterion.objects.filter(programme=programme)}


@pytest.fixture
def shortlist(programme: Any, place: Any, users: dict, vocabulary: dict) -> list[Concern]:
    return [
        triaged(programme, place, users, vocabulary, text)
        for text in ("Роҳи мактаб торик аст", "Ҷавонон кор надоранд", "Вербовщики у мечети")
    ]


@pytest.fixture
def round_(vanj_group: Any, users: dict, criteria: dict, shortlist: list[Concern]) -> PrioritisationRound:
    """LAP's partner sets up a round of the Vanj group (facilitated by LAP) with every criterion."""
    return rounds.round_create(
        actor=users[Role.PARTNER],
        group=vanj_group,
        title="Баҳори 2026",
        held_on=D(2026, 4, 10),
        criteria=list(criteria.values()),
        concerns=shortlist,
    )


@pytest.fixture
def asti_in_vanj(programme: Any, orgs: dict, place: Any, make_user: Any) -> Any:
    """ASTI's facilitator, given Vanj too: she sees LAP's group and its rounds."""
    return make_user(
        "asti-vanj@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place("TJ-GB-VANJ")],
    )


def url(name: str, round_: PrioritisationRound, code: str | None = None) -> str:
    return reverse(name, args=[code or round_.programme.code, round_.pk])


def grid(round_: PrioritisationRound, value: int | str = 4) -> dict[str, Any]:
    """Every cell of a round's score grid set to ``value``."""
    return {
        f"s-{concern.pk}-{criterion.pk}": value
        for concern in round_.concerns.all()
        for criterion in round_.criteria.all()
    }


def state(round_: PrioritisationRound) -> tuple:
    round_.refresh_from_db()
    return (
        round_.state,
        sorted(round_.concerns.values_list("pk", flat=True)),
        list(Score.objects.order_by("pk").values_list("concern_id", "criterion_id", "stakeholder", "value")),
        list(Concern.objects.order_by("pk").values_list("pk", "status", "group_id")),
        PrioritisationRound.objects.count(),
    )


# --- Adversaries -------------------------------------------------------------------------------------
def test_another_programmes_users_get_404_and_change_nothing(
    round_: PrioritisationRound, orgs: dict, place: Any, make_user: Any, client_for: Any
) -> None:
    other = factories.programme(
        code="other-prog",
        title_en="Other",
        title_ru="Другая",
        title_tg="Дигар",
        lead=orgs["lead"],
        locations=[place("TJ-GB-VANJ")],
        partners=[(orgs["lap"], [place("TJ-GB-VANJ")])],
    )
    admin = make_user("b-admin@test.example", programme=other, role=Role.ADMIN, organisation=orgs["lead"])
    partner = make_user(
        "b-partner@test.example",
        programme=other,
        role=Role.PARTNER,
        organisation=orgs["lap"],
        places=[place("TJ-GB-VANJ")],
    )
    before = state(round_)
    for user in (admin, partner):
        client = client_for(user)
        for code in (round_.programme.code, other.code):
            assert client.get(url("round_detail", round_, code)).status_code == 404
            assert client.get(url("round_shortlist", round_, code)).status_code == 404
            assert (
                client.post(url("round_scores", round_, code), {"stakeholder": "police", **grid(round_)}).status_code
                == 404
            )
            assert client.post(url("round_decide", round_, code), {"chosen": [], "confirm": "on"}).status_code == 404
        listing = client.get(reverse("round_list", args=[other.code])).content.decode()
        assert round_.title not in listing
        with pytest.raises(PermissionDenied):
            rounds.round_score(actor=user, round=round_, stakeholder="police", scores={})
    assert state(round_) == before


def test_a_partner_of_another_organisation_cannot_create_score_or_decide(
    round_: PrioritisationRound, vanj_group: Any, asti_in_vanj: Any, client_for: Any, criteria: dict, shortlist: list
) -> None:
    """ASTI's facilitator sees the LAP group's round (her districts include Vanj) but every write is
    refused with the reason, on the pages and in the services, and nothing changes."""
    client = client_for(asti_in_vanj)
    code = round_.programme.code
    before = state(round_)
    page = client.get(url("round_detail", round_))
    assert page.status_code == 200
    html = page.content.decode()
    assert url("round_scores", round_) not in html and url("round_decide", round_) not in html
    scored = client.post(url("round_scores", round_), {"stakeholder": "community", **grid(round_)})
    assert scored.status_code == 403
    assert "facilitates this group" in scored.content.decode()
    assert client.post(url("round_decide", round_), {"chosen": [shortlist[0].pk], "confirm": "on"}).status_code == 403
    assert client.get(url("round_shortlist", round_)).status_code == 403
    assert client.post(url("round_shortlist", round_), {"concerns": [shortlist[0].pk]}).status_code == 403
    # The create page does not offer LAP's group, and posting it anyway is refused with the reason.
    create = reverse("round_create", args=[code])
    assert f'<option value="{vanj_group.pk}"' not in client.get(create).content.decode()
    forged = client.post(
        create,
        {
            "group": vanj_group.pk,
            "title": "Forged",
            "held_on": "2026-04-11",
            "criteria": [c.pk for c in criteria.values()],
            "concerns": [c.pk for c in shortlist],
            "create": "1",
        },
    )
    assert forged.status_code == 403
    for call in (
        lambda: rounds.round_score(
            actor=asti_in_vanj,
            round=round_,
            stakeholder="police",
            scores={(shortlist[0].pk, criteria["urgency"].pk): 5},
        ),
        lambda: rounds.round_decide(actor=asti_in_vanj, round=round_, chosen=[shortlist[0]]),
        lambda: rounds.round_update_shortlist(actor=asti_in_vanj, round=round_, concerns=[shortlist[0]]),
        lambda: rounds.round_create(
            actor=asti_in_vanj,
            group=vanj_group,
            title="Forged",
            held_on=D(2026, 4, 11),
            criteria=list(criteria.values()),
            concerns=shortlist,
        ),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert state(round_) == before
    assert AuditEvent.objects.filter(action__endswith=".denied", actor=asti_in_vanj).exists()


@pytest.mark.parametrize("role", [Role.LIAISON, Role.DONOR, "anonymous"])
def test_liaison_donor_and_anonymous_are_refused(
    role: str, round_: PrioritisationRound, users: dict, client_for: Any, shortlist: list
) -> None:
    client = client_for(None if role == "anonymous" else users[role])
    before = state(round_)
    code = round_.programme.code
    answers = [
        client.get(reverse("round_list", args=[code])),
        client.get(reverse("round_create", args=[code])),
        client.get(url("round_detail", round_)),
        client.post(url("round_scores", round_), {"stakeholder": "police", **grid(round_)}),
        client.post(url("round_decide", round_), {"chosen": [shortlist[0].pk], "confirm": "on"}),
    ]
    for answer in answers:
        if role == "anonymous":
            assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
        else:
            assert answer.status_code == 403
    if role != "anonymous":
        assert not PrioritisationRound.objects.visible_to(users[role]).exists()
        with pytest.raises(PermissionDenied):
            rounds.round_score(actor=users[role], round=round_, stakeholder="police", scores={})
    assert state(round_) == before


def test_a_member_of_another_group_cannot_see_the_round(
    round_: PrioritisationRound, programme: Any, place: Any, orgs: dict, make_user: Any, client_for: Any
) -> None:
    other_group = factories.group(programme, place("TJ-GB-VANJ"), "Гурӯҳи дигар", owner=orgs["lap"])
    person = factories.person(programme, place("TJ-GB-VANJ"), owner=orgs["lap"])
    factories.membership(other_group, person, D(2019, 1, 1))
    member = make_user(
        "member2@test.example", programme=programme, role=Role.GROUP_MEMBER, places=[place("TJ-GB-VANJ")]
    )
    person_link_account(actor=None, person=person, account=member)
    client = client_for(member)
    before = state(round_)
    assert client.get(url("round_detail", round_)).status_code == 404
    assert client.post(url("round_scores", round_), {"stakeholder": "police", **grid(round_)}).status_code == 404
    assert round_.title not in client.get(reverse("round_list", args=[programme.code])).content.decode()
    with pytest.raises(PermissionDenied):
        rounds.round_score(actor=member, round=round_, stakeholder="police", scores=grid_keys(round_, 3))
    assert state(round_) == before


def grid_keys(round_: PrioritisationRound, value: int) -> dict[tuple[int, int], int]:
    return {
        (concern.pk, criterion.pk): value for concern in round_.concerns.all() for criterion in round_.criteria.all()
    }


def test_a_member_of_the_group_scores_but_does_not_set_up_or_decide(
    round_: PrioritisationRound, users: dict, client_for: Any, shortlist: list
) -> None:
    member = users[Role.GROUP_MEMBER]
    client = client_for(member)
    page = client.get(url("round_detail", round_))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Роҳи мактаб торик аст" in html  # the shortlist, for the members who score it
    assert url("round_decide", round_) not in html
    answer = client.post(url("round_scores", round_), {"stakeholder": "community", **grid(round_, 3)})
    assert answer.status_code == 302
    assert Score.objects.filter(round=round_, stakeholder="community", value=3).count() == 12
    event = AuditEvent.objects.get(action="round.score")
    assert event.actor == member and event.summary == {"stakeholder": "community", "added": 12, "changed": 0}
    assert client.get(reverse("round_create", args=[round_.programme.code])).status_code == 403
    before = state(round_)
    assert client.post(url("round_decide", round_), {"chosen": [shortlist[0].pk], "confirm": "on"}).status_code == 403
    assert state(round_) == before


# --- Bad input ---------------------------------------------------------------------------------------
def test_scores_out_of_range_are_refused_and_nothing_is_stored(
    round_: PrioritisationRound, users: dict, client_for: Any, shortlist: list, criteria: dict
) -> None:
    client = client_for(users[Role.PARTNER])
    before = state(round_)
    for bad in ("0", "6", "7", "-1", "3.5", "x", "99999999999"):
        cells = grid(round_, 4)
        cells[f"s-{shortlist[0].pk}-{criteria['urgency'].pk}"] = bad
        answer = client.post(url("round_scores", round_), {"stakeholder": "police", **cells})
        assert answer.status_code == 422, bad
        assert "Scores are whole numbers from 1 to 5." in answer.content.decode()
    for value in (0, 6, True, "4", 2.5, None):
        with pytest.raises(ValidationError) as error:
            rounds.round_score(
                actor=users[Role.PARTNER],
                round=round_,
                stakeholder="police",
                scores={
                    (shortlist[1].pk, criteria["severity"].pk): 4,
                    (shortlist[0].pk, criteria["urgency"].pk): value,
                },
            )
        assert error.value.message_dict["scores"] == ["Scores are whole numbers from 1 to 5."]
    assert state(round_) == before


def test_scores_for_a_concern_not_on_the_shortlist_or_a_stray_criterion_are_refused(
    round_: PrioritisationRound,
    users: dict,
    client_for: Any,
    programme: Any,
    place: Any,
    vocabulary: dict,
    criteria: dict,
) -> None:
    stranger = triaged(programme, place, users, vocabulary, "Не в списке")
    partner = users[Role.PARTNER]
    before = state(round_)
    cells = grid(round_, 2)
    cells[f"s-{stranger.pk}-{criteria['severity'].pk}"] = "5"
    answer = client_for(partner).post(url("round_scores", round_), {"stakeholder": "authority", **cells})
    assert answer.status_code == 422
    assert "Only the concerns on this round&#x27;s shortlist can be scored." in answer.content.decode()
    with pytest.raises(ValidationError) as error:
        rounds.round_score(
            actor=partner, round=round_, stakeholder="authority", scores={(stranger.pk, criteria["severity"].pk): 5}
        )
    assert "shortlist" in error.value.message_dict["scores"][0]
    smaller = rounds.round_create(
        actor=partner,
        group=round_.group,
        title="Two criteria",
        held_on=D(2026, 4, 12),
        criteria=[criteria["severity"], criteria["urgency"]],
        concerns=[stranger],
    )
    with pytest.raises(ValidationError) as error:
        rounds.round_score(
            actor=partner, round=smaller, stakeholder="police", scores={(stranger.pk, criteria["feasibility"].pk): 5}
        )
    assert error.value.message_dict["scores"] == ["Score only against this round's criteria."]
    with pytest.raises(ValidationError) as error:
        rounds.round_score(
            actor=partner, round=smaller, stakeholder="imam", scores={(stranger.pk, criteria["severity"].pk): 5}
        )
    assert "stakeholder" in error.value.message_dict
    assert state(round_)[2] == before[2]
    assert not Score.objects.exists()


def test_scores_after_the_decision_are_refused(
    round_: PrioritisationRound, users: dict, client_for: Any, shortlist: list
) -> None:
    partner = users[Role.PARTNER]
    rounds.round_decide(actor=partner, round=round_, chosen=[shortlist[0]])
    before = state(round_)
    answer = client_for(partner).post(url("round_scores", round_), {"stakeholder": "police", **grid(round_)})
    assert answer.status_code == 422
    assert "This round has been decided" in answer.content.decode()
    member = client_for(users[Role.GROUP_MEMBER]).post(
        url("round_scores", round_), {"stakeholder": "police", **grid(round_)}
    )
    assert member.status_code == 422
    with pytest.raises(ValidationError):
        rounds.round_decide(actor=partner, round=round_, chosen=[shortlist[1]])
    with pytest.raises(ValidationError):
        rounds.round_update_shortlist(actor=partner, round=round_, concerns=shortlist[:1])
    assert state(round_) == before


def test_setting_up_a_round_checks_everything_and_says_what(
    vanj_group: Any, users: dict, criteria: dict, shortlist: list, programme: Any, place: Any, orgs: dict
) -> None:
    partner = users[Role.PARTNER]
    reported = make_concern(programme, place("TJ-GB-VANJ"), actor=partner, description="Ещё не разобрано")
    isfara = make_concern(programme, place("TJ-SU-ISFARA"), description="Исфара")
    with pytest.raises(ValidationError) as error:
        rounds.round_create(
            actor=partner, group=vanj_group, title=" ", held_on=None, criteria=[criteria["severity"]], concerns=[]
        )
    assert set(error.value.message_dict) == {"title", "held_on", "criteria", "concerns"}
    for bad in ([reported], [isfara], [999999], ["1"]):
        with pytest.raises(ValidationError) as error:
            rounds.round_create(
                actor=partner,
                group=vanj_group,
                title="Round",
                held_on=D(2026, 4, 1),
                criteria=list(criteria.values()),
                concerns=[shortlist[0], *bad],
            )
        assert set(error.value.message_dict) == {"concerns"}, bad
    with pytest.raises(ValidationError) as error:
        rounds.round_create(
            actor=partner,
            group=vanj_group,
            title="Round",
            held_on=D(2026, 4, 1),
            criteria=list(criteria.values()),
            concerns=[reported],
        )
    assert reported.reference in error.value.message_dict["concerns"][0]
    # Taken up by another group of the district: not on this group's shortlist.
    other = factories.group(programme, place("TJ-GB-VANJ"), "Гурӯҳи дигар", owner=orgs["lap"])
    services.concern_update(actor=partner, concern=shortlist[1], group=other)
    with pytest.raises(ValidationError):
        rounds.round_create(
            actor=partner,
            group=vanj_group,
            title="Round",
            held_on=D(2026, 4, 1),
            criteria=list(criteria.values()),
            concerns=[shortlist[1]],
        )
    assert not PrioritisationRound.objects.exists()
    assert not ConcernEvent.objects.filter(kind=ConcernEvent.Kind.ROUND).exists()


# --- Results -----------------------------------------------------------------------------------------
def enter(round_: PrioritisationRound, actor: Any, stakeholder: str, table: dict[Concern, tuple[int, int]]) -> None:
    severity, urgency = round_.criteria.order_by("order")
    scores = {}
    for concern, (sev, urg) in table.items():
        scores[(concern.pk, severity.pk)] = sev
        scores[(concern.pk, urgency.pk)] = urg
    rounds.round_score(actor=actor, round=round_, stakeholder=stakeholder, scores=scores)


def test_results_weighted_means_ranking_and_disagreement(
    vanj_group: Any, users: dict, criteria: dict, shortlist: list
) -> None:
    """Severity counts double. The police disagree with the community on B and C."""
    Criterion.objects.filter(pk=criteria["severity"].pk).update(weight=2)
    partner = users[Role.PARTNER]
    a, b, c = shortlist
    round_ = rounds.round_create(
        actor=partner,
        group=vanj_group,
        title="Weighted",
        held_on=D(2026, 4, 10),
        criteria=[criteria["severity"], criteria["urgency"]],
        concerns=shortlist,
    )
    enter(round_, partner, Stakeholder.COMMUNITY, {a: (5, 5), b: (4, 1), c: (2, 2)})
    enter(round_, partner, Stakeholder.POLICE, {a: (5, 4), b: (1, 1), c: (4, 5)})
    results = rounds.round_results(round_)
    rows = {row.concern: row for row in results.rows}
    # community: A 5.0, B (2*4+1)/3 = 3.0, C 2.0; police: A 14/3 = 4.7, B 1.0, C 13/3 = 4.3
    assert [rows[x].of("community").mean for x in (a, b, c)] == [Decimal("5.0"), Decimal("3.0"), Decimal("2.0")]
    assert [rows[x].of("police").mean for x in (a, b, c)] == [Decimal("4.7"), Decimal("1.0"), Decimal("4.3")]
    assert all(rows[x].of("authority").mean is None for x in (a, b, c))
    # overall: A 4.85 → 4.9, B 2.0, C 3.15 → 3.2; ranking A, C, B
    assert [row.concern for row in results.rows] == [a, c, b]
    assert [row.rank for row in results.rows] == [1, 2, 3]
    assert [rows[x].overall for x in (a, b, c)] == [Decimal("4.9"), Decimal("2.0"), Decimal("3.2")]
    assert [rows[x].spread for x in (a, b, c)] == [Decimal("0.3"), Decimal("2.0"), Decimal("2.3")]
    assert [rows[x].disagree for x in (a, b, c)] == [False, True, True]
    assert "Police gives 4.3, community 2.0: 2.3 points apart." in rows[c].reasons
    assert results.progress == {"community": (6, 6), "police": (6, 6), "authority": (0, 6)}


def test_opposite_thirds_are_a_disagreement_even_when_the_scores_are_close(
    vanj_group: Any, users: dict, criteria: dict, shortlist: list, programme: Any, place: Any, vocabulary: dict
) -> None:
    partner = users[Role.PARTNER]
    a, b, c = shortlist
    d = triaged(programme, place, users, vocabulary, "Д")
    round_ = rounds.round_create(
        actor=partner,
        group=vanj_group,
        title="Thirds",
        held_on=D(2026, 4, 10),
        criteria=[criteria["severity"], criteria["urgency"]],
        concerns=[a, b, c, d],
    )
    enter(round_, partner, Stakeholder.COMMUNITY, {a: (5, 5), b: (4, 4), c: (4, 4), d: (3, 3)})
    enter(round_, partner, Stakeholder.AUTHORITY, {a: (4, 4), b: (3, 3), c: (3, 3), d: (4, 4)})
    rows = {row.concern: row for row in rounds.round_results(round_).rows}
    # community ranks D 4th of 4 (bottom third), the authority 1st (shared with A: top third); 1.0 apart
    assert rows[d].spread == Decimal("1.0")
    assert (rows[d].of("community").third, rows[d].of("authority").third) == (2, 0)
    assert rows[d].disagree
    assert rows[d].reasons == ["Local authority: top third; community: bottom third."]
    # B: 4.0 and 3.0, ranks 2 and 3 of 4 (top and middle third): close enough
    assert not rows[b].disagree and rows[b].spread == Decimal("1.0")
    assert rows[a].rank == 1 and rows[b].rank == rows[c].rank == rows[d].rank == 2  # equal scores share a rank


# --- The decision ------------------------------------------------------------------------------------
def test_deciding_prioritises_the_chosen_and_leaves_the_others_triaged(
    round_: PrioritisationRound, users: dict, client_for: Any, shortlist: list, vanj_group: Any
) -> None:
    partner = users[Role.PARTNER]
    a, b, c = shortlist
    client = client_for(partner)
    scores = {"community": (5, 2, 4), "police": (4, 1, 2)}
    for stakeholder, values in scores.items():
        cells = {}
        for concern, value in zip(shortlist, values, strict=True):
            for criterion in round_.criteria.all():
                cells[f"s-{concern.pk}-{criterion.pk}"] = value
        assert client.post(url("round_scores", round_), {"stakeholder": stakeholder, **cells}).status_code == 302
    # Without the confirmation nothing happens.
    refused = client.post(url("round_decide", round_), {"chosen": [a.pk, c.pk]})
    assert refused.status_code == 422 and "Confirm that the group agreed" in refused.content.decode()
    assert state(round_)[0] == PrioritisationRound.State.OPEN
    done = client.post(url("round_decide", round_), {"chosen": [a.pk, c.pk], "confirm": "on"})
    assert done.status_code == 302
    for concern in shortlist:
        concern.refresh_from_db()
    assert (a.status, a.group) == (Status.PRIORITISED, vanj_group)
    assert (c.status, c.group) == (Status.PRIORITISED, vanj_group)
    assert (b.status, b.group) == (Status.TRIAGED, None)
    round_.refresh_from_db()
    assert round_.state == PrioritisationRound.State.CLOSED and round_.decided_at is not None
    assert set(round_.chosen.all()) == {a, c}
    texts = {
        concern: list(concern.events.filter(kind=ConcernEvent.Kind.ROUND).values_list("text", flat=True))
        for concern in shortlist
    }
    assert texts[a][0] == "Prioritised in the round “Баҳори 2026” (rank 1 of 3)."
    assert texts[c][0] == "Prioritised in the round “Баҳори 2026” (rank 2 of 3)."
    assert texts[b][0] == "Not chosen in the round “Баҳори 2026” (rank 3 of 3)."
    assert a.events.filter(kind=ConcernEvent.Kind.STATUS, to_status=Status.PRIORITISED).exists()
    assert AuditEvent.objects.get(action="round.decide").summary == {
        "chosen": sorted([a.reference, c.reference]),
        "not_chosen": [b.reference],
    }
    # The page now shows the decision, read-only.
    html = client.get(url("round_detail", round_)).content.decode()
    assert "The decision" in html and "✓ Chosen" in html
    assert url("round_scores", round_) not in html and url("round_decide", round_) not in html


def test_a_concern_that_moved_on_cannot_be_chosen(round_: PrioritisationRound, users: dict, shortlist: list) -> None:
    partner = users[Role.PARTNER]
    services.concern_move(actor=partner, concern=shortlist[0], to_status=Status.DECLINED, reason="дубликат")
    before = state(round_)
    with pytest.raises(ValidationError) as error:
        rounds.round_decide(actor=partner, round=round_, chosen=[shortlist[0], shortlist[1]])
    assert "is no longer triaged (it is declined)" in error.value.message_dict["chosen"][0]
    with pytest.raises(ValidationError):
        rounds.round_decide(actor=partner, round=round_, chosen=[])
    assert state(round_) == before


def test_the_shortlist_changes_while_open_and_scores_go_with_a_removed_concern(
    round_: PrioritisationRound, users: dict, shortlist: list, programme: Any, place: Any, vocabulary: dict
) -> None:
    partner = users[Role.PARTNER]
    rounds.round_score(actor=partner, round=round_, stakeholder="police", scores=grid_keys(round_, 2))
    extra = triaged(programme, place, users, vocabulary, "Новое")
    rounds.round_update_shortlist(actor=partner, round=round_, concerns=[shortlist[0], shortlist[1], extra])
    assert set(round_.concerns.all()) == {shortlist[0], shortlist[1], extra}
    assert not Score.objects.filter(concern=shortlist[2]).exists()
    assert Score.objects.filter(concern=shortlist[0]).count() == 4
    assert extra.events.filter(kind=ConcernEvent.Kind.ROUND).exists()
    assert shortlist[2].events.filter(kind=ConcernEvent.Kind.ROUND, text__startswith="Taken off").exists()


def test_the_shortlist_page_marks_scored_concerns_and_saves(
    round_: PrioritisationRound, users: dict, client_for: Any, shortlist: list
) -> None:
    partner = users[Role.PARTNER]
    rounds.round_score(actor=partner, round=round_, stakeholder="police", scores=grid_keys(round_, 2))
    client = client_for(partner)
    page = client.get(url("round_shortlist", round_))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("checked") == 3 and html.count("Has scores") == 3
    assert client.post(url("round_shortlist", round_), {"concerns": []}).status_code == 422
    assert client.post(url("round_shortlist", round_), {"concerns": [shortlist[0].pk]}).status_code == 302
    assert list(round_.concerns.all()) == [shortlist[0]]


# --- Pages -------------------------------------------------------------------------------------------
def test_create_page_shows_the_groups_concerns_without_javascript_then_creates(
    vanj_group: Any, users: dict, client_for: Any, criteria: dict, shortlist: list, programme: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    create = reverse("round_create", args=[programme.code])
    page = client.get(create).content.decode()
    # Her only group is chosen already; every active criterion is ticked; the shortlist is offered.
    assert f'<option value="{vanj_group.pk}" selected>' in page
    assert page.count('name="criteria"') == 4 and page.count("checked") >= 4
    assert all(c.reference in page for c in shortlist)
    shown = client.post(create, {"group": vanj_group.pk, "title": "Весна", "show": "1"})
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "error-summary" not in html and 'value="Весна"' in html and shortlist[2].reference in html
    # With JavaScript, choosing the group fetches only the shortlist.
    swapped = client.post(create, {"group": vanj_group.pk, "show": "1"}, HTTP_HX_REQUEST="true")
    assert swapped.content.decode().lstrip().startswith('<div id="shortlist"')
    assert shortlist[0].reference in swapped.content.decode()
    made = client.post(
        create,
        {
            "group": vanj_group.pk,
            "title": "Весна",
            "held_on": "2026-04-10",
            "criteria": [criteria["severity"].pk, criteria["urgency"].pk],
            "concerns": [shortlist[0].pk, shortlist[2].pk],
            "create": "1",
        },
    )
    assert made.status_code == 302
    round_ = PrioritisationRound.objects.get()
    assert made["Location"] == url("round_detail", round_)
    assert set(round_.concerns.all()) == {shortlist[0], shortlist[2]}
    assert round_.district == vanj_group.district
    empty = client.post(create, {"group": vanj_group.pk, "title": "", "held_on": "", "create": "1"})
    assert empty.status_code == 422 and "Please correct 2 fields" in empty.content.decode()
    none = client.post(create, {"group": vanj_group.pk, "title": "Ещё", "held_on": "2026-04-10", "create": "1"})
    assert none.status_code == 422
    html = none.content.decode()
    assert "Choose at least one concern for the shortlist." in html
    assert "Choose at least two criteria" in html
    assert PrioritisationRound.objects.count() == 1


def test_round_page_escapes_what_people_wrote_and_hides_restricted_text_from_members(
    vanj_group: Any, users: dict, client_for: Any, criteria: dict, programme: Any, place: Any, vocabulary: dict
) -> None:
    loud = triaged(programme, place, users, vocabulary, "<script>alert(1)</script> роҳ")
    secret = triaged(programme, place, users, vocabulary, "Номи шахс дар ин ҷо", sensitivity="restricted")
    round_ = rounds.round_create(
        actor=users[Role.PARTNER],
        group=vanj_group,
        title="<b>Title</b>",
        held_on=D(2026, 4, 10),
        criteria=list(criteria.values()),
        concerns=[loud, secret],
    )
    for role in (Role.PARTNER, Role.GROUP_MEMBER):
        html = client_for(users[role]).get(url("round_detail", round_)).content.decode()
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
        assert "<b>Title</b>" not in html
        assert ("Номи шахс" in html) is (role == Role.PARTNER)
        assert secret.reference in html


def test_round_page_query_count_does_not_grow_with_the_shortlist(
    vanj_group: Any, users: dict, client_for: Any, criteria: dict, programme: Any, place: Any, vocabulary: dict
) -> None:
    partner = users[Role.PARTNER]
    concerns = [triaged(programme, place, users, vocabulary, f"Concern {i}") for i in range(15)]

    def count(shortlist: list[Concern], role: str) -> int:
        round_ = rounds.round_create(
            actor=partner,
            group=vanj_group,
            title=f"{len(shortlist)}",
            held_on=D(2026, 4, 10),
            criteria=list(criteria.values()),
            concerns=shortlist,
        )
        for stakeholder in Stakeholder.values:
            rounds.round_score(actor=partner, round=round_, stakeholder=stakeholder, scores=grid_keys(round_, 3))
        client = client_for(users[role])
        client.get(url("round_detail", round_))  # the session and the grants, once
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("round_detail", round_) + "?stakeholder=police").status_code == 200
        return len(queries)

    for role in (Role.PARTNER, Role.GROUP_MEMBER, Role.STAFF):
        assert count(concerns[:3], role) == count(concerns, role), role
    assert count(concerns, Role.PARTNER) <= 20


def test_round_list_query_count_is_constant(
    vanj_group: Any, users: dict, client_for: Any, criteria: dict, shortlist: list, django_assert_max_num_queries: Any
) -> None:
    partner = users[Role.PARTNER]

    def make(n: int) -> None:
        for i in range(n):
            rounds.round_create(
                actor=partner,
                group=vanj_group,
                title=f"Round {i}",
                held_on=D(2026, 4, 1 + i),
                criteria=list(criteria.values()),
                concerns=shortlist,
            )

    client = client_for(partner)
    list_url = reverse("round_list", args=[vanj_group.programme.code])
    make(2)
    client.get(list_url)
    with CaptureQueriesContext(connection) as few:
        client.get(list_url)
    make(8)
    with django_assert_max_num_queries(len(few)):
        html = client.get(list_url).content.decode()
    assert html.count("/rounds/") >= 10
