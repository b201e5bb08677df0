"""The review pages over real HTTP: the adversaries first (another reviewer, a partner of another organisation
given the same district, another programme's admin, a donor, a liaison, an anonymous visitor), a reviewer with
a declared conflict, forged criteria and scores; then the reviewer's screen (blind calls hide the applicant),
assigning reviewers, the screening, the decision with the service's refusals, the ranking, the application
panel, the home items and constant query counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import reviews
from hamkori.grants.models import Application, ApplicationStatus, Conflict, Grant, Review, ReviewScore, Screening
from hamkori.grants.panels import application_panels
from hamkori.programmes.home import home_items
from tests import factories
from tests.grants.conftest import ISFARA, VANJ, make_application, make_call

pytestmark = pytest.mark.django_db

NAME = "Ҷамъияти ҷавонони Ванҷ"


def url(name: str, programme: Any, *args: Any) -> str:
    return reverse(name, args=[programme.code, *args])


def state() -> tuple[Any, ...]:
    """Everything a review page could change."""
    return (
        list(Review.objects.order_by("pk").values()),
        sorted(ReviewScore.objects.values_list("review_id", "criterion_id", "score", "comment")),
        list(Screening.objects.values()),
        list(Application.objects.order_by("pk").values("pk", "status", "decision_reason", "decided_at")),
        Grant.objects.count(),
    )


@pytest.fixture
def adversaries(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    """ASTI's partner given Vanj too (she sees LAP's Vanj application, so only the review's boundary holds her
    back), an admin of another programme in Vanj, and an anonymous visitor."""
    other = factories.programme(
        code="other-prog",
        title_en="Other programme",
        title_ru="Другая программа",
        title_tg="Барномаи дигар",
        lead=orgs["lead"],
        locations=[place(VANJ)],
        partners=[(orgs["lap"], [place(VANJ)])],
    )
    return {
        "other_partner": make_user(
            "asti-vanj@test.example",
            programme=programme,
            role=Role.PARTNER,
            organisation=orgs["asti"],
            places=[place(VANJ)],
        ),
        "other_admin": make_user(
            "other-admin@test.example", programme=other, role=Role.ADMIN, organisation=orgs["lead"]
        ),
        "other_programme": other,
    }


@pytest.fixture
def world(application: Application, users: dict) -> dict[str, Any]:
    """LAP's Vanj application with two reviewers: the lead's staff (declared no conflict) and LAP's partner
    (assigned, not declared yet)."""
    staff_review = reviews.review_assign(actor=users[Role.ADMIN], application=application, reviewer=users[Role.STAFF])
    staff_review = reviews.review_declare(actor=users[Role.STAFF], review=staff_review, conflict=False)
    partner_review = reviews.review_assign(
        actor=users[Role.ADMIN], application=application, reviewer=users[Role.PARTNER]
    )
    return {"application": application, "staff_review": staff_review, "partner_review": partner_review}


def scores_of(application: Application, value: Any = 4, **more: Any) -> dict[str, Any]:
    data = {f"score_{c.pk}": value for c in application.call.criteria.all()}
    data.update(comment="Хуб навишта шудааст", step="scores", **more)
    return data


def object_pages(programme: Any, w: dict) -> list[str]:
    app = w["application"]
    return [
        url("review_detail", programme, w["staff_review"].pk),
        url("application_reviewers", programme, app.pk),
        url("application_screening", programme, app.pk),
        url("application_decide", programme, app.pk),
        url("call_ranking", programme, app.call_id),
    ]


def writes(programme: Any, w: dict, vocab: dict, users: dict) -> list[tuple[str, dict[str, Any]]]:
    app = w["application"]
    return [
        (url("review_detail", programme, w["staff_review"].pk), scores_of(app, action="submit")),
        (url("review_detail", programme, w["partner_review"].pk), {"step": "declare", "conflict": "none"}),
        (url("application_reviewers", programme, app.pk), {"reviewer": users[Role.ADMIN].pk}),
        (url("application_reviewers", programme, app.pk), {"remove": w["partner_review"].pk}),
        (
            url("application_screening", programme, app.pk),
            {f"question_{q.pk}": "ok" for q in vocab["questions"].values()},
        ),
        (url("application_decide", programme, app.pk), {"decision": "reject", "reason": "Не"}),
    ]


# --- Adversaries ---------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(
    programme: Any, world: dict, client_for: Any, grant_vocab: dict, users: dict
) -> None:
    client = client_for(None)
    before = state()
    for page in [url("review_list", programme), *object_pages(programme, world)]:
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page
    for address, data in writes(programme, world, grant_vocab, users):
        response = client.post(address, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], address
    assert state() == before


def test_another_programmes_admin_gets_404_and_changes_nothing(
    programme: Any, world: dict, adversaries: dict, client_for: Any, grant_vocab: dict, users: dict
) -> None:
    client = client_for(adversaries["other_admin"])
    before = state()
    for code_of in (programme, adversaries["other_programme"]):
        for page in object_pages(code_of, world):
            assert client.get(page).status_code == 404, page
        for address, data in writes(code_of, world, grant_vocab, users):
            assert client.post(address, data).status_code == 404, address
    page = client.get(url("review_list", adversaries["other_programme"]))
    assert page.status_code == 200 and world["application"].reference not in page.content.decode()
    assert state() == before
    assert AuditEvent.objects.filter(actor=adversaries["other_admin"], outcome="denied").exists()


def test_a_partner_of_another_organisation_cannot_open_a_review_or_decide(
    programme: Any, world: dict, adversaries: dict, client_for: Any, grant_vocab: dict, users: dict
) -> None:
    client = client_for(adversaries["other_partner"])
    before = state()
    response = client.get(url("review_detail", programme, world["staff_review"].pk))
    assert response.status_code == 403
    assert "Only the assigned reviewer and the lead organisation can open this review." in response.content.decode()
    for page in object_pages(programme, world)[1:]:
        response = client.get(page)
        assert response.status_code == 403, page
        assert "Your role in this programme does not allow this." in response.content.decode()
    for address, data in writes(programme, world, grant_vocab, users):
        assert client.post(address, data).status_code == 403, address
    listing = client.get(url("review_list", programme)).content.decode()
    assert world["application"].reference not in listing and 'id="waiting"' not in listing
    assert state() == before


@pytest.mark.parametrize("who", [Role.DONOR, Role.LIAISON, Role.GROUP_MEMBER, "outsider"])
def test_a_donor_a_liaison_a_member_and_an_outsider_neither_read_nor_change(
    who: str, programme: Any, world: dict, users: dict, client_for: Any, grant_vocab: dict
) -> None:
    client = client_for(users[who])
    expected = 404 if who == "outsider" else 403
    before = state()
    for page in [url("review_list", programme), *object_pages(programme, world)]:
        response = client.get(page)
        assert response.status_code == expected, page
        if expected == 403:
            assert "Your role in this programme does not allow this." in response.content.decode()
    for address, data in writes(programme, world, grant_vocab, users):
        assert client.post(address, data).status_code == expected, address
    assert state() == before


def test_another_reviewer_cannot_open_or_fill_someone_elses_review(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    """LAP's partner reviews the same application: the staff member's review stays closed to her."""
    client = client_for(users[Role.PARTNER])
    address = url("review_detail", programme, world["staff_review"].pk)
    before = state()
    response = client.get(address)
    assert response.status_code == 403
    assert "Only the assigned reviewer and the lead organisation can open this review." in response.content.decode()
    for data in (scores_of(world["application"], action="submit"), {"step": "declare", "conflict": "declared"}):
        assert client.post(address, data).status_code == 403
    assert state() == before
    assert AuditEvent.objects.filter(actor=users[Role.PARTNER], action="review.view.denied").exists()


def test_the_lead_reads_a_review_only_once_submitted_and_never_before_its_own(
    programme: Any, world: dict, users: dict, client_for: Any, make_user: Any, orgs: dict
) -> None:
    admin = client_for(users[Role.ADMIN])
    address = url("review_detail", programme, world["staff_review"].pk)
    response = admin.get(address)
    assert response.status_code == 403
    assert "This review is not submitted yet: only its reviewer can open it." in response.content.decode()
    reviews.review_save(
        actor=users[Role.STAFF],
        review=world["staff_review"],
        scores={c.pk: (5, "Аъло") for c in world["application"].call.criteria.all()},
        submit=True,
    )
    html = admin.get(address).content.decode()
    assert 'id="weighted-total"' in html and "100.0%" in html and "Аъло" in html
    assert 'id="score-form"' not in html  # read only
    assert admin.post(address, scores_of(world["application"], 0)).status_code == 403
    # An admin who reviews the same application and has not submitted yet sees nobody's scores.
    reviews.review_assign(actor=None, application=world["application"], reviewer=users[Role.ADMIN])
    response = admin.get(address)
    assert response.status_code == 403
    assert "Submit your own review of this application first." in response.content.decode()


def test_a_reviewer_with_a_declared_conflict_cannot_post_scores(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    review = reviews.review_declare(
        actor=users[Role.PARTNER], review=world["partner_review"], conflict=True, note="Раиси гурӯҳ хоҳари ман аст"
    )
    client = client_for(users[Role.PARTNER])
    address = url("review_detail", programme, review.pk)
    html = client.get(address).content.decode()
    assert 'id="blocked"' in html and 'id="score-form"' not in html and 'id="conflict-choice"' not in html
    before = state()
    for data in (
        scores_of(world["application"], action="submit"),
        scores_of(world["application"], action="save"),
        {"step": "declare", "conflict": "none"},
    ):
        response = client.post(address, data)
        assert response.status_code == 403
        assert "You declared a conflict of interest: this review is blocked." in response.content.decode()
    assert state() == before


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        ("score_99", "A score is a whole number from 0 to 5."),
        ("foreign", "Unknown criterion."),
        ("unknown", "Unknown criterion."),
        ("words", "A score is a whole number from 0 to 5."),
    ],
)
def test_forged_criteria_and_scores_are_refused_with_a_message(
    forge: str, message: str, programme: Any, place: Any, world: dict, users: dict, client_for: Any
) -> None:
    application = world["application"]
    data = scores_of(application, action="submit")
    first = application.call.criteria.first()
    if forge == "score_99":
        data[f"score_{first.pk}"] = "99"
    elif forge == "words":
        data[f"score_{first.pk}"] = "панҷ"
    elif forge == "foreign":
        other = make_call(programme, place, title="Другой конкурс")
        data[f"score_{other.criteria.first().pk}"] = "3"
    else:
        data["score_987654321"] = "3"
    client = client_for(users[Role.STAFF])
    before = state()
    response = client.post(url("review_detail", programme, world["staff_review"].pk), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and 'class="error-summary"' in html
    assert state() == before


# --- The reviewer's screen -----------------------------------------------------------------------------
def test_a_reviewer_declares_scores_saves_and_submits(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    application = world["application"]
    address = url("review_detail", programme, world["partner_review"].pk)
    html = client.get(address).content.decode()
    assert 'id="conflict-choice"' in html and 'id="score-form"' not in html
    assert application.title in html and "Костюмҳо" in html and 'id="budget-total"' in html
    assert "12000" in re.sub(r"[^\d]", "", html.split('id="budget-total"')[1][:80])

    response = client.post(address, {"step": "declare", "conflict": "declared", "conflict_note": " "})
    assert response.status_code == 422 and "Say what the conflict is." in response.content.decode()
    assert Review.objects.get(pk=world["partner_review"].pk).conflict == Conflict.UNDECLARED
    assert client.post(address, scores_of(application)).status_code == 422  # before declaring
    assert client.post(address, {"step": "declare", "conflict": "none"}).status_code == 302

    html = client.get(address).content.decode()
    criteria = list(application.call.criteria.all())
    assert 'id="score-form"' in html and html.count('class="card score-card') == len(criteria)
    assert html.count(f'name="score_{criteria[0].pk}"') == 6  # 0..5 as buttons
    partial = {"step": "scores", f"score_{criteria[0].pk}": "5", f"comment_{criteria[0].pk}": "Ба мушкилот мувофиқ"}
    assert client.post(address, {**partial, "action": "save"}).status_code == 302
    review = Review.objects.get(pk=world["partner_review"].pk)
    assert review.submitted_at is None and [(s.criterion_id, s.score) for s in review.scores.all()] == [
        (criteria[0].pk, 5)
    ]
    html = client.get(address).content.decode()
    assert re.search(rf'name="score_{criteria[0].pk}" value="5" checked', html)
    response = client.post(address, {**partial, "action": "submit"})
    assert response.status_code == 422 and "Score every criterion before submitting" in response.content.decode()
    response = client.post(address, {**scores_of(application, 3), "action": "submit"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.submitted_at is not None and {s.score for s in review.scores.all()} == {3}
    html = client.get(address).content.decode()
    assert 'id="score-form"' not in html and "60.0%" in html


def test_a_long_scale_is_a_number_field(
    programme: Any, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    call = make_call(programme, place, score_max=20)
    application = make_application(call, place, grant_vocab, actor=users[Role.PARTNER])
    review = reviews.review_assign(actor=None, application=application, reviewer=users[Role.STAFF])
    reviews.review_declare(actor=users[Role.STAFF], review=review, conflict=False)
    html = client_for(users[Role.STAFF]).get(url("review_detail", programme, review.pk)).content.decode()
    first = call.criteria.first()
    assert f'type="number" class="score-number" name="score_{first.pk}"' in html and 'max="20"' in html


def test_a_blind_call_hides_the_applicant_from_its_reviewers(
    programme: Any, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    blind = make_call(programme, place, blind_review=True, title="Blind call")
    application = make_application(call=blind, place=place, vocab=grant_vocab, actor=users[Role.PARTNER], name=NAME)
    review = reviews.review_assign(actor=None, application=application, reviewer=users[Role.PARTNER])
    client = client_for(users[Role.PARTNER])
    for step in ("declare", "score"):
        html = client.get(url("review_detail", programme, review.pk)).content.decode()
        assert NAME not in html and "Lawyers Association of Pamir" not in html.split('id="proposal"')[1]
        assert application.title in html and "reviewed without the applicants' names" in html
        if step == "declare":
            reviews.review_declare(actor=users[Role.PARTNER], review=review, conflict=False)
    assert NAME not in client.get(url("review_list", programme)).content.decode()
    # Not blind: the reviewer sees who applied.
    open_call = make_call(programme, place, title="Open call")
    named = make_application(open_call, place, grant_vocab, actor=users[Role.PARTNER], name=NAME)
    other = reviews.review_assign(actor=None, application=named, reviewer=users[Role.PARTNER])
    assert NAME in client.get(url("review_detail", programme, other.pk)).content.decode()


def test_my_reviews_lists_what_is_to_do_and_staff_see_what_waits(
    programme: Any, world: dict, users: dict, client_for: Any, place: Any, grant_vocab: dict, call: Any
) -> None:
    partner = client_for(users[Role.PARTNER])
    html = partner.get(url("review_list", programme)).content.decode()
    to_declare = html.split('id="to-declare"')[1].split("</section>")[0]
    assert f'id="review-{world["partner_review"].pk}"' in to_declare
    assert 'id="waiting"' not in html and f"review-{world['staff_review'].pk}" not in html
    staff = client_for(users[Role.STAFF])
    html = staff.get(url("review_list", programme)).content.decode()
    to_score = html.split('id="to-score"')[1].split("</section>")[0]
    assert f'id="review-{world["staff_review"].pk}"' in to_score
    waiting = html.split('id="waiting"')[1]
    assert f'id="waiting-{world["application"].pk}"' in waiting and "0 of 2 submitted" in waiting
    assert "Not screened yet" in waiting
    assert all('data-label="' in td for td in re.findall(r"<td[^>]*>", html) if "colspan" not in td)


# --- Assigning reviewers -------------------------------------------------------------------------------
def test_staff_assign_and_remove_reviewers_from_the_programmes_people(
    programme: Any, application: Application, users: dict, client_for: Any, make_user: Any, orgs: dict, place: Any
) -> None:
    isfara = make_user(
        "asti-isfara@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place(ISFARA)],
    )
    client = client_for(users[Role.STAFF])
    address = url("application_reviewers", programme, application.pk)
    html = client.get(address).content.decode()
    options = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', html))
    assert set(map(int, options)) == {users[Role.ADMIN].pk, users[Role.STAFF].pk, users[Role.PARTNER].pk}
    assert isfara.pk not in map(int, options)
    before = state()
    for who in (isfara, users[Role.LIAISON], users[Role.DONOR]):
        response = client.post(address, {"reviewer": who.pk})
        assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert state() == before
    assert client.post(address, {"reviewer": users[Role.PARTNER].pk}).status_code == 302
    assert client.post(address, {"reviewer": users[Role.ADMIN].pk}).status_code == 302
    html = client.get(address).content.decode()
    rows = html.split('id="reviewer-rows"')[1].split("</table>")[0]
    assert str(users[Role.PARTNER]) in rows and str(users[Role.ADMIN]) in rows
    options = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', html))
    assert set(map(int, options)) == {users[Role.STAFF].pk}
    admin_review = Review.objects.get(application=application, reviewer=users[Role.ADMIN])
    assert client.post(address, {"remove": admin_review.pk}).status_code == 302
    assert not Review.objects.filter(pk=admin_review.pk).exists()
    partner_review = Review.objects.get(application=application, reviewer=users[Role.PARTNER])
    reviews.review_declare(actor=users[Role.PARTNER], review=partner_review, conflict=False)
    reviews.review_save(
        actor=users[Role.PARTNER],
        review=partner_review,
        scores={c.pk: (2, "") for c in application.call.criteria.all()},
        submit=True,
    )
    response = client.post(address, {"remove": partner_review.pk})
    assert response.status_code == 422 and "A submitted review is kept." in response.content.decode()
    response = client.post(address, {"remove": "99999999"})
    assert (
        response.status_code == 422
        and "This reviewer is not assigned to this application." in response.content.decode()
    )
    assert Review.objects.filter(pk=partner_review.pk).exists()


# --- Screening and decision ----------------------------------------------------------------------------
def test_the_screening_needs_an_answer_and_a_note_for_each_risk(
    programme: Any, application: Application, users: dict, client_for: Any, grant_vocab: dict
) -> None:
    client = client_for(users[Role.STAFF])
    address = url("application_screening", programme, application.pk)
    questions = list(grant_vocab["questions"].values())
    html = client.get(address).content.decode()
    assert html.count('class="card screening-card') == len(questions)
    data = {f"question_{q.pk}": "ok" for q in questions}
    data[f"question_{questions[0].pk}"] = "risk"
    response = client.post(address, data)
    assert response.status_code == 422
    assert "Say what the risk is and how it will be handled." in response.content.decode()
    del data[f"question_{questions[1].pk}"]
    data[f"note_{questions[0].pk}"] = "Дар деҳа ду гурӯҳ ихтилоф доранд"
    response = client.post(address, data)
    assert response.status_code == 422 and "Answer this question." in response.content.decode()
    assert not Screening.objects.exists()
    data[f"question_{questions[1].pk}"] = "ok"
    assert client.post(address, data).status_code == 302
    html = client.get(address).content.decode()
    assert 'id="screening-result"' in html and "Дар деҳа ду гурӯҳ ихтилоф доранд" in html
    assert re.search(rf'name="question_{questions[0].pk}" value="risk"[^>]*checked', html)


def test_the_decision_shows_the_services_refusals_then_approves(
    programme: Any, world: dict, users: dict, client_for: Any, grant_vocab: dict
) -> None:
    application = world["application"]
    client = client_for(users[Role.ADMIN])
    address = url("application_decide", programme, application.pk)
    html = client.get(address).content.decode()
    assert 'value="12000.00"' in html and "TJS" in html and 'id="decide-form"' in html
    approve = {"decision": "approve", "amount": "12000.00", "reason": ""}
    response = client.post(address, approve)
    assert response.status_code == 422
    assert "Screen the application for do-no-harm before approving it." in response.content.decode()
    reviews.screening_save(
        actor=users[Role.STAFF],
        application=application,
        answers={q.pk: (True, "") for q in grant_vocab["questions"].values()},
    )
    response = client.post(address, approve)
    assert response.status_code == 422
    assert "At least one review must be submitted before approving." in response.content.decode()
    reviews.review_save(
        actor=users[Role.STAFF],
        review=world["staff_review"],
        scores={c.pk: (4, "") for c in application.call.criteria.all()},
        submit=True,
    )
    response = client.post(address, {**approve, "amount": "60000"})
    assert response.status_code == 422 and "This call gives at most 20000.00 TJS." in response.content.decode()
    response = client.post(address, {"decision": "reject", "reason": ""})
    assert response.status_code == 422 and "This field is required." in response.content.decode()
    assert not Grant.objects.exists()
    response = client.post(address, {**approve, "amount": ""})  # empty: the amount requested
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.grant.amount == application.amount
    html = client.get(address).content.decode()
    assert 'id="decision-outcome"' in html and application.grant.number in html and 'id="decide-form"' not in html
    assert client.post(address, {"decision": "reject", "reason": "Не"}).status_code == 422


def test_an_envelope_too_small_is_refused_with_what_is_left(
    programme: Any, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    call = make_call(programme, place, envelope="10000", max_grant="10000")
    application = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], amount="9000")
    review = reviews.review_assign(actor=None, application=application, reviewer=users[Role.STAFF])
    reviews.review_declare(actor=users[Role.STAFF], review=review, conflict=False)
    reviews.review_save(
        actor=users[Role.STAFF], review=review, scores={c.pk: (3, "") for c in call.criteria.all()}, submit=True
    )
    reviews.screening_save(
        actor=None, application=application, answers={q.pk: (True, "") for q in grant_vocab["questions"].values()}
    )
    client = client_for(users[Role.STAFF])
    response = client.post(
        url("application_decide", programme, application.pk), {"decision": "approve", "amount": "10000.01"}
    )
    assert response.status_code == 422
    assert "This call gives at most 10000.00 TJS." in response.content.decode()
    other = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], amount="2000")
    reviews.application_decide(actor=None, application=other, decision="reject", reason="x")  # nothing committed
    from hamkori.grants.awards import grant_award

    grant_award(actor=None, application=other, amount="2000")  # another grant commits 2000 of the envelope
    response = client.post(url("application_decide", programme, application.pk), {"decision": "approve", "amount": ""})
    assert response.status_code == 422
    assert "Only 8000.00 TJS of the envelope is left; this grant would need 9000.00." in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


# --- Ranking -------------------------------------------------------------------------------------------
def test_the_ranking_orders_by_weighted_total_and_hides_what_the_user_still_reviews(
    programme: Any, call: Any, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    strong = make_application(call, place, grant_vocab, actor=users[Role.PARTNER])
    weak = make_application(call, place, grant_vocab, actor=users[Role.PARTNER])
    draft = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], submit=False)
    for app, value in ((strong, 5), (weak, 2)):
        review = reviews.review_assign(actor=None, application=app, reviewer=users[Role.PARTNER])
        reviews.review_declare(actor=users[Role.PARTNER], review=review, conflict=False)
        reviews.review_save(
            actor=users[Role.PARTNER],
            review=review,
            scores={c.pk: (value, "") for c in call.criteria.all()},
            submit=True,
        )
    reviews.review_declare(
        actor=users[Role.ADMIN],
        review=reviews.review_assign(actor=None, application=weak, reviewer=users[Role.ADMIN]),
        conflict=True,
        note="Бародарам",
    )
    reviews.review_assign(actor=None, application=strong, reviewer=users[Role.STAFF])  # staff still has to review
    address = url("call_ranking", programme, call.pk)
    html = client_for(users[Role.ADMIN]).get(address).content.decode()
    table = html.split('id="ranking"')[1]
    assert table.index(f'id="rank-{strong.pk}"') < table.index(f'id="rank-{weak.pk}"')
    assert f'id="rank-{draft.pk}"' not in table
    assert "100.0%" in table and "40.0%" in table
    weak_row = table.split(f'id="rank-{weak.pk}"')[1].split("</tr>")[0]
    assert re.search(r'data-label="Conflicts declared">1<', weak_row)
    assert all('data-label="' in td for td in re.findall(r"<td[^>]*>", table) if "colspan" not in td)
    html = client_for(users[Role.STAFF]).get(address).content.decode()
    strong_row = html.split(f'id="rank-{strong.pk}"')[1].split("</tr>")[0]
    assert "Hidden until you submit your own review" in strong_row and "100.0%" not in strong_row
    assert client_for(users[Role.PARTNER]).get(address).status_code == 403


# --- The application panel -----------------------------------------------------------------------------
def render_panels(user: Any, application: Application) -> str:
    request = RequestFactory().get("/")
    request.user = user
    request.programme = application.programme
    return "".join(
        render_to_string(p.template, {**p.context, "application": application}, request=request)
        for p in application_panels(user, application)
    )


def test_the_panel_shows_staff_the_reviewers_and_a_reviewer_only_her_review(
    programme: Any, world: dict, users: dict, adversaries: dict
) -> None:
    application = world["application"]
    reviews.review_save(
        actor=users[Role.STAFF],
        review=world["staff_review"],
        scores={c.pk: (4, "") for c in application.call.criteria.all()},
        submit=True,
    )
    html = render_panels(users[Role.ADMIN], application)
    assert 'id="reviewer-rows"' in html and 'id="assign-reviewer"' in html and "80.0%" in html
    assert 'data-state="submitted"' in html and 'data-state="assigned"' in html
    assert url("application_screening", programme, application.pk) in html
    assert url("application_decide", programme, application.pk) in html
    # The partner reviewer: her own review only, nothing of the staff member's score.
    html = render_panels(users[Role.PARTNER], application)
    assert 'id="own-review-link"' in html and url("review_detail", programme, world["partner_review"].pk) in html
    assert "80.0%" not in html and str(users[Role.STAFF]) not in html and 'id="assign-reviewer"' not in html
    # A partner who does not review it, a donor: nothing.
    assert render_panels(adversaries["other_partner"], application) == ""
    assert render_panels(users[Role.DONOR], application) == ""
    # Staff who review it too see no score before submitting their own.
    reviews.review_assign(actor=None, application=application, reviewer=users[Role.ADMIN])
    html = render_panels(users[Role.ADMIN], application)
    assert 'id="scores-hidden"' in html and "80.0%" not in html


def test_the_panel_keeps_a_constant_number_of_queries(
    programme: Any, application: Application, users: dict, make_user: Any, orgs: dict
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            render_panels(users[Role.ADMIN], Application.objects.get(pk=application.pk))
        return len(captured)

    reviews.review_assign(actor=None, application=application, reviewer=users[Role.STAFF])
    count()  # the user's roles, read once and kept on the user
    few = count()
    for i in range(4):
        staff = make_user(f"s{i}@test.example", programme=programme, role=Role.STAFF, organisation=orgs["lead"])
        review = reviews.review_assign(actor=None, application=application, reviewer=staff)
        reviews.review_declare(actor=staff, review=review, conflict=False)
        reviews.review_save(
            actor=staff, review=review, scores={c.pk: (3, "") for c in application.call.criteria.all()}, submit=True
        )
    assert count() == few


# --- Home items and query counts -----------------------------------------------------------------------
def test_home_items_tell_reviewers_and_staff_what_waits(programme: Any, world: dict, users: dict) -> None:
    partner = {i.text: i for i in home_items(users[Role.PARTNER], programme)}
    item = partner["1 grant application to review"]
    assert item.url == url("review_list", programme) and item.count == 1
    assert item.details == ("1 to declare a conflict of interest on",)
    staff = {i.text: i for i in home_items(users[Role.STAFF], programme)}
    assert staff["1 grant application to review"].details == ("1 to score",)
    assert staff["1 grant application waits for a decision"].url.endswith("#waiting")
    assert "1 grant application waits for a decision" not in {
        i.text for i in home_items(users[Role.PARTNER], programme)
    }
    for who in (Role.DONOR, Role.LIAISON):
        assert not [i for i in home_items(users[who], programme) if "grant" in i.text]


def _queries(client: Any, address: str) -> int:
    client.get(address)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured)


def test_my_reviews_and_the_ranking_keep_a_constant_number_of_queries(
    programme: Any, call: Any, place: Any, grant_vocab: dict, users: dict, client_for: Any
) -> None:
    staff = users[Role.STAFF]

    def add(n: int, value: int) -> None:
        for i in range(n):
            app = make_application(call, place, grant_vocab, actor=users[Role.PARTNER])
            mine = reviews.review_assign(actor=None, application=app, reviewer=staff)
            reviews.review_declare(actor=staff, review=mine, conflict=i % 3 == 2, note="Хешам" if i % 3 == 2 else "")
            if i % 3 == 0:
                reviews.review_save(
                    actor=staff, review=mine, scores={c.pk: (value, "") for c in call.criteria.all()}, submit=True
                )
            other = reviews.review_assign(actor=None, application=app, reviewer=users[Role.PARTNER])
            reviews.review_declare(actor=users[Role.PARTNER], review=other, conflict=False)
            reviews.review_save(
                actor=users[Role.PARTNER],
                review=other,
                scores={c.pk: (2, "") for c in call.criteria.all()},
                submit=True,
            )
            if i % 2:
                reviews.screening_save(
                    actor=None, application=app, answers={q.pk: (True, "") for q in grant_vocab["questions"].values()}
                )

    client = client_for(staff)
    pages = [url("review_list", programme), url("call_ranking", programme, call.pk)]
    add(3, 4)
    few = [_queries(client, page) for page in pages]
    add(7, 2)
    assert [_queries(client, page) for page in pages] == few
    partner = client_for(users[Role.PARTNER])
    few = _queries(partner, pages[0])
    add(2, 3)
    assert _queries(partner, pages[0]) == few
