"""What the campaigns reached, rolled up for a district (or all the user's districts) and a period, and the reads
of the campaign pages (the list's reach totals, the gallery).

What it counts (distributions and performances whose date lies in the period, in the districts shown):

* **people reached** by district × sex and by age band × sex (the counts typed at each distribution or
  performance: the same person at two performances counts twice, as in an event's tally);
* people reached **by format** and **by language** of the product;
* per format: **products** recorded in the period and the copies made (their quantity), **distributions and
  performances** and the **copies handed out** (products and copies are not people: always exact).

Who sees what, exactly as the events' participation summary (``hamkori.events.summary``, whose period,
districts, protection test and exact tables this module reuses):

* admin and staff: exact counts of the whole programme;
* a partner: exact counts of what she can see (``Reach.objects.visible_to``: her districts);
* a donor (``grants.reach_summary``): the same roll-ups under disclosure control (docs/disclosure-control.md),
  with whole years or quarters only. The district × sex table is the main one (``kit.exports.safe_table``:
  counts from 1 to 4 show "<5", with complementary suppression). The other tables of people repeat its
  margins (the grand total; by age band also the totals of women and men): each is protected on its own and
  published only when those shared margins are published both in it and in the main table, so that no table
  lends another a number it hid. Otherwise the breakdown is withheld as a whole.

The number of queries is fixed (about ten), whatever the number of products, distributions or districts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from hamkori.access.policy import decide
from hamkori.core.disclosure import Cell, DisclosureError, SafeTable, protect_series
from hamkori.events.summary import BANDS, SEXES, Period, exact_table, hidden, is_protected, shown
from hamkori.events.uploads import IMAGE_EXTENSIONS
from hamkori.grants.models import CampaignFormat, CampaignProduct, Language, Reach, ReachCount
from hamkori.kit.exports import safe_table
from hamkori.kit.spreadsheets import Sheet
from hamkori.people.models import AgeBand, Sex
from hamkori.places.models import Place
from hamkori.programmes.models import Programme


# --- the pages' reads -------------------------------------------------------------------------------------
def products_of(user: Any, programme: Programme) -> QuerySet[CampaignProduct]:
    """The products ``user`` may open (the field roles, by district)."""
    return CampaignProduct.objects.visible_to(user).filter(programme=programme)


def gallery_products(user: Any, programme: Programme) -> QuerySet[CampaignProduct]:
    """Products whose picture ``user`` may see: those she may open, and for whoever may read the roll-ups but
    not open products (a donor) every product of the programme that has a picture. A product's artwork carries
    no personal data; the gallery shows it with the title, format, language and district, nothing else."""
    if decide(user, "campaignproduct.view", programme):
        products = products_of(user, programme)
    elif decide(user, "grants.reach_summary", programme):
        products = CampaignProduct.objects.filter(programme=programme)
    else:
        return CampaignProduct.objects.none()
    return products.filter(image__isnull=False, image__extension__in=list(IMAGE_EXTENSIONS))


def with_reach_totals(products: QuerySet[CampaignProduct]) -> QuerySet[CampaignProduct]:
    """Each product with its people reached, copies handed out and number of distributions (``reached``,
    ``handed_out``, ``distributions``), summed in subqueries of the same query."""
    people = (
        ReachCount.objects.filter(reach__product=OuterRef("pk"))
        .order_by()
        .values("reach__product")
        .annotate(n=Sum("count"))
        .values("n")
    )
    reach = Reach.objects.filter(product=OuterRef("pk")).order_by().values("product")
    return products.annotate(
        reached=Coalesce(Subquery(people, output_field=IntegerField()), Value(0)),
        handed_out=Coalesce(
            Subquery(reach.annotate(n=Sum("copies")).values("n"), output_field=IntegerField()), Value(0)
        ),
        distributions=Coalesce(
            Subquery(reach.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0)
        ),
    )


# --- the roll-ups -----------------------------------------------------------------------------------------
@dataclass
class Breakdown:
    """People reached by one attribute of the product (format, language): rows and their total, or withheld."""

    rows: list[tuple[str, Cell]] = field(default_factory=list)
    total: Cell | None = None
    withheld: bool = False

    @property
    def has_suppressed(self) -> bool:
        return any(c.suppressed for _l, c in self.rows) or (self.total is not None and self.total.suppressed)


@dataclass
class FormatRow:
    label: str
    products: int
    made: int
    distributions: int
    copies: int


@dataclass
class ReachSummary:
    protected: bool
    districts: SafeTable
    bands: SafeTable | None  # None: withheld
    by_format: Breakdown
    by_language: Breakdown
    formats: list[FormatRow]
    reached: Cell
    women: Cell
    men: Cell
    distributions: int
    copies: int
    has_suppressed: bool = False

    @property
    def products_total(self) -> int:
        return sum(r.products for r in self.formats)


def scoped(
    user: Any, programme: Programme, districts: list[Place], period: Period
) -> tuple[QuerySet[Reach], QuerySet[CampaignProduct]]:
    """The distributions of the period and the products recorded in it, in ``districts``, scoped for ``user``
    (a donor's are read whole: she sees only protected aggregates of them)."""
    reach: QuerySet[Reach]
    products: QuerySet[CampaignProduct]
    if is_protected(user, programme):
        reach = Reach.objects.filter(programme=programme)
        products = CampaignProduct.objects.filter(programme=programme)
    else:
        reach = Reach.objects.visible_to(user).filter(programme=programme)
        products = products_of(user, programme)
    ids = [d.pk for d in districts]
    lo, hi = period.bounds(programme)
    reach = reach.filter(on__gte=period.start, on__lte=period.end, district_id__in=ids)
    products = products.filter(created_at__gte=lo, created_at__lt=hi, district_id__in=ids)
    return reach, products


def _series(counts: dict[str, int], protected: bool, total_published: bool) -> Breakdown:
    items = {label: n for label, n in counts.items() if n}
    if not protected:
        return Breakdown([(label, shown(n)) for label, n in items.items()], shown(sum(items.values())))
    if not total_published:
        return Breakdown(withheld=bool(items))
    try:
        series = protect_series(items)
    except DisclosureError:
        return Breakdown(withheld=True)
    if series.total is None or series.total.suppressed:
        return Breakdown(withheld=True)
    return Breakdown(series.items(), series.total)


def _margins_published(table: SafeTable, *, columns: bool) -> bool:
    """The table's grand total (and, with ``columns``, its column totals) are published."""
    if table.grand_total is None or table.grand_total.suppressed:
        return False
    return not (columns and any(c.suppressed for c in table.column_totals))


def build_summary(user: Any, programme: Programme, districts: list[Place], period: Period) -> ReachSummary:
    """The roll-ups ``user`` sees for ``districts`` and ``period`` (the view has checked ``grants.reach_summary``)."""
    protected = is_protected(user, programme)
    reach, products = scoped(user, programme, districts, period)
    counts = ReachCount.objects.filter(reach_id__in=reach.values("pk")).order_by()
    formats = list(CampaignFormat.objects.filter(programme=programme).order_by("order", "code"))

    by_district: dict[tuple[int, str], int] = {
        (d, s): n or 0 for d, s, n in counts.values_list("reach__district_id", "sex").annotate(n=Sum("count"))
    }
    by_band: dict[tuple[str, str], int] = {
        (b, s): n or 0 for b, s, n in counts.values_list("age_band", "sex").annotate(n=Sum("count"))
    }
    people_by_format = dict(counts.values_list("reach__product__format_id").annotate(n=Sum("count")))
    people_by_language = dict(counts.values_list("reach__product__language").annotate(n=Sum("count")))
    reach_by_format = {
        f: (n, c or 0)
        for f, n, c in reach.order_by().values_list("product__format_id").annotate(n=Count("pk"), c=Sum("copies"))
    }
    made_by_format = {
        f: (n, q or 0)
        for f, n, q in products.order_by().values_list("format_id").annotate(n=Count("pk"), q=Sum("quantity"))
    }

    sex_labels = [str(label) for _v, label in Sex.choices]
    band_labels = [str(label) for _v, label in AgeBand.choices]
    district_counts = [[by_district.get((d.pk, sex), 0) for sex in SEXES] for d in districts]
    band_counts = [[by_band.get((band, sex), 0) for sex in SEXES] for band in BANDS]
    format_label = {f.pk: f.name or f.code for f in formats}
    people_format = {format_label[f.pk]: people_by_format.get(f.pk, 0) or 0 for f in formats}
    people_language = {str(label): people_by_language.get(value, 0) or 0 for value, label in Language.choices}
    rows = [
        FormatRow(
            label=format_label[f.pk],
            products=made_by_format.get(f.pk, (0, 0))[0],
            made=made_by_format.get(f.pk, (0, 0))[1],
            distributions=reach_by_format.get(f.pk, (0, 0))[0],
            copies=reach_by_format.get(f.pk, (0, 0))[1],
        )
        for f in formats
    ]
    rows = [r for r in rows if r.products or r.distributions]
    total = sum(v for line in district_counts for v in line)
    women = sum(line[SEXES.index(Sex.FEMALE)] for line in district_counts)
    distributions = sum(r.distributions for r in rows)
    copies = sum(r.copies for r in rows)
    district_labels = [d.name for d in districts]

    if not protected:
        return ReachSummary(
            protected=False,
            districts=exact_table(district_counts, district_labels, sex_labels),
            bands=exact_table(band_counts, band_labels, sex_labels),
            by_format=_series(people_format, False, True),
            by_language=_series(people_language, False, True),
            formats=rows,
            reached=shown(total),
            women=shown(women),
            men=shown(total - women),
            distributions=distributions,
            copies=copies,
        )

    main = safe_table(district_counts, district_labels, sex_labels)
    total_published = _margins_published(main, columns=False)
    if total_published and main.grand_total is not None:
        reached = main.grand_total
        women_cell = main.column_totals[SEXES.index(Sex.FEMALE)]
        men_cell = main.column_totals[SEXES.index(Sex.MALE)]
    else:
        reached, women_cell, men_cell = hidden(total), hidden(women), hidden(total - women)
    # By age band: shares the totals of women and men and the grand total with the main table.
    bands: SafeTable | None = safe_table(band_counts, band_labels, sex_labels)
    if total and not (
        bands is not None and _margins_published(main, columns=True) and _margins_published(bands, columns=True)
    ):
        bands = None
    by_format = _series(people_format, True, total_published)
    by_language = _series(people_language, True, total_published)
    summary = ReachSummary(
        protected=True,
        districts=main,
        bands=bands,
        by_format=by_format,
        by_language=by_language,
        formats=rows,
        reached=reached,
        women=women_cell,
        men=men_cell,
        distributions=distributions,
        copies=copies,
    )
    summary.has_suppressed = (
        main.has_suppressed
        or (bands is None and bool(total))
        or (bands is not None and bands.has_suppressed)
        or by_format.withheld
        or by_language.withheld
        or by_format.has_suppressed
        or by_language.has_suppressed
        or any(c.suppressed for c in (reached, women_cell, men_cell))
    )
    return summary


# --- the export -------------------------------------------------------------------------------------------
def _value(cell: Cell) -> Any:
    return cell.value if not cell.suppressed else cell.label


def summary_sheet(summary: ReachSummary, *, where: str, period: Period) -> Sheet:
    """The roll-ups as one long sheet (section, item, measure, value): the same cells as the page, so a donor's
    file carries the same "<5" and "x" marks, and "withheld" where the page withholds a breakdown."""
    rows: list[list[Any]] = []
    withheld = _("withheld")
    total_label = _("Total")

    def add(section: str, item: str, measure: str, value: Any) -> None:
        rows.append([section, item, measure, value])

    def table(section: str, safe: SafeTable | None, corner_rows: list[str]) -> None:
        if safe is None:
            for label in corner_rows:
                add(section, label, _("People"), withheld)
            return
        columns = [*safe.columns, total_label] if safe.has_totals else safe.columns
        for label, cells in safe.lines(total_label=total_label):
            for column, cell in zip(columns, cells, strict=True):
                add(section, label, column, _value(cell))

    add(_("Scope"), where, _("Period"), f"{period.start.isoformat()} – {period.end.isoformat()}")
    section = _("People reached")
    add(section, _("People reached, all told"), _("Number"), _value(summary.reached))
    add(section, _("Women"), _("Number"), _value(summary.women))
    add(section, _("Men"), _("Number"), _value(summary.men))
    add(section, _("Distributions and performances"), _("Number"), summary.distributions)
    add(section, _("Copies handed out"), _("Number"), summary.copies)
    table(_("People reached by district and sex"), summary.districts, [])
    table(_("People reached by age band and sex"), summary.bands, [str(label) for _v, label in AgeBand.choices])
    for title, breakdown in (
        (_("People reached by format"), summary.by_format),
        (_("People reached by language"), summary.by_language),
    ):
        if breakdown.withheld:
            add(title, total_label, _("People"), withheld)
            continue
        for label, cell in breakdown.rows:
            add(title, label, _("People"), _value(cell))
        if breakdown.total is not None:
            add(title, total_label, _("People"), _value(breakdown.total))
    section = _("Products by format")
    for row in summary.formats:
        add(section, row.label, _("Products recorded"), row.products)
        add(section, row.label, _("Copies made"), row.made)
        add(section, row.label, _("Distributions and performances"), row.distributions)
        add(section, row.label, _("Copies handed out"), row.copies)
    notes = [
        _("People reached are counted at each distribution or performance: someone reached twice counts twice."),
        _("Products recorded: in the period; copies made: their quantity."),
    ]
    if summary.protected:
        notes.append(
            _("<5: a count from 1 to 4, hidden to protect the people counted. x: hidden to protect another cell.")
        )
        notes.append(_("Withheld: the breakdown would reveal a number hidden elsewhere."))
    return Sheet(
        title=_("Campaign reach"),
        header=[_("Section"), _("Item"), _("Measure"), _("Value")],
        hxl=["#meta+section", "#meta+item", "#indicator+name", "#indicator+value"],
        rows=rows,
        notes=notes,
    )
