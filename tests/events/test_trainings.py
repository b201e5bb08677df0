"""Trainings: the scores screen through HTTP (adversaries first), knowledge gain on a hand-checked example,
people trained once per topic, bad scores save nothing, bounded queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from hamkori.core.roles import Role
from hamkori.events import services
from hamkori.events.attendance import Entry, attendance_save, scores_save
from hamkori.events.models import Attendance, Event
from hamkori.events.panels import event_panels
from hamkori.events.trainings import knowledge_gain, people_trained, trained_by_topic
from tests import factories
from tests.events.conftest import HELD_DAY, make_event

pytestmark = pytest.mark.django_db

SECRET_NAME = "Гулнора Шарифова"


def _person(programme: Any, place: Any, orgs: dict, sex: str, band: str, name: str = "") -> Any:
    return factories.person(
        programme, place("TJ-GB-VANJ"), owner=orgs["lap"], sex=sex, birth_year=None, age_band=band, name=name
    )


@pytest.fixture
def scored(training: Event, programme: Any, place: Any, orgs: dict, users: dict) -> dict[str, Any]:
    """The hand-checked example: a test out of 20 and four participants.

    | person | sex | band  | pre | post | gain | gain % of 20 |
    | a      | F   | u18   | 10  | 16   | 6    | 30           |
    | b      | F   | 25-35 | 8   | 12   | 4    | 20           |
    | c      | M   | 18-24 | 12  | 14   | 2    | 10           |
    | d      | M   | 18-24 | 6   | —    | (not counted: no post-test) |
    """
    services.event_update(actor=None, event=training, test_max_score=20)
    people = {
        "a": _person(programme, place, orgs, "female", "u18", SECRET_NAME),
        "b": _person(programme, place, orgs, "female", "25-35"),
        "c": _person(programme, place, orgs, "male", "18-24"),
        "d": _person(programme, place, orgs, "male", "18-24"),
    }
    attendance_save(actor=None, event=training, entries=[Entry(person=p.pk) for p in people.values()])
    scores = {"a": (10, 16), "b": (8, 12), "c": (12, 14), "d": (6, None)}
    scores_save(actor=None, event=training, scores={people[k].pk: v for k, v in scores.items()})
    training.refresh_from_db()
    return people


def _url(event: Event) -> str:
    return reverse("event_scores", args=[event.programme.code, event.pk])


# --- adversaries first -----------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["other_admin", "other_partner", "liaison", "member", "donor", "anonymous"])
def test_nobody_else_reads_or_writes_the_scores(
    who: str, training: Event, scored: dict, users: dict, adversaries: dict, client_for: Any
) -> None:
    user = {
        "liaison": users[Role.LIAISON],
        "member": users[Role.GROUP_MEMBER],
        "donor": users[Role.DONOR],
    }.get(who) or adversaries.get(who)
    client = client_for(user)
    before = list(Attendance.objects.order_by("pk").values_list("pre_score", "post_score"))
    got = client.get(_url(training))
    assert got.status_code in (302, 403, 404)
    assert SECRET_NAME not in got.content.decode()
    posted = client.post(_url(training), {f"pre-{scored['a'].pk}": "0", f"post-{scored['a'].pk}": "0"})
    assert posted.status_code in (302, 403, 404)
    if who == "anonymous":
        assert "/accounts/login/" in posted["Location"]
    assert list(Attendance.objects.order_by("pk").values_list("pre_score", "post_score")) == before


def test_a_partner_of_another_organisation_is_refused_with_the_reason(
    training: Event, scored: dict, adversaries: dict, client_for: Any
) -> None:
    got = client_for(adversaries["other_partner"]).get(_url(training))
    assert got.status_code == 403
    assert SECRET_NAME not in got.content.decode()


# --- the screen -----------------------------------------------------------------------------------------
def test_the_partner_sees_one_row_per_participant_with_numeric_inputs(
    training: Event, scored: dict, users: dict, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    with django_assert_max_num_queries(25):
        got = client.get(_url(training))
    html = got.content.decode()
    assert got.status_code == 200
    assert SECRET_NAME in html
    assert html.count('inputmode="numeric"') == 8
    assert f'name="pre-{scored["a"].pk}"' in html and 'value="16"' in html


def test_query_count_does_not_grow_with_participants(
    training: Event,
    programme: Any,
    place: Any,
    orgs: dict,
    users: dict,
    client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    services.event_update(actor=None, event=training, test_max_score=10)
    client = client_for(users[Role.PARTNER])

    def count(n: int) -> int:
        people = [_person(programme, place, orgs, "female", "18-24") for _ in range(n)]
        existing = list(Attendance.objects.filter(event=training).values_list("person_id", flat=True))
        attendance_save(
            actor=None, event=training, entries=[Entry(person=pk) for pk in [*existing, *(p.pk for p in people)]]
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_url(training)).status_code == 200
        return len(ctx.captured_queries)

    assert count(3) == count(30)


def test_scores_are_saved_in_one_post(training: Event, scored: dict, users: dict, client_for: Any) -> None:
    a, d = scored["a"], scored["d"]
    got = client_for(users[Role.PARTNER]).post(
        _url(training),
        {f"pre-{a.pk}": "11", f"post-{a.pk}": "17", f"pre-{d.pk}": "6", f"post-{d.pk}": "9"},
    )
    assert got.status_code == 302
    rows = {r.person_id: (r.pre_score, r.post_score) for r in Attendance.objects.filter(event=training)}
    assert rows[a.pk] == (11, 17) and rows[d.pk] == (6, 9)
    # Fields left out of the POST are emptied (one POST says everything).
    assert rows[scored["b"].pk] == (None, None)


@pytest.mark.parametrize(
    ("pre", "post", "message"),
    [
        ("", "12", "needs a pre-test"),
        ("21", "12", "is not a score from 0 to 20"),
        ("-1", "3", "is not a score from 0 to 20"),
        ("abc", "", "is not a score from 0 to 20"),
    ],
)
def test_bad_scores_save_nothing(
    pre: str, post: str, message: str, training: Event, scored: dict, users: dict, client_for: Any
) -> None:
    before = list(Attendance.objects.order_by("pk").values_list("pre_score", "post_score"))
    a, b = scored["a"], scored["b"]
    got = client_for(users[Role.PARTNER]).post(
        _url(training), {f"pre-{a.pk}": "19", f"post-{a.pk}": "20", f"pre-{b.pk}": pre, f"post-{b.pk}": post}
    )
    assert got.status_code == 422
    assert message in got.content.decode()
    assert list(Attendance.objects.order_by("pk").values_list("pre_score", "post_score")) == before


def test_bad_scores_are_refused_in_tajik(training: Event, scored: dict, users: dict, client_for: Any) -> None:
    client = client_for(users[Role.PARTNER])
    client.cookies["django_language"] = "tg"
    b = scored["b"]
    got = client.post(_url(training), {f"pre-{b.pk}": "", f"post-{b.pk}": "12"}, HTTP_ACCEPT_LANGUAGE="tg")
    assert got.status_code == 422
    assert 'lang="tg"' in got.content.decode()


def test_an_event_that_is_not_a_training_takes_no_scores(
    dialogue: Event, vanj_cwg: Any, users: dict, client_for: Any
) -> None:
    person = vanj_cwg.memberships.first().person
    attendance_save(actor=None, event=dialogue, entries=[Entry(person=person.pk)])
    client = client_for(users[Role.STAFF])
    url = _url(dialogue)
    assert "for trainings" in client.get(url).content.decode()
    got = client.post(url, {f"pre-{person.pk}": "3"})
    assert got.status_code == 422
    assert "Test scores are recorded for trainings only." in got.content.decode()
    assert Attendance.objects.get(event=dialogue).pre_score is None


# --- the reads ------------------------------------------------------------------------------------------
def test_knowledge_gain_by_sex_and_age_band_is_computed_right(training: Event, scored: dict) -> None:
    gain = knowledge_gain(Attendance.objects.filter(event=training))
    o = gain.overall
    assert (o.people, o.mean_pre, o.mean_post, o.mean_gain, o.gain_percent) == (3, 10.0, 14.0, 4.0, 20.0)
    f, m = gain.by_sex["female"], gain.by_sex["male"]
    assert (f.people, f.mean_pre, f.mean_post, f.mean_gain, f.gain_percent) == (2, 9.0, 14.0, 5.0, 25.0)
    assert (m.people, m.mean_gain, m.gain_percent) == (1, 2.0, 10.0)
    assert gain.by_band["u18"].gain_percent == 30.0
    assert gain.by_band["25-35"].mean_gain == 4.0
    assert gain.by_band["18-24"].people == 1  # d has no post-test: not counted
    assert (o.pre_percent, o.post_percent) == (50.0, 70.0)


def test_people_are_trained_once_per_topic(
    training: Event, scored: dict, programme: Any, place: Any, users: dict, vocab: dict
) -> None:
    topics = vocab["topics"]
    again = make_event(
        programme,
        place("TJ-GB-VANJ"),
        vocab["kinds"]["training"],
        day=HELD_DAY,
        topics=[topics["cycle"], topics["research"]],
        title="Again",
    )
    attendance_save(actor=None, event=again, entries=[Entry(person=scored["a"].pk), Entry(person=scored["b"].pk)])
    rows = Attendance.objects.filter(programme=programme)
    counts = {t.code: n for t, n in trained_by_topic(rows, list(topics.values()))}
    assert counts["cycle"] == 4  # a and b attended two trainings on it: still once each
    assert counts["research"] == 2
    assert people_trained(rows) == 4


def test_the_training_panel_shows_the_gain_and_the_link_to_those_who_may_score(
    training: Event, scored: dict, users: dict, adversaries: dict
) -> None:
    event = Event.objects.select_related("kind", "programme").get(pk=training.pk)
    panels = [p for p in event_panels(users[Role.PARTNER], event) if p.template == "events/_training_panel.html"]
    assert panels and panels[0].context["may_score"] and panels[0].context["gain"].people == 3
    other = [
        p for p in event_panels(adversaries["other_partner"], event) if p.template == "events/_training_panel.html"
    ]
    assert other == []  # another organisation's partner sees the event, not its participants' scores
    member = [p for p in event_panels(users[Role.GROUP_MEMBER], event) if p.template == "events/_training_panel.html"]
    assert member == []
