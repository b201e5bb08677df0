"""Reads of the concern pages: the scoped, filtered list; the district board; the triage queue; and
possible duplicates across Cyrillic and Latin.

Everything starts from ``Concern.objects.visible_to(user)``. Every query here is written to stay fast
with a million concerns (``benchmarks/concerns_scale.py``): bounded counts, index-ordered pages, one
query per board column, and similarity computed over a bounded set of recent candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Substr

from hamkori.access.policy import grant_in, role_in
from hamkori.concerns.models import (
    BOARD_STAGES,
    OPEN_STATUSES,
    Action,
    AffectedGroup,
    Concern,
    Driver,
    Source,
    Status,
    overdue_q,
)
from hamkori.core.models import Sensitivity
from hamkori.core.roles import Role
from hamkori.core.text import similarity, trigrams
from hamkori.people.forms import places_for
from hamkori.places.models import Place
from hamkori.programmes.models import Programme

#: A list counts at most this many concerns; beyond it the page says "more than 10,000" and offers
#: the newest ones (counting a million rows for a pager nobody pages through would cost seconds).
COUNT_CAP = 10_000
#: The triage queue counts at most this many (more than a thousand waiting is already the news).
TRIAGE_CAP = 1_000
#: A text search counts at most this many matches (its words are looked for in every description).
SEARCH_CAP = 1_000
#: Cards per board column (the column's count links to the whole list).
BOARD_CARDS = 5
#: Possible duplicates are looked for among this many of the district's most recent open concerns.
SIMILAR_CANDIDATES = 500
#: ...comparing the first this-many characters of each description...
SIMILAR_TEXT = 400
#: ...and suggesting those at least this similar (Jaccard of character trigrams of the Latin skeleton).
SIMILAR_THRESHOLD = 0.3


def visible_concerns(user: Any, programme: Programme) -> QuerySet[Concern]:
    """The concerns of ``programme`` that ``user`` may see.

    ``visible_to`` adds ``DISTINCT`` to every model whose scope has role-specific conditions, in case
    one joins a many-valued relation. The concern's conditions are all ``IN (subquery)`` (its working
    group, its referrals, its district's places), never joins, so no row can repeat; and ``DISTINCT``
    over a million rows makes PostgreSQL and SQLite sort or hash them all before taking a page of 50.
    It is therefore dropped here (``tests/concerns/test_pages.py`` checks the rows are the same)."""
    concerns = Concern.objects.visible_to(user).filter(programme=programme)
    concerns.query.distinct = False
    return concerns


def scope_districts(programme: Programme, user: Any) -> list[Place]:
    """The programme's locations the user works in (all of them for the lead organisation and donors)."""
    locations = programme.locations.values("place_id")
    return list(places_for(programme, user).filter(pk__in=locations))


# --- The list --------------------------------------------------------------------------------------
FILTERS = ("district", "status", "driver", "source", "sensitivity", "q")


@dataclass
class ListFilters:
    """The list's filters as asked (``params``, for links and the pager) and as understood."""

    params: dict[str, str] = field(default_factory=dict)
    district: Place | None = None
    driver: Driver | None = None


def read_filters(data: Any, programme: Programme, districts: Sequence[Place]) -> ListFilters:
    """The filters of a query string; unknown values are ignored (they filter nothing)."""
    params = {key: str(data.get(key, "")).strip()[:100] for key in FILTERS}
    result = ListFilters(params=params)
    if params["district"]:
        result.district = next((d for d in districts if d.code == params["district"]), None)
    if params["driver"]:
        result.driver = Driver.objects.filter(programme=programme, code=params["driver"][:40]).first()
    return result


def filter_concerns(concerns: QuerySet[Concern], filters: ListFilters) -> QuerySet[Concern]:
    params = filters.params
    if params["district"]:
        concerns = concerns.filter(district=filters.district) if filters.district else concerns.none()
    status = params["status"]
    if status == "open":
        concerns = concerns.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        concerns = concerns.filter(status=status)
    if params["driver"]:
        # EXISTS, not a join (no duplicate rows, no DISTINCT) nor ``IN (SELECT …)`` (which would list
        # every concern of the driver, a third of a big programme's, before the first row).
        through = Concern.drivers.through.objects.filter(concern_id=OuterRef("pk"), driver=filters.driver)
        concerns = concerns.filter(Exists(through)) if filters.driver else concerns.none()
    if params["source"] in Source.values:
        concerns = concerns.filter(source=params["source"])
    if params["sensitivity"] in Sensitivity.values:
        concerns = concerns.filter(sensitivity=params["sensitivity"])
    if query := params["q"]:
        reference = query.upper()
        concerns = concerns.filter(
            Q(description__icontains=query) | Q(reference=reference)
            if reference.startswith("C-")
            else Q(description__icontains=query)
        )
    return concerns


def capped_count(concerns: QuerySet[Concern], cap: int) -> int:
    """``SELECT COUNT(*) FROM (SELECT programme_id … LIMIT cap + 1)``, unordered: at most ``cap + 1``
    index entries are read, whatever the table's size (``programme_id``, not ``id``: every index of the
    table holds it, so PostgreSQL can count from the index alone)."""
    return concerns.order_by().values("programme_id")[: cap + 1].count()


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``cap``. ``capped`` says the true count is larger; the
    pages then reach the newest ``cap`` concerns (narrow the filters for older ones)."""

    capped = False

    def __init__(self, object_list: Any, per_page: int, *, cap: int = COUNT_CAP) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @property
    def count(self) -> int:
        if not hasattr(self, "_capped_count"):
            found = capped_count(self.object_list, self.cap)  # type: ignore[arg-type]
            self.capped = found > self.cap
            self._capped_count = min(found, self.cap)
        return self._capped_count


def with_cards(concerns: QuerySet[Concern]) -> QuerySet[Concern]:
    """What a card or a row of the list shows, in a constant number of queries."""
    return concerns.select_related("district", "place").prefetch_related(
        Prefetch("drivers", queryset=Driver.objects.only("pk", "code", "name_tg", "name_ru", "name_en"))
    )


def overdue_ids(concern_ids: Iterable[int]) -> set[int]:
    """Which of these concerns have an action past its due date (one query)."""
    ids = list(concern_ids)
    if not ids:
        return set()
    return set(
        Action.objects.filter(concern_id__in=ids)
        .filter(overdue_q())
        .order_by()
        .values_list("concern_id", flat=True)
        .distinct()
    )


def concern_page(concerns: QuerySet[Concern], number: Any, per_page: int = 50, *, cap: int = COUNT_CAP) -> Any:
    ordered = with_cards(concerns.order_by("-created_at", "-pk"))
    return CappedPaginator(ordered, per_page, cap=cap).get_page(number)


# --- The board -------------------------------------------------------------------------------------
@dataclass
class Column:
    status: str
    label: str
    count: int
    cards: list[Concern]


def board(user: Any, programme: Programme, district: Place, cards: int = BOARD_CARDS) -> list[Column]:
    """The district's concerns by stage: every stage's count (one ``GROUP BY``, ``COUNT(*)`` so that
    PostgreSQL counts from the ``concern_stage`` index alone) and its ``cards`` most
    recent concerns (one query per stage, each reading ``cards`` rows of the board index), with their
    drivers (one query)."""
    concerns = visible_concerns(user, programme).filter(district=district)
    counts = dict(concerns.filter(status__in=BOARD_STAGES).values_list("status").annotate(n=Count("*")).order_by())
    recent: dict[str, list[int]] = {}
    for status in BOARD_STAGES:
        # Asked even when the count is 0: the page's query count never depends on the data.
        recent[status] = list(
            concerns.filter(status=status).order_by("-created_at", "-pk").values_list("pk", flat=True)[:cards]
        )
    wanted = [pk for pks in recent.values() for pk in pks]
    rows = {c.pk: c for c in with_cards(Concern.objects.filter(pk__in=wanted))}
    return [
        Column(status, str(Status(status).label), counts.get(status, 0), [rows[pk] for pk in recent[status]])
        for status in BOARD_STAGES
    ]


# --- Triage ----------------------------------------------------------------------------------------
class _Chain(Sequence[Concern]):
    """Two ordered querysets as one sequence for the paginator: public submissions first, then the
    rest, each read by index in its own order (a ``CASE`` in ``ORDER BY`` would sort them all).

    Always the same queries, whatever the page: two capped counts, the ids of the page from each
    part (at least one row asked of each), then the page's rows with their drivers."""

    def __init__(self, first: QuerySet[Concern], then: QuerySet[Concern]) -> None:
        self.first, self.then = first, then
        self._lengths: tuple[int, int] | None = None

    def lengths(self) -> tuple[int, int]:
        if self._lengths is None:
            self._lengths = (capped_count(self.first, TRIAGE_CAP), capped_count(self.then, TRIAGE_CAP))
        return self._lengths

    def __len__(self) -> int:
        return min(sum(self.lengths()), TRIAGE_CAP)

    @property
    def capped(self) -> bool:
        return sum(self.lengths()) > TRIAGE_CAP

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop if index.stop is not None else len(self)
        n_first = self.lengths()[0]
        ids: list[int] = []
        for part, lo, hi in (
            (self.first, min(start, n_first), min(stop, n_first)),
            (self.then, max(start - n_first, 0), max(stop - n_first, 0)),
        ):
            found = list(part.values_list("pk", flat=True)[lo : max(hi, lo + 1)])
            ids += found[: hi - lo]
        rows = {c.pk: c for c in with_cards(Concern.objects.filter(pk__in=ids))}
        return [rows[pk] for pk in ids]


def triage_queue(user: Any, programme: Programme, district: Place | None = None) -> _Chain:
    """Reported concerns the user may triage: public submissions first, oldest first. A partner's
    queue holds those her organisation recorded and those nobody has yet (public submissions in
    her districts), as the ``concern.change`` rule allows; she sees the others on the lists."""
    concerns = visible_concerns(user, programme).filter(status=Status.REPORTED)
    if district is not None:
        concerns = concerns.filter(district=district)
    if role_in(user, programme) == Role.PARTNER:
        grant = grant_in(user, programme)
        concerns = concerns.filter(Q(owner__isnull=True) | Q(owner_id=getattr(grant, "organisation_id", None)))
    return _Chain(
        concerns.filter(source=Source.PUBLIC).order_by("created_at", "pk"),
        concerns.exclude(source=Source.PUBLIC).order_by("created_at", "pk"),
    )


def similar_concerns(
    concern: Concern, *, user: Any, limit: int = 5, candidates: int = SIMILAR_CANDIDATES
) -> list[tuple[Concern, float]]:
    """Possible duplicates of ``concern`` that ``user`` may see: concerns of the same programme and
    district, not merged or declined, whose descriptions are similar across Cyrillic and Latin
    (character trigrams of :func:`hamkori.core.text.name_key`'s skeleton, Jaccard). Only the
    district's ``candidates`` most recent such concerns are compared, and only the first
    ``SIMILAR_TEXT`` characters of each, so it costs the same with a million concerns."""
    pool = (
        visible_concerns(user, concern.programme)
        .filter(district_id=concern.district_id)
        .exclude(status__in=[Status.MERGED, Status.DECLINED])
        .exclude(pk=concern.pk)
        .order_by("-created_at", "-pk")
        .annotate(head=Substr("description", 1, SIMILAR_TEXT))
        .values_list("pk", "head")[:candidates]
    )
    mine = trigrams(concern.description, limit=SIMILAR_TEXT)
    scored = sorted(
        ((score, pk) for pk, head in pool if (score := similarity(mine, trigrams(head))) >= SIMILAR_THRESHOLD),
        reverse=True,
    )[:limit]
    rows = {c.pk: c for c in with_cards(Concern.objects.filter(pk__in=[pk for _s, pk in scored]))}
    return [(rows[pk], score) for score, pk in scored if pk in rows]


# --- The concern page ----------------------------------------------------------------------------
def merged_into(user: Any, concern: Concern) -> list[Concern]:
    """The concerns merged into ``concern`` that ``user`` sees. Two queries, each by its own index: the
    merged ones first (by ``merged_into``), then which of those are visible (by id); one query with
    the programme's condition makes SQLite walk the programme's index instead."""
    ids = list(Concern.objects.filter(merged_into=concern).values_list("pk", flat=True)[:100])
    return list(visible_concerns(user, concern.programme).filter(pk__in=ids).only("pk", "reference").order_by("pk"))


def terms_for(programme: Programme, model: type[Driver] | type[AffectedGroup], keep: Iterable[int] = ()) -> Any:
    """The programme's terms in use, and any of ``keep`` (already chosen) even if no longer in use."""
    return model.objects.filter(Q(programme=programme) & (Q(active=True) | Q(pk__in=list(keep))))
