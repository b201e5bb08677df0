"""Reads about trainings: knowledge gain from pre- and post-test scores, and people trained per topic.

Knowledge gain counts only participations with **both** scores (a pre-test alone says nothing about what
was learnt). Points are comparable only within one test; the share of the test's scale (``gain_percent``)
is what compares trainings with different scales, so every mean is given both ways.

People "trained" are counted once per topic: the distinct pairs (person, topic) over the held trainings of
the attendances given (a person trained twice on the same topic counts once for it, a training on two topics
counts them for both).

Each function is one query, whatever the number of trainings or people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, ExpressionWrapper, F, FloatField, Q, QuerySet, Sum

from hamkori.access.policy import decide
from hamkori.events.models import Attendance, Category, Status, TrainingTopic
from hamkori.events.panels import EventPanel
from hamkori.people.models import AgeBand, Sex


@dataclass
class Gain:
    """Sums of one group of participations with both scores (means are derived, so groups add up)."""

    people: int = 0
    pre: int = 0
    post: int = 0
    pre_pct: float = 0.0
    post_pct: float = 0.0

    def add(self, other: Gain) -> None:
        self.people += other.people
        self.pre += other.pre
        self.post += other.post
        self.pre_pct += other.pre_pct
        self.post_pct += other.post_pct

    def _mean(self, total: float) -> float | None:
        return round(total / self.people, 1) if self.people else None

    @property
    def mean_pre(self) -> float | None:
        return self._mean(self.pre)

    @property
    def mean_post(self) -> float | None:
        return self._mean(self.post)

    @property
    def mean_gain(self) -> float | None:
        return self._mean(self.post - self.pre)

    @property
    def pre_percent(self) -> float | None:
        return self._mean(self.pre_pct)

    @property
    def post_percent(self) -> float | None:
        return self._mean(self.post_pct)

    @property
    def gain_percent(self) -> float | None:
        """Mean gain as percentage points of each test's scale."""
        return self._mean(self.post_pct - self.pre_pct)


@dataclass
class KnowledgeGain:
    overall: Gain = field(default_factory=Gain)
    by_sex: dict[str, Gain] = field(default_factory=dict)
    by_band: dict[str, Gain] = field(default_factory=dict)

    def sex_rows(self) -> list[tuple[str, Gain]]:
        return [(str(label), self.by_sex.get(value, Gain())) for value, label in Sex.choices]

    def band_rows(self) -> list[tuple[str, Gain]]:
        return [(str(label), self.by_band.get(value, Gain())) for value, label in AgeBand.choices]


def knowledge_gain(attendances: QuerySet[Attendance]) -> KnowledgeGain:
    """Mean pre, post and gain (points and % of the scale), overall, by sex and by age band, over the
    participations of ``attendances`` that have both scores. One query (grouped by sex × age band)."""
    pct = 100.0
    rows = (
        attendances.filter(pre_score__isnull=False, post_score__isnull=False, event__test_max_score__gt=0)
        .order_by()
        .values_list("sex", "age_band")
        .annotate(
            n=Count("pk"),
            pre=Sum("pre_score"),
            post=Sum("post_score"),
            pre_pct=Sum(
                ExpressionWrapper(F("pre_score") * pct / F("event__test_max_score"), output_field=FloatField())
            ),
            post_pct=Sum(
                ExpressionWrapper(F("post_score") * pct / F("event__test_max_score"), output_field=FloatField())
            ),
        )
    )
    result = KnowledgeGain()
    for sex, band, n, pre, post, pre_pct, post_pct in rows:
        cell = Gain(n, pre or 0, post or 0, float(pre_pct or 0), float(post_pct or 0))
        result.overall.add(cell)
        result.by_sex.setdefault(sex, Gain()).add(cell)
        result.by_band.setdefault(band, Gain()).add(cell)
    return result


def held_trainings(attendances: QuerySet[Attendance]) -> QuerySet[Attendance]:
    return attendances.filter(event__kind__category=Category.TRAINING, event__status=Status.HELD)


def trained_by_topic(attendances: QuerySet[Attendance], topics: list[TrainingTopic]) -> list[tuple[TrainingTopic, int]]:
    """``[(topic, distinct people trained on it)]`` in ``topics``' order, over the held trainings of
    ``attendances``. One query."""
    counts = dict(
        held_trainings(attendances)
        .filter(event__topics__isnull=False)
        .order_by()
        .values_list("event__topics")
        .annotate(n=Count("person_id", distinct=True))
    )
    return [(topic, counts.get(topic.pk, 0)) for topic in topics]


def people_trained(attendances: QuerySet[Attendance]) -> int:
    """Distinct people who took part in at least one held training of ``attendances``. One query."""
    return held_trainings(attendances).aggregate(n=Count("person_id", distinct=True))["n"] or 0


def training_panel_context(event: Any) -> dict[str, Any]:
    """What an event's training panel shows: its topics, its test's scale and its knowledge gain."""
    return {
        "topics": list(event.topics.all()),
        "scale": event.test_max_score,
        "gain": knowledge_gain(Attendance.objects.filter(event=event)).overall,
        **Attendance.objects.filter(event=event).aggregate(
            participants=Count("pk"), with_scores=Count("pk", filter=Q(pre_score__isnull=False))
        ),
    }


def training_panels(user: Any, event: Any) -> list[EventPanel]:
    """The training section of an event's page: topics, the test's scale, the knowledge gain of this
    training and, for those who may change the event, the link to the scores screen. Shown to those who
    may see who took part (scores are about named people); three queries."""
    if event.kind.category != Category.TRAINING or not decide(user, "event.view_people", event):
        return []
    context = training_panel_context(event)
    context["may_score"] = bool(event.test_max_score) and bool(decide(user, "event.change", event))
    return [EventPanel(priority=30, template="events/_training_panel.html", context=context)]
