"""Review of submitted applications: reviewers assigned by staff, conflicts declared before scoring, scores per
criterion with comments, weighted totals and the ranking, the do-no-harm screening, and the decision
(approve, reject, request changes) with reasons the applicant reads. Approving awards the grant
(``awards.grant_award``) under the call's lock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hamkori.access.policy import decide, enforce, role_in
from hamkori.concerns.services import clean_text
from hamkori.core import audit
from hamkori.core.roles import FIELD_ROLES
from hamkori.grants.models import (
    Application,
    ApplicationStatus,
    CallCriterion,
    Conflict,
    GrantCall,
    Review,
    ReviewScore,
    Screening,
    ScreeningAnswer,
    ScreeningQuestion,
)


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    CHANGES = "changes"
    ALL = ("approve", "reject", "changes")


@transaction.atomic
def review_assign(*, actor: Any, application: Application, reviewer: Any) -> Review:
    """Ask ``reviewer`` (a user of the programme who can see the application) to review it."""
    enforce(actor, "application.decide", application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise ValidationError({"reviewer": [_("Only submitted applications are reviewed.")]})
    if reviewer is None or role_in(reviewer, application.programme_id) not in FIELD_ROLES:
        raise ValidationError({"reviewer": [_("Choose a reviewer from the programme's staff and partners.")]})
    if not Application.objects.visible_to(reviewer).filter(pk=application.pk).exists():
        raise ValidationError({"reviewer": [_("This person does not work in the application's district.")]})
    review, created = Review.objects.get_or_create(
        application=application, reviewer=reviewer, defaults={"assigned_by": actor if actor is not None else None}
    )
    if created:
        audit.record(actor=actor, action="review.assign", obj=application, summary={"reviewer": reviewer.pk})
    return review


@transaction.atomic
def review_unassign(*, actor: Any, review: Review) -> None:
    enforce(actor, "application.decide", review.application)
    if review.submitted_at is not None:
        raise ValidationError({"reviewer": [_("A submitted review is kept.")]})
    audit.record(
        actor=actor, action="review.unassign", obj=review.application, summary={"reviewer": review.reviewer_id}
    )
    review.delete()


def _still_under_review(review: Review) -> None:
    """A review is declared and scored while its application waits for a decision, not after it."""
    if review.application.status != ApplicationStatus.SUBMITTED:
        raise ValidationError({"__all__": [_("This application is no longer under review.")]})


@transaction.atomic
def review_declare(*, actor: Any, review: Review, conflict: bool, note: str = "") -> Review:
    """The reviewer says whether she has a conflict of interest. Declaring one blocks the review for good."""
    review = Review.objects.select_for_update().select_related("application").get(pk=review.pk)
    enforce(actor, "review.change", review)
    _still_under_review(review)
    if review.conflict != Conflict.UNDECLARED and not conflict:
        raise ValidationError({"conflict": [_("You already declared that you have no conflict of interest.")]})
    text = clean_text(note, field="conflict_note", required=conflict, limit=2000)
    review.conflict = Conflict.DECLARED if conflict else Conflict.NONE
    review.conflict_note = text
    review.save(update_fields=["conflict", "conflict_note", "updated_at"])
    audit.record(actor=actor, action="review.declare", obj=review.application, summary={"conflict": conflict})
    return review


@transaction.atomic
def review_save(
    *,
    actor: Any,
    review: Review,
    scores: Mapping[int, tuple[Any, str]],
    comment: str = "",
    submit: bool = False,
) -> Review:
    """Save the reviewer's scores (criterion id -> (score, comment)); ``submit`` needs every criterion scored."""
    review = Review.objects.select_for_update().select_related("application__call").get(pk=review.pk)
    enforce(actor, "review.change", review)
    _still_under_review(review)
    if review.conflict != Conflict.NONE:
        raise ValidationError({"conflict": [_("Declare first whether you have a conflict of interest.")]})
    call = review.application.call
    criteria = {c.pk: c for c in call.criteria.all()}
    errors: dict[str, list[str]] = {}
    clean: dict[int, tuple[int, str]] = {}
    for key, (raw, note) in scores.items():
        criterion = criteria.get(int(key))
        if criterion is None:
            errors.setdefault("scores", []).append(_("Unknown criterion."))
            continue
        text = str(raw if raw is not None else "").strip()
        if text == "":
            continue
        try:
            value = int(text)
        except ValueError:
            value = -1
        if not 0 <= value <= call.score_max:
            errors[f"score_{criterion.pk}"] = [
                _("A score is a whole number from 0 to %(max)s.") % {"max": call.score_max}
            ]
            continue
        if len(note or "") > 2000:
            errors[f"comment_{criterion.pk}"] = [_("Please keep this under 2000 characters.")]
            continue
        clean[criterion.pk] = (value, (note or "").strip())
    try:
        overall = clean_text(comment, field="comment", required=False, limit=5000)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        overall = ""
    if submit and not errors:
        missing = [c.name for pk, c in criteria.items() if pk not in clean]
        if missing:
            errors["scores"] = [
                _("Score every criterion before submitting: %(names)s.") % {"names": ", ".join(missing)}
            ]
    if errors:
        raise ValidationError(errors)
    review.scores.all().delete()
    ReviewScore.objects.bulk_create(
        [ReviewScore(review=review, criterion_id=pk, score=value, comment=note) for pk, (value, note) in clean.items()]
    )
    review.comment = overall
    if submit:
        review.submitted_at = timezone.now()
    review.save(update_fields=["comment", "submitted_at", "updated_at"])
    audit.record(
        actor=actor,
        action="review.submit" if submit else "review.save",
        obj=review.application,
        summary={"scored": len(clean)},
    )
    return review


def weighted_score(scores: Mapping[int, int], criteria: list[CallCriterion], score_max: int) -> Decimal | None:
    """A review's weighted total as a percentage of the best possible (one decimal), or None when unscored."""
    total_weight = sum(c.weight for c in criteria)
    if not total_weight or not scores:
        return None
    points = sum((Decimal(scores.get(c.pk, 0)) * c.weight for c in criteria), Decimal(0))
    return (points * 100 / (total_weight * score_max)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Ranked:
    application: Application
    reviews: int
    #: The mean of the submitted reviews' weighted totals (percent), None while none is submitted.
    score: Decimal | None
    #: Per criterion id: the mean score of the submitted reviews.
    by_criterion: dict[int, Decimal]
    conflicts: int


def ranking(call: GrantCall, applications: list[Application]) -> list[Ranked]:
    """The call's applications ranked by the mean weighted total of their submitted reviews (best first)."""
    criteria = list(call.criteria.all())
    reviews = (
        Review.objects.filter(application__in=applications).prefetch_related("scores").order_by("application_id", "id")
    )
    by_app: dict[int, list[Review]] = {}
    for review in reviews:
        by_app.setdefault(review.application_id, []).append(review)
    out: list[Ranked] = []
    for application in applications:
        done = [r for r in by_app.get(application.pk, []) if r.submitted_at is not None and r.conflict == Conflict.NONE]
        totals = [
            t
            for t in (
                weighted_score({s.criterion_id: s.score for s in r.scores.all()}, criteria, call.score_max)
                for r in done
            )
            if t is not None
        ]
        mean = (
            (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if totals else None
        )
        per: dict[int, Decimal] = {}
        for c in criteria:
            values = [s.score for r in done for s in r.scores.all() if s.criterion_id == c.pk]
            if values:
                per[c.pk] = (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        conflicts = sum(1 for r in by_app.get(application.pk, []) if r.conflict == Conflict.DECLARED)
        out.append(Ranked(application, len(done), mean, per, conflicts))
    out.sort(key=lambda r: (r.score is None, -(r.score or 0), r.application.pk))
    return out


@transaction.atomic
def screening_save(
    *, actor: Any, application: Application, answers: Mapping[int, tuple[bool | None, str]], note: str = ""
) -> Screening:
    """The do-no-harm screening: every active question answered (no risk / a risk), with notes."""
    enforce(actor, "application.decide", application)
    if application.status != ApplicationStatus.SUBMITTED:
        raise ValidationError({"__all__": [_("This application is no longer under review.")]})
    questions = {q.pk: q for q in ScreeningQuestion.objects.filter(programme_id=application.programme_id, active=True)}
    errors: dict[str, list[str]] = {}
    clean: dict[int, tuple[bool, str]] = {}
    for pk in questions:
        ok, text = answers.get(pk, (None, ""))
        if ok is None:
            errors[f"question_{pk}"] = [_("Answer this question.")]
            continue
        if len(text or "") > 500:
            errors[f"question_{pk}"] = [_("Please keep this under 500 characters.")]
            continue
        if not ok and not (text or "").strip():
            errors[f"question_{pk}"] = [_("Say what the risk is and how it will be handled.")]
            continue
        clean[pk] = (bool(ok), (text or "").strip())
    if not questions:
        errors["__all__"] = [_("The programme has no do-no-harm questions yet: an administrator adds them.")]
    try:
        overall = clean_text(note, field="note", required=False, limit=5000)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        overall = ""
    if errors:
        raise ValidationError(errors)
    screening, _created = Screening.objects.update_or_create(
        application=application,
        defaults={"screened_by": actor if actor is not None else None, "screened_at": timezone.now(), "note": overall},
    )
    screening.answers.all().delete()
    ScreeningAnswer.objects.bulk_create(
        [ScreeningAnswer(screening=screening, question_id=pk, ok=ok, note=text) for pk, (ok, text) in clean.items()]
    )
    audit.record(
        actor=actor,
        action="application.screen",
        obj=application,
        summary={"risks": sum(1 for ok, _t in clean.values() if not ok)},
    )
    return screening


@transaction.atomic
def application_decide(
    *,
    actor: Any,
    application: Application,
    decision: str,
    reason: str,
    amount: Any = None,
) -> Application:
    """Approve (award the grant: screening passed, one submitted review at least, the amount within what is
    left of the envelope), reject or request changes; the reasons are for the applicant."""
    from hamkori.grants.awards import grant_award  # awards builds on reviews' decision

    enforce(actor, "application.decide", application)
    application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    if decision not in Decision.ALL:
        raise ValidationError(
            {"decision": [_("Select a valid choice. That choice is not one of the available choices.")]}
        )
    if application.status != ApplicationStatus.SUBMITTED:
        raise ValidationError({"decision": [_("Only a submitted application can be decided.")]})
    text = clean_text(reason, field="reason", required=decision != Decision.APPROVE, limit=5000)
    if decision == Decision.APPROVE:
        screening = Screening.objects.filter(application=application).first()
        if screening is None:
            raise ValidationError({"decision": [_("Screen the application for do-no-harm before approving it.")]})
        if not screening.passed:
            raise ValidationError(
                {"decision": [_("The do-no-harm screening found a risk: deal with it, screen again, then approve.")]}
            )
        if not application.reviews.filter(submitted_at__isnull=False, conflict=Conflict.NONE).exists():
            raise ValidationError({"decision": [_("At least one review must be submitted before approving.")]})
        grant_award(actor=actor, application=application, amount=amount if amount not in (None, "") else None)
        application.status = ApplicationStatus.APPROVED
    elif decision == Decision.REJECT:
        application.status = ApplicationStatus.REJECTED
    else:
        application.status = ApplicationStatus.CHANGES
    application.decision_reason = text
    application.decided_at = timezone.now()
    application.decided_by = actor if actor is not None else None
    application.save(update_fields=["status", "decision_reason", "decided_at", "decided_by", "updated_at"])
    audit.record(actor=actor, action=f"application.{decision}", obj=application, summary={"reason": bool(text)})
    return application


def can_see_identity(user: Any, application: Application) -> bool:
    return decide(user, "application.view_identity", application).allowed
