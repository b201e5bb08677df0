from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ScopedManager, ScopeSpec
from hamkori.core.models import TimeStampedModel, localized
from hamkori.core.roles import ALL_ROLES


class Currency(models.TextChoices):
    USD = "USD", _("US dollar")
    TJS = "TJS", _("Tajik somoni")
    EUR = "EUR", _("Euro")
    GBP = "GBP", _("Pound sterling")


class Programme(TimeStampedModel):
    """One programme: its donor(s), budget, dates, locations and partners. Several can live in one
    installation; a user's role is held per programme."""

    code = models.SlugField(_("short code"), max_length=40, unique=True)
    title_tg = models.CharField(_("title (Tajik)"), max_length=200, blank=True)
    title_ru = models.CharField(_("title (Russian)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary_tg = models.TextField(_("summary (Tajik)"), blank=True)
    summary_ru = models.TextField(_("summary (Russian)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    lead_organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("lead organisation"), on_delete=models.PROTECT, related_name="+"
    )
    donors = models.ManyToManyField("orgs.Organisation", verbose_name=_("donors"), related_name="funded_programmes")
    budget = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.USD)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    public_reports = models.BooleanField(
        _("accept concerns from the public"),
        default=False,
        help_text=_("Anyone may then report a concern in the programme's locations at /report/, without an account."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Dushanbe")
    country = models.ForeignKey(
        "places.Place", verbose_name=_("country"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    places: models.ManyToManyField = models.ManyToManyField(
        "places.Place", through="ProgrammeLocation", verbose_name=_("locations"), related_name="programmes"
    )

    scope = ScopeSpec(programme="pk", roles=ALL_ROLES)
    objects = ScopedManager()

    class Meta:
        ordering = ["-start_date", "code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="programme_dates_ordered"
            ),
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="programme_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title") or self.code

    @property
    def summary(self) -> str:
        return localized(self, "summary")

    @property
    def duration_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def elapsed_days(self, today: dt.date) -> int:
        return max(0, min(self.duration_days, (today - self.start_date).days + 1))

    def elapsed_percent(self, today: dt.date) -> int:
        return round(100 * self.elapsed_days(today) / self.duration_days)

    def phase(self, today: dt.date) -> str:
        if today < self.start_date:
            return "upcoming"
        if today > self.end_date:
            return "ended"
        return "running"


class ProgrammeLocation(models.Model):
    """A place the programme works in (usually a district or city), in the programme's own order."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="locations")
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["programme", "place"], name="programme_location_unique")]

    def __str__(self) -> str:
        return str(self.place)


class ProgrammePartner(models.Model):
    """A partner organisation in a programme, and the locations it works in."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="partnerships")
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="partnerships"
    )
    places = models.ManyToManyField("places.Place", verbose_name=_("locations"), blank=True, related_name="+")

    class Meta:
        ordering = ["organisation__name_en"]
        constraints = [models.UniqueConstraint(fields=["programme", "organisation"], name="programme_partner_unique")]

    def __str__(self) -> str:
        return str(self.organisation)
