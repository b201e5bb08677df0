"""The review services refuse bad input and the wrong people, and write nothing then: scores outside the scale,
a criterion of another call, scoring before declaring, a review blocked by a declared conflict, submitting with a
criterion unscored, approving without a screening, with a risk found or without a review, above the envelope, a
decision by a partner or a donor. Then the weighted total and the ranking."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import reviews
from hamkori.grants.models import Application, ApplicationStatus, Conflict, Grant, Review, ReviewScore, Screening
from tests.grants.conftest import ISFARA, make_application, make_call

pytestmark = pytest.mark.django_db


def state(review: Review) -> tuple[Any, ...]:
    return (
        Review.objects.filter(pk=review.pk).values().get(),
        sorted(ReviewScore.objects.filter(review=review).values_list("criterion_id", "score", "comment")),
        AuditEvent.objects.filter(action__startswith="review.").count(),
    )


def declared(application: Application, reviewer: Any, *, conflict: bool = False) -> Review:
    review = reviews.review_assign(actor=None, application=application, reviewer=reviewer)
    return reviews.review_declare(
        actor=reviewer, review=review, conflict=conflict, note="Бародарам" if conflict else ""
    )


def all_scored(application: Application, value: int = 4) -> dict[int, tuple[Any, str]]:
    return {c.pk: (value, "") for c in application.call.criteria.all()}


def screened(application: Application, vocab: dict, *, risk: bool = False) -> Screening:
    answers = {q.pk: (True, "") for q in vocab["questions"].values()}
    if risk:
        first = next(iter(vocab["questions"].values()))
        answers[first.pk] = (False, "Намоиш дар назди марз шиддатро зиёд мекунад")
    return reviews.screening_save(actor=None, application=application, answers=answers)


# --- Scores -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["6", "99", "-1", "2.5", "чор", 99, -3])
def test_a_score_outside_the_scale_is_refused_and_nothing_is_saved(
    application: Application, users: dict, bad: Any
) -> None:
    staff = users[Role.STAFF]
    review = declared(application, staff)
    first = application.call.criteria.first()
    before = state(review)
    scores = all_scored(application)
    scores[first.pk] = (bad, "")
    with pytest.raises(ValidationError) as caught:
        reviews.review_save(actor=staff, review=review, scores=scores, comment="Хуб", submit=True)
    assert caught.value.message_dict[f"score_{first.pk}"] == ["A score is a whole number from 0 to 5."]
    assert state(review) == before


def test_a_criterion_of_another_call_is_refused(
    application: Application, users: dict, programme: Any, place: Any, grant_vocab: dict
) -> None:
    staff = users[Role.STAFF]
    review = declared(application, staff)
    other = make_call(programme, place, title="Другой конкурс")
    foreign = other.criteria.first()
    before = state(review)
    for forged in (foreign.pk, 999_999_999):
        scores = {**all_scored(application), forged: (3, "")}
        with pytest.raises(ValidationError) as caught:
            reviews.review_save(actor=staff, review=review, scores=scores)
        assert caught.value.message_dict["scores"] == ["Unknown criterion."]
    assert state(review) == before


def test_scoring_before_declaring_is_refused(application: Application, users: dict) -> None:
    staff = users[Role.STAFF]
    review = reviews.review_assign(actor=None, application=application, reviewer=staff)
    before = state(review)
    with pytest.raises(ValidationError) as caught:
        reviews.review_save(actor=staff, review=review, scores=all_scored(application), submit=True)
    assert caught.value.message_dict["conflict"] == ["Declare first whether you have a conflict of interest."]
    assert state(review) == before


def test_a_declared_conflict_blocks_the_review_for_good(application: Application, users: dict) -> None:
    staff = users[Role.STAFF]
    review = reviews.review_assign(actor=None, application=application, reviewer=staff)
    with pytest.raises(ValidationError) as caught:
        reviews.review_declare(actor=staff, review=review, conflict=True, note="  ")
    assert "conflict_note" in caught.value.message_dict
    review = reviews.review_declare(actor=staff, review=review, conflict=True, note="Раиси гурӯҳ хоҳари ман аст")
    assert review.conflict == Conflict.DECLARED
    before = state(review)
    with pytest.raises(PermissionDenied, match="conflict of interest"):
        reviews.review_save(actor=staff, review=review, scores=all_scored(application), submit=True)
    with pytest.raises(PermissionDenied):
        reviews.review_declare(actor=staff, review=review, conflict=False)
    assert state(review) == before


def test_no_conflict_cannot_be_declared_twice_but_a_conflict_found_later_can(
    application: Application, users: dict
) -> None:
    staff = users[Role.STAFF]
    review = declared(application, staff)
    with pytest.raises(ValidationError):
        reviews.review_declare(actor=staff, review=review, conflict=False)
    review = reviews.review_declare(actor=staff, review=review, conflict=True, note="Ман онҳоро мешиносам")
    assert review.conflict == Conflict.DECLARED


def test_submitting_with_a_criterion_unscored_is_refused(application: Application, users: dict) -> None:
    staff = users[Role.STAFF]
    review = declared(application, staff)
    criteria = list(application.call.criteria.all())
    partial = {criteria[0].pk: (5, "Муҳим")}
    before = state(review)
    with pytest.raises(ValidationError) as caught:
        reviews.review_save(actor=staff, review=review, scores=partial, submit=True)
    message = caught.value.message_dict["scores"][0]
    assert message.startswith("Score every criterion before submitting:")
    assert criteria[1].name in message and criteria[2].name in message and criteria[0].name not in message
    assert state(review) == before
    saved = reviews.review_save(actor=staff, review=review, scores=partial)  # saving a part is fine
    assert saved.submitted_at is None and saved.scores.count() == 1


def test_only_the_assigned_reviewer_scores_and_a_submitted_review_is_final(
    application: Application, users: dict
) -> None:
    staff, admin = users[Role.STAFF], users[Role.ADMIN]
    review = declared(application, staff)
    before = state(review)
    for intruder in (admin, users[Role.PARTNER], users[Role.DONOR]):
        with pytest.raises(PermissionDenied):
            reviews.review_save(actor=intruder, review=review, scores=all_scored(application), submit=True)
        with pytest.raises(PermissionDenied):
            reviews.review_declare(actor=intruder, review=review, conflict=True, note="x")
    assert state(review) == before
    reviews.review_save(actor=staff, review=review, scores=all_scored(application), submit=True)
    review.refresh_from_db()
    with pytest.raises(PermissionDenied, match="submitted"):
        reviews.review_save(actor=staff, review=review, scores=all_scored(application, 0))
    assert {s.score for s in review.scores.all()} == {4}


def test_a_review_stops_when_the_application_is_decided(application: Application, users: dict) -> None:
    staff = users[Role.STAFF]
    review = declared(application, staff)
    reviews.application_decide(
        actor=users[Role.ADMIN], application=application, decision="reject", reason="Не подходит"
    )
    review.refresh_from_db()
    before = state(review)
    with pytest.raises(ValidationError, match="no longer under review"):
        reviews.review_save(actor=staff, review=review, scores=all_scored(application))
    assert state(review) == before


# --- Assigning ----------------------------------------------------------------------------------------
def test_reviewers_come_from_the_programme_and_see_the_application(
    application: Application, users: dict, make_user: Any, programme: Any, orgs: dict, place: Any
) -> None:
    isfara_partner = make_user(
        "asti@test.example", programme=programme, role=Role.PARTNER, organisation=orgs["asti"], places=[place(ISFARA)]
    )
    for who in (users[Role.LIAISON], users[Role.DONOR], users["outsider"], isfara_partner):
        with pytest.raises(ValidationError):
            reviews.review_assign(actor=users[Role.STAFF], application=application, reviewer=who)
    with pytest.raises(PermissionDenied):
        reviews.review_assign(actor=users[Role.PARTNER], application=application, reviewer=users[Role.STAFF])
    assert not Review.objects.exists()
    review = reviews.review_assign(actor=users[Role.STAFF], application=application, reviewer=users[Role.PARTNER])
    assert (
        reviews.review_assign(actor=users[Role.STAFF], application=application, reviewer=users[Role.PARTNER]) == review
    )
    reviews.review_declare(actor=users[Role.PARTNER], review=review, conflict=False)
    reviews.review_save(actor=users[Role.PARTNER], review=review, scores=all_scored(application), submit=True)
    review.refresh_from_db()
    with pytest.raises(ValidationError, match="submitted review is kept"):
        reviews.review_unassign(actor=users[Role.STAFF], review=review)
    assert Review.objects.filter(pk=review.pk).exists()


# --- Screening ----------------------------------------------------------------------------------------
def test_a_risk_needs_a_note_and_every_question_an_answer(
    application: Application, grant_vocab: dict, users: dict
) -> None:
    questions = list(grant_vocab["questions"].values())
    answers: dict[int, tuple[bool | None, str]] = {q.pk: (True, "") for q in questions}
    answers[questions[0].pk] = (False, "   ")
    del answers[questions[1].pk]
    with pytest.raises(ValidationError) as caught:
        reviews.screening_save(actor=users[Role.STAFF], application=application, answers=answers)
    errors = caught.value.message_dict
    assert errors[f"question_{questions[0].pk}"] == ["Say what the risk is and how it will be handled."]
    assert errors[f"question_{questions[1].pk}"] == ["Answer this question."]
    assert not Screening.objects.exists()
    with pytest.raises(PermissionDenied):
        reviews.screening_save(
            actor=users[Role.PARTNER], application=application, answers={q.pk: (True, "") for q in questions}
        )
    assert not Screening.objects.exists()


# --- The decision -------------------------------------------------------------------------------------
def test_approving_needs_a_passed_screening_and_a_submitted_review(
    application: Application, grant_vocab: dict, users: dict
) -> None:
    admin, staff = users[Role.ADMIN], users[Role.STAFF]

    def approve() -> None:
        reviews.application_decide(actor=admin, application=application, decision="approve", reason="")

    with pytest.raises(ValidationError) as caught:
        approve()
    assert caught.value.message_dict["decision"] == ["Screen the application for do-no-harm before approving it."]
    screened(application, grant_vocab, risk=True)
    with pytest.raises(ValidationError) as caught:
        approve()
    assert "found a risk" in caught.value.message_dict["decision"][0]
    screened(application, grant_vocab)
    conflicted = declared(application, users[Role.PARTNER], conflict=True)
    assert conflicted.conflict == Conflict.DECLARED
    with pytest.raises(ValidationError) as caught:
        approve()
    assert caught.value.message_dict["decision"] == ["At least one review must be submitted before approving."]
    assert not Grant.objects.exists()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.decided_at is None
    review = declared(application, staff)
    reviews.review_save(actor=staff, review=review, scores=all_scored(application), submit=True)
    approve()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.grant.amount == Decimal("12000.00") and application.grant.currency == "TJS"


def test_approving_above_what_is_left_of_the_envelope_is_refused(
    programme: Any, place: Any, grant_vocab: dict, users: dict
) -> None:
    call = make_call(programme, place, envelope="15000", max_grant="12000")
    first = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], amount="10000")
    second = make_application(call, place, grant_vocab, actor=users[Role.PARTNER], amount="9000")
    for app in (first, second):
        review = declared(app, users[Role.STAFF])
        reviews.review_save(actor=users[Role.STAFF], review=review, scores=all_scored(app), submit=True)
        screened(app, grant_vocab)
    reviews.application_decide(actor=users[Role.STAFF], application=first, decision="approve", reason="")
    with pytest.raises(ValidationError) as caught:
        reviews.application_decide(actor=users[Role.STAFF], application=second, decision="approve", reason="")
    assert caught.value.message_dict["amount"] == [
        "Only 5000.00 TJS of the envelope is left; this grant would need 9000.00."
    ]
    second.refresh_from_db()
    assert second.status == ApplicationStatus.SUBMITTED and Grant.objects.count() == 1
    reviews.application_decide(
        actor=users[Role.STAFF], application=second, decision="approve", reason="", amount="5000"
    )
    assert Grant.objects.get(application=second).amount == Decimal("5000.00")


def test_a_partner_a_donor_and_a_liaison_cannot_decide(
    application: Application, grant_vocab: dict, users: dict
) -> None:
    screened(application, grant_vocab)
    for who in (users[Role.PARTNER], users[Role.DONOR], users[Role.LIAISON], users["outsider"]):
        for decision in ("approve", "reject", "changes"):
            with pytest.raises(PermissionDenied):
                reviews.application_decide(actor=who, application=application, decision=decision, reason="Не")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and not Grant.objects.exists()


def test_rejecting_and_asking_for_changes_need_reasons(application: Application, users: dict) -> None:
    for decision in ("reject", "changes"):
        with pytest.raises(ValidationError) as caught:
            reviews.application_decide(actor=users[Role.STAFF], application=application, decision=decision, reason=" ")
        assert caught.value.message_dict["reason"] == ["This field is required."]
    with pytest.raises(ValidationError):
        reviews.application_decide(actor=users[Role.STAFF], application=application, decision="award", reason="x")
    reviews.application_decide(
        actor=users[Role.STAFF], application=application, decision="changes", reason="Буҷаро муфассал нависед"
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CHANGES
    assert application.decision_reason == "Буҷаро муфассал нависед"
    with pytest.raises(ValidationError, match="Only a submitted application"):
        reviews.application_decide(actor=users[Role.STAFF], application=application, decision="reject", reason="x")


# --- Totals and ranking -------------------------------------------------------------------------------
def test_the_weighted_total_is_a_percentage_of_the_best_possible(application: Application) -> None:
    criteria = list(application.call.criteria.all())  # weights 3, 2, 1; scale 0..5
    by_name = {c.weight: c.pk for c in criteria}
    assert reviews.weighted_score({c.pk: 4 for c in criteria}, criteria, 5) == Decimal("80.0")
    assert reviews.weighted_score({by_name[3]: 5}, criteria, 5) == Decimal("50.0")
    assert reviews.weighted_score({by_name[1]: 1}, criteria, 5) == Decimal("3.3")
    assert reviews.weighted_score({}, criteria, 5) is None


def test_the_ranking_averages_submitted_reviews_and_counts_conflicts(
    call: Any, place: Any, grant_vocab: dict, users: dict, make_user: Any, programme: Any, orgs: dict
) -> None:
    staff2 = make_user("staff2@test.example", programme=programme, role=Role.STAFF, organisation=orgs["lead"])
    strong = make_application(call, place, grant_vocab, actor=users[Role.PARTNER])
    weak = make_application(call, place, grant_vocab, actor=users[Role.PARTNER])
    unreviewed = make_application(call, place, grant_vocab, actor=users[Role.PARTNER])
    for reviewer, value in ((users[Role.STAFF], 5), (staff2, 3)):
        review = declared(strong, reviewer)
        reviews.review_save(actor=reviewer, review=review, scores=all_scored(strong, value), submit=True)
    review = declared(weak, users[Role.STAFF])
    reviews.review_save(actor=users[Role.STAFF], review=review, scores=all_scored(weak, 1), submit=True)
    declared(weak, staff2, conflict=True)
    pending = declared(unreviewed, staff2)
    reviews.review_save(actor=staff2, review=pending, scores=all_scored(unreviewed, 5))  # saved, not submitted
    ranked = reviews.ranking(call, [unreviewed, weak, strong])
    assert [r.application.pk for r in ranked] == [strong.pk, weak.pk, unreviewed.pk]
    assert [(r.score, r.reviews, r.conflicts) for r in ranked] == [
        (Decimal("80.0"), 2, 0),
        (Decimal("20.0"), 1, 1),
        (None, 0, 0),
    ]
    assert set(ranked[0].by_criterion.values()) == {Decimal("4.0")}
