"""Prioritisation rounds: a working group scores a shortlist of triaged concerns against the
programme's criteria, each stakeholder type (community, police, local authority) separately; the
ranked result shows where they disagree, and the group's decision makes the chosen concerns
prioritised.

Who does what (rules ``round.change`` and ``round.score`` in :mod:`hamkori.concerns.permissions`):
the lead organisation and the partner that facilitates the group set a round up, change its shortlist
and decide it; they and the group's members enter scores, for any stakeholder type (in a meeting one
person usually types in what each side agreed).

The results (:func:`round_results`):

* a stakeholder's score of a concern is the **weighted mean** of its scores over the criteria it
  scored (each criterion counts by its weight), rounded half up to one decimal: the number shown;
* the **overall score** is the plain mean of the stakeholder scores present (each stakeholder type
  counts the same, however many criteria it scored); concerns are **ranked** by it, equal scores
  share a rank (1, 2, 2, 4), unscored concerns come last without a rank;
* the stakeholders **disagree** on a concern when their scores (as shown) are **1.5 points or more
  apart**, or when one stakeholder ranks it in the **top third** of the shortlist and another in the
  **bottom third** (each stakeholder's own ranking of the concerns it scored; with rank ``r`` of
  ``n`` the third is ``(r - 1) * 3 // n``, so thirds only arise from three scored concerns up).
  Neighbouring thirds (2nd and 3rd of six) are not flagged: a place apart is not a disagreement
  worth a discussion, and a marker on every other row would soon be ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hamkori.access.policy import enforce
from hamkori.concerns import services
from hamkori.concerns.models import (
    Concern,
    ConcernEvent,
    Criterion,
    PrioritisationRound,
    Score,
    Stakeholder,
    Status,
)
from hamkori.core import audit
from hamkori.groups.models import WorkingGroup

#: Stakeholder scores this far apart (or more) are a disagreement.
DISAGREEMENT_POINTS = Decimal("1.5")
#: At most this many triaged concerns are offered for a shortlist (the most recent first).
CANDIDATE_LIMIT = 200
SCALE = (1, 2, 3, 4, 5)
MIN_CRITERIA = 2
#: Groups that do not meet cannot hold a round.
NOT_MEETING = (WorkingGroup.Status.SUSPENDED, WorkingGroup.Status.CLOSED)
THIRDS = (gettext_lazy("top third"), gettext_lazy("middle third"), gettext_lazy("bottom third"))


# --- The shortlist -----------------------------------------------------------------------------------
def shortlist_candidates(actor: Any, group: WorkingGroup) -> QuerySet[Concern]:
    """Concerns that may go on ``group``'s shortlist: triaged, of the group's programme and district,
    not taken up by another group, and visible to ``actor`` (None: the system)."""
    concerns = Concern.objects.visible_to(actor) if actor is not None else Concern.objects.all()
    return (
        concerns.filter(programme_id=group.programme_id, district_id=group.district_id, status=Status.TRIAGED)
        .filter(Q(group__isnull=True) | Q(group=group))
        .order_by("-created_at", "-pk")
    )


def _ids(items: Iterable[Any]) -> list[int]:
    ids: list[int] = []
    for item in items:
        pk = getattr(item, "pk", item)
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValidationError({"concerns": [_("Choose concerns from the list.")]})
        if pk not in ids:
            ids.append(pk)
    return ids


def _shortlist(actor: Any, group: WorkingGroup, concerns: Iterable[Any], *, keep: Iterable[int] = ()) -> list[Concern]:
    """The concerns asked for, each a candidate for ``group`` (or already on the round: ``keep``)."""
    ids = _ids(concerns)
    if not ids:
        raise ValidationError({"concerns": [_("Choose at least one concern for the shortlist.")]})
    keep = set(keep)
    new = [pk for pk in ids if pk not in keep]
    found = {c.pk: c for c in shortlist_candidates(actor, group).filter(pk__in=new)}
    found |= {c.pk: c for c in Concern.objects.filter(pk__in=[pk for pk in ids if pk in keep])}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        refs = list(
            Concern.objects.visible_to(actor).filter(pk__in=missing).values_list("reference", flat=True)
            if actor is not None
            else Concern.objects.filter(pk__in=missing).values_list("reference", flat=True)
        )
        raise ValidationError(
            {
                "concerns": [
                    _(
                        "Only triaged concerns of the group's district can be shortlisted (not taken up by "
                        "another group): %(refs)s."
                    )
                    % {"refs": ", ".join(sorted(refs)) or _("a concern that is not in your list")}
                ]
            }
        )
    return [found[pk] for pk in ids]


def _criteria(group: WorkingGroup, criteria: Iterable[Any]) -> list[Criterion]:
    ids = []
    for item in criteria:
        pk = getattr(item, "pk", item)
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValidationError({"criteria": [_("Choose criteria from the programme's list.")]})
        if pk not in ids:
            ids.append(pk)
    found = list(Criterion.objects.filter(programme_id=group.programme_id, active=True, pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError({"criteria": [_("Choose criteria from the programme's list.")]})
    if len(found) < MIN_CRITERIA:
        raise ValidationError(
            {"criteria": [_("Choose at least two criteria: one alone hides why the concerns differ.")]}
        )
    return found


def _shortlisted(concern: Concern, round_: PrioritisationRound, actor: Any) -> None:
    services.timeline(
        concern,
        actor=actor,
        kind=ConcernEvent.Kind.ROUND,
        text=_("Shortlisted in the prioritisation round “%(round)s” of %(group)s.")
        % {"round": round_.title, "group": round_.group.name},
    )


@transaction.atomic
def round_create(
    *,
    actor: Any,
    group: WorkingGroup | None,
    title: str,
    held_on: dt.date | None,
    criteria: Iterable[Any],
    concerns: Iterable[Any],
) -> PrioritisationRound:
    """Set up a round for ``group``: a title, the day it is held, at least two of the programme's
    criteria, and a shortlist of at least one triaged concern of the group's district."""
    if group is None:
        raise ValidationError({"group": [_("Choose the working group.")]})
    enforce(actor, "round.change", group)
    errors: dict[str, list[str]] = {}
    if actor is not None and not WorkingGroup.objects.visible_to(actor).filter(pk=group.pk).exists():
        raise ValidationError({"group": [_("Choose one of your working groups.")]})
    if group.status in NOT_MEETING:
        errors["group"] = [
            _("The group is %(status)s: a round needs a group that meets.")
            % {"status": str(WorkingGroup.Status(group.status).label).lower()}
        ]
    try:
        title = services.clean_text(title, field="title", limit=200)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not isinstance(held_on, dt.date):
        errors["held_on"] = [_("Give the day of the meeting.")]
    chosen_criteria: list[Criterion] = []
    shortlist: list[Concern] = []
    try:
        chosen_criteria = _criteria(group, criteria)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        shortlist = _shortlist(actor, group, concerns)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors or not isinstance(held_on, dt.date):
        raise ValidationError(errors)
    round_ = PrioritisationRound.objects.create(
        programme_id=group.programme_id, group=group, district_id=group.district_id, title=title, held_on=held_on
    )
    round_.criteria.set(chosen_criteria)
    round_.concerns.set(shortlist)
    for concern in shortlist:
        _shortlisted(concern, round_, actor)
    audit.record(
        actor=actor,
        action="round.create",
        obj=round_,
        summary={
            "group": group.pk,
            "criteria": sorted(c.code for c in chosen_criteria),
            "shortlist": sorted(c.reference for c in shortlist),
        },
    )
    return round_


def _lock_open(round_: PrioritisationRound) -> PrioritisationRound:
    round_ = PrioritisationRound.objects.select_for_update().select_related("group").get(pk=round_.pk)
    if round_.state != PrioritisationRound.State.OPEN:
        raise ValidationError({"round": [_("This round has been decided: its scores and shortlist no longer change.")]})
    return round_


@transaction.atomic
def round_update_shortlist(*, actor: Any, round: PrioritisationRound, concerns: Iterable[Any]) -> PrioritisationRound:
    """Change an open round's shortlist; the scores of a concern taken off it go with it."""
    enforce(actor, "round.change", round)
    round_ = _lock_open(round)
    before = set(round_.concerns.values_list("pk", flat=True))
    shortlist = _shortlist(actor, round_.group, concerns, keep=before)
    after = {c.pk for c in shortlist}
    removed = before - after
    added = [c for c in shortlist if c.pk not in before]
    if not removed and not added:
        return round_
    dropped_scores, _kinds = Score.objects.filter(round=round_, concern_id__in=removed).delete()
    round_.concerns.set(shortlist)
    for concern in added:
        _shortlisted(concern, round_, actor)
    for concern in Concern.objects.filter(pk__in=removed):
        services.timeline(
            concern,
            actor=actor,
            kind=ConcernEvent.Kind.ROUND,
            text=_("Taken off the shortlist of the prioritisation round “%(round)s”.") % {"round": round_.title},
        )
    audit.record(
        actor=actor,
        action="round.shortlist",
        obj=round_,
        summary={
            "added": sorted(c.reference for c in added),
            "removed": sorted(Concern.objects.filter(pk__in=removed).values_list("reference", flat=True)),
            "scores_deleted": dropped_scores,
        },
    )
    return round_


def _score_value(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        return None
    return value


@transaction.atomic
def round_score(
    *,
    actor: Any,
    round: PrioritisationRound,
    stakeholder: str,
    scores: Mapping[tuple[int, int], Any],
) -> dict[str, int]:
    """Enter one stakeholder type's scores, ``{(concern_id, criterion_id): 1..5}``: new ones are
    added, changed ones replaced (the audit log says who entered them). Only while the round is open;
    every concern must be on the shortlist and every criterion one of the round's. All or nothing."""
    enforce(actor, "round.score", round)
    round_ = _lock_open(round)
    if stakeholder not in Stakeholder.values:
        raise ValidationError({"stakeholder": [_("Choose community, police or local authority.")]})
    if not scores:
        raise ValidationError({"scores": [_("Choose at least one score from 1 to 5.")]})
    shortlist = set(round_.concerns.values_list("pk", flat=True))
    criteria = set(round_.criteria.values_list("pk", flat=True))
    errors: list[str] = []
    cleaned: dict[tuple[int, int], int] = {}
    for key, value in scores.items():
        concern_id, criterion_id = key if isinstance(key, tuple) and len(key) == 2 else (None, None)
        if concern_id not in shortlist:
            message = _("Only the concerns on this round's shortlist can be scored.")
        elif criterion_id not in criteria:
            message = _("Score only against this round's criteria.")
        elif (number := _score_value(value)) is None:
            message = _("Scores are whole numbers from 1 to 5.")
        else:
            cleaned[(concern_id, criterion_id)] = number
            continue
        if message not in errors:
            errors.append(message)
    if errors:
        raise ValidationError({"scores": errors})
    existing = {
        (s.concern_id, s.criterion_id): s
        for s in Score.objects.filter(round=round_, stakeholder=stakeholder, concern_id__in={c for c, _k in cleaned})
    }
    new, changed = [], []
    for (concern_id, criterion_id), value in cleaned.items():
        score = existing.get((concern_id, criterion_id))
        if score is None:
            new.append(
                Score(
                    round=round_,
                    concern_id=concern_id,
                    criterion_id=criterion_id,
                    stakeholder=stakeholder,
                    value=value,
                )
            )
        elif score.value != value:
            score.value = value
            changed.append(score)
    Score.objects.bulk_create(new)
    Score.objects.bulk_update(changed, ["value"])
    summary = {"stakeholder": stakeholder, "added": len(new), "changed": len(changed)}
    if new or changed:
        audit.record(actor=actor, action="round.score", obj=round_, summary=summary)
    return {"added": len(new), "changed": len(changed)}


# --- Results -----------------------------------------------------------------------------------------
def _one_decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _competition_ranks(values: dict[int, Any]) -> dict[int, int]:
    """``{key: rank}``, highest value first, equal values sharing a rank (1, 2, 2, 4)."""
    ordered = sorted(values.values(), reverse=True)
    return {key: ordered.index(value) + 1 for key, value in values.items()}


@dataclass
class StakeholderScore:
    stakeholder: str
    label: str
    mean: Decimal | None = None
    entered: int = 0  # criteria scored for this concern
    rank: int | None = None  # in this stakeholder's own ranking
    third: int | None = None  # 0 top, 1 middle, 2 bottom (from three scored concerns up)

    @property
    def third_label(self) -> str:
        return str(THIRDS[self.third]) if self.third is not None else ""


@dataclass
class ResultRow:
    concern: Concern
    stakeholders: list[StakeholderScore]
    overall: Decimal | None = None
    rank: int | None = None
    spread: Decimal | None = None
    disagree: bool = False
    reasons: list[str] = field(default_factory=list)
    exact: Fraction | None = None

    def of(self, stakeholder: str) -> StakeholderScore:
        return next(s for s in self.stakeholders if s.stakeholder == stakeholder)


@dataclass
class Results:
    rows: list[ResultRow]
    criteria: list[Criterion]
    #: {stakeholder: (scores entered, scores expected)}: how far each side got.
    progress: dict[str, tuple[int, int]]

    @property
    def any_disagreement(self) -> bool:
        return any(row.disagree for row in self.rows)


def round_results(
    round_: PrioritisationRound,
    *,
    concerns: list[Concern] | None = None,
    criteria: list[Criterion] | None = None,
    scores: Iterable[Score] | None = None,
) -> Results:
    """The ranked results of a round (the rules are in this module's docstring). Pass the shortlist,
    criteria or scores already loaded to save their queries."""
    concerns = list(round_.concerns.order_by("pk")) if concerns is None else concerns
    criteria = list(round_.criteria.all()) if criteria is None else criteria
    if scores is None:
        scores = Score.objects.filter(round=round_).only("concern_id", "criterion_id", "stakeholder", "value")
    weight = {c.pk: c.weight for c in criteria}
    values: dict[tuple[int, str], dict[int, int]] = {}
    for score in scores:
        if score.criterion_id in weight:
            values.setdefault((score.concern_id, score.stakeholder), {})[score.criterion_id] = score.value
    labels = dict(Stakeholder.choices)
    rows: list[ResultRow] = []
    exact_means: dict[str, dict[int, Fraction]] = {s: {} for s in Stakeholder.values}
    for concern in concerns:
        parts = []
        for stakeholder in Stakeholder.values:
            given = values.get((concern.pk, stakeholder), {})
            part = StakeholderScore(stakeholder, str(labels[stakeholder]), entered=len(given))
            if given:
                exact = Fraction(sum(weight[k] * v for k, v in given.items()), sum(weight[k] for k in given))
                exact_means[stakeholder][concern.pk] = exact
                part.mean = _one_decimal(exact)
            parts.append(part)
        present = [p.mean for p in parts if p.mean is not None]
        row = ResultRow(concern=concern, stakeholders=parts)
        if present:
            row.exact = sum((Fraction(m) for m in present), Fraction(0)) / len(present)
            row.overall = _one_decimal(row.exact)
        if len(present) >= 2:
            row.spread = max(present) - min(present)
        rows.append(row)
    # Each stakeholder's own ranking, and its thirds.
    by_pk = {row.concern.pk: row for row in rows}
    for stakeholder, means in exact_means.items():
        ranks = _competition_ranks(means)
        n = len(means)
        for pk, rank in ranks.items():
            part = by_pk[pk].of(stakeholder)
            part.rank = rank
            part.third = (rank - 1) * 3 // n if n >= 3 else None
    # The overall ranking.
    ranks = _competition_ranks({row.concern.pk: row.exact for row in rows if row.exact is not None})
    for row in rows:
        row.rank = ranks.get(row.concern.pk)
        _disagreement(row)
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.concern.pk))
    expected = len(concerns) * len(criteria)
    progress = {
        s: (sum(len(v) for (_c, st), v in values.items() if st == s and _c in by_pk), expected)
        for s in Stakeholder.values
    }
    return Results(rows=rows, criteria=criteria, progress=progress)


def _disagreement(row: ResultRow) -> None:
    scored = [p for p in row.stakeholders if p.mean is not None]
    if row.spread is not None and row.spread >= DISAGREEMENT_POINTS:
        high = max(scored, key=lambda p: p.mean or 0)
        low = min(scored, key=lambda p: p.mean or 0)
        row.reasons.append(
            _("%(high)s gives %(high_mean)s, %(low)s %(low_mean)s: %(spread)s points apart.")
            % {
                "high": high.label,
                "high_mean": _number(high.mean),
                "low": low.label.lower(),
                "low_mean": _number(low.mean),
                "spread": _number(row.spread),
            }
        )
    placed = [p for p in scored if p.third is not None]
    top = [p for p in placed if p.third == 0]
    bottom = [p for p in placed if p.third == 2]
    if top and bottom:
        row.reasons.append(
            _("%(who_top)s: top third; %(who_bottom)s: bottom third.")
            % {
                "who_top": ", ".join(p.label for p in top),
                "who_bottom": ", ".join(p.label.lower() for p in bottom),
            }
        )
    row.disagree = bool(row.reasons)


def _number(value: Decimal | None) -> str:
    return number_format(value, 1) if value is not None else "—"


# --- The decision ------------------------------------------------------------------------------------
@transaction.atomic
def round_decide(*, actor: Any, round: PrioritisationRound, chosen: Iterable[Any]) -> PrioritisationRound:
    """Close the round with the group's decision: each chosen concern is taken up by the group and
    becomes prioritised (through the state machine); every shortlisted concern's timeline says what
    the round decided (chosen with its rank, or not chosen)."""
    enforce(actor, "round.change", round)
    round_ = _lock_open(round)
    shortlist = list(round_.concerns.select_for_update().order_by("pk"))
    on_list = {c.pk: c for c in shortlist}
    try:
        chosen_ids = _ids(chosen)
    except ValidationError:
        raise ValidationError({"chosen": [_("Choose concerns from the shortlist.")]}) from None
    if not chosen_ids:
        raise ValidationError({"chosen": [_("Choose at least one concern the group takes up.")]})
    if any(pk not in on_list for pk in chosen_ids):
        raise ValidationError({"chosen": [_("Choose concerns from the shortlist.")]})
    errors = []
    for pk in chosen_ids:
        concern = on_list[pk]
        if concern.status != Status.TRIAGED:
            errors.append(
                _("%(ref)s is no longer triaged (it is %(status)s).")
                % {"ref": concern.reference, "status": str(Status(concern.status).label).lower()}
            )
        elif concern.group_id not in (None, round_.group_id):
            errors.append(_("%(ref)s has been taken up by another group.") % {"ref": concern.reference})
    if errors:
        raise ValidationError({"chosen": errors})
    results = round_results(round_, concerns=shortlist)
    rank_of = {row.concern.pk: row.rank for row in results.rows}
    scored = sum(1 for row in results.rows if row.rank is not None)
    for concern in shortlist:
        rank = rank_of.get(concern.pk)
        where = _("rank %(rank)s of %(n)s") % {"rank": rank, "n": scored} if rank is not None else _("not scored")
        if concern.pk in chosen_ids:
            if concern.group_id is None:
                concern.group = round_.group
                concern.save(update_fields=["group", "updated_at"])
            services.move(concern, actor=actor, to_status=Status.PRIORITISED, by_service=True)
            text = _("Prioritised in the round “%(round)s” (%(where)s).") % {"round": round_.title, "where": where}
        else:
            text = _("Not chosen in the round “%(round)s” (%(where)s).") % {"round": round_.title, "where": where}
        services.timeline(concern, actor=actor, kind=ConcernEvent.Kind.ROUND, text=text)
    round_.state = PrioritisationRound.State.CLOSED
    round_.decided_at = timezone.now()
    round_.save(update_fields=["state", "decided_at", "updated_at"])
    round_.chosen.set(chosen_ids)
    audit.record(
        actor=actor,
        action="round.decide",
        obj=round_,
        summary={
            "chosen": sorted(on_list[pk].reference for pk in chosen_ids),
            "not_chosen": sorted(c.reference for c in shortlist if c.pk not in chosen_ids),
        },
    )
    return round_
