"""Small grants for citizens' outreach campaigns: call → application → review → grant → tranches → reports,
and what the campaigns produced and reached.

See docs/adr/0011-grants-and-money.md. Money is ``Decimal`` with a currency, two decimal places (dirams,
cents); amounts are never floats. What a call has committed and disbursed is summed from grants and
released tranches under a lock on the call's row (``services.lock_call``), so two staff releasing or
awarding at the same moment cannot overspend its envelope.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hamkori.access.policy import ScopedManager, ScopeSpec
from hamkori.concerns.models import ProgrammeTerm
from hamkori.core.models import TimeStampedModel
from hamkori.core.roles import FIELD_ROLES
from hamkori.people.models import AgeBand, Sex
from hamkori.programmes.models import Currency


def money_field(label: Any, **options: Any) -> models.DecimalField:
    """An amount: 14 digits with two decimal places (up to 999,999,999,999.99)."""
    return models.DecimalField(label, max_digits=14, decimal_places=2, **options)


#: Decimal places each currency has (a diram is 1/100 somoni, a cent 1/100 dollar).
CURRENCY_PLACES: dict[str, int] = {Currency.TJS: 2, Currency.USD: 2, Currency.EUR: 2, Currency.GBP: 2}
#: Texts longer than this are refused with a clear error.
MAX_TEXT = 20000
ZERO = Decimal("0.00")


class CampaignFormat(ProgrammeTerm):
    """What a campaign produces (leaflets, booklets, posters, videos, mobile theatre, radio, social media, ...)."""

    class Meta(ProgrammeTerm.Meta):
        verbose_name = _("campaign format")
        verbose_name_plural = _("campaign formats")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="campaign_format_code_unique")]


class ScreeningQuestion(ProgrammeTerm):
    """One question of the conflict-sensitivity (do-no-harm) screening of an application."""

    class Meta(ProgrammeTerm.Meta):
        verbose_name = _("do-no-harm question")
        verbose_name_plural = _("do-no-harm questions")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="screening_question_code_unique")]


class ApplicantKind(models.TextChoices):
    COMMUNITY_GROUP = "community", _("Community group")
    YOUTH_GROUP = "youth", _("Youth group")
    WOMEN_GROUP = "women", _("Women's group")
    WORKING_GROUP = "cwg", _("Working group")
    NGO = "ngo", _("Non-governmental organisation")
    SCHOOL = "school", _("School or college")
    OTHER = "other", _("Other")


class Language(models.TextChoices):
    TG = "tg", _("Tajik")
    RU = "ru", _("Russian")
    EN = "en", _("English")
    UZ = "uz", _("Uzbek")
    KY = "ky", _("Kyrgyz")


class CallStatus(models.TextChoices):
    # In a context of their own: "Open" alone is already translated as "not started" elsewhere.
    DRAFT = "draft", pgettext_lazy("call for proposals", "In preparation")
    OPEN = "open", pgettext_lazy("call for proposals", "Open")
    CLOSED = "closed", pgettext_lazy("call for proposals", "Closed")


class GrantCall(TimeStampedModel):
    """A call for proposals: its envelope in one currency, who and where may apply, the criteria and the deadline."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="grant_calls")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("published text"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.TJS)
    envelope = money_field(_("envelope"))
    max_grant = money_field(_("largest grant"), null=True, blank=True)
    #: Stored in UTC, entered and shown in the programme's time zone.
    deadline = models.DateTimeField(_("deadline"))
    districts = models.ManyToManyField("places.Place", verbose_name=_("eligible districts"), related_name="+")
    applicant_kinds = models.JSONField(_("eligible applicants"), default=list)
    languages = models.JSONField(_("languages of applications"), default=list)
    score_max = models.PositiveSmallIntegerField(
        _("highest score per criterion"), default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    blind_review = models.BooleanField(
        _("hide applicants from reviewers"),
        default=False,
        help_text=_("Reviewers then see the proposal without the applicant's name or contact."),
    )
    status = models.CharField(_("status"), max_length=8, choices=CallStatus.choices, default=CallStatus.DRAFT)
    #: The address of the call's public application form (/apply/<key>/): not secret, but unguessable.
    public_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_applications = models.BooleanField(
        _("applicants may apply without an account"),
        default=True,
        help_text=_("The call's page then links to a form anyone with the address can fill in."),
    )
    owner = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("managed by"), on_delete=models.PROTECT, related_name="+"
    )

    scope = ScopeSpec(programme="programme", roles=FIELD_ROLES)
    objects = ScopedManager()

    class Meta:
        ordering = ["-deadline", "-id"]
        verbose_name = _("call for proposals")
        verbose_name_plural = _("calls for proposals")
        constraints = [
            models.CheckConstraint(condition=Q(envelope__gt=0), name="call_envelope_positive"),
            models.CheckConstraint(
                condition=Q(max_grant__isnull=True) | Q(max_grant__gt=0), name="call_max_grant_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CallCriterion(models.Model):
    """One criterion reviewers score (from 0 to the call's highest score) with its weight in the total."""

    call = models.ForeignKey(GrantCall, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=200)
    guidance = models.TextField(_("guidance for reviewers"), blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [models.CheckConstraint(condition=Q(weight__gte=1), name="criterion_weight_positive")]

    def __str__(self) -> str:
        return self.name


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES = "changes", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Application(TimeStampedModel):
    """A proposal for an outreach campaign, from a community group or organisation: entered by partner staff on
    its behalf (``owner`` their organisation) or by the applicant through the call's public form (``owner``
    empty until staff take it on, ``resume_digest`` the digest of the private address its draft is continued at).

    ``client_key`` is generated by the form when it is first drawn: sending the same draft twice (a dropped
    connection, a second tap) saves one application (a database unique constraint)."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="grant_applications")
    call = models.ForeignKey(GrantCall, verbose_name=_("call"), on_delete=models.PROTECT, related_name="applications")
    reference = models.CharField(_("reference"), max_length=16, unique=True)
    client_key = models.UUIDField(unique=True)
    applicant_name = models.CharField(_("applicant"), max_length=200)
    applicant_kind = models.CharField(_("kind of applicant"), max_length=10, choices=ApplicantKind.choices)
    #: The contact person's name and phone, encrypted in the vault (never in this table).
    contact_key = models.UUIDField(null=True, blank=True, editable=False)
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(
        "places.Place",
        verbose_name=_("jamoat or village"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title of the campaign"), max_length=200)
    summary = models.TextField(_("what the campaign will do"), blank=True)
    audience = models.TextField(_("who it will reach"), blank=True)
    formats = models.ManyToManyField(CampaignFormat, verbose_name=_("formats"), blank=True, related_name="+")
    languages = models.JSONField(_("languages"), default=list)
    concerns = models.ManyToManyField(
        "concerns.Concern", verbose_name=_("concerns it addresses"), blank=True, related_name="grant_applications"
    )
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    #: The sum of the budget lines, kept by the services.
    amount = money_field(_("amount requested"), default=ZERO)
    status = models.CharField(
        _("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    owner = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("supported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    resume_digest = models.CharField(max_length=64, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: Why it was approved, rejected or sent back: the applicant reads it.
    decision_reason = models.TextField(_("reasons for the applicant"), blank=True)

    scope = ScopeSpec(programme="programme", place="district", owner="owner", roles=FIELD_ROLES)
    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [models.Index(fields=["call", "status"], name="application_call_status")]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="application_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class BudgetLine(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines")
    item = models.CharField(_("item"), max_length=200)
    amount = money_field(_("amount"))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="budget_line_positive")]

    def __str__(self) -> str:
        return f"{self.item}: {self.amount}"


class Conflict(models.TextChoices):
    UNDECLARED = "undeclared", _("Not declared yet")
    NONE = "none", _("No conflict of interest")
    DECLARED = "declared", _("Conflict of interest declared")


class Review(TimeStampedModel):
    """One reviewer's review of one application. The reviewer declares conflicts of interest before scoring;
    a declared conflict blocks the review."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        "accounts.User", verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    conflict = models.CharField(
        _("conflict of interest"), max_length=10, choices=Conflict.choices, default=Conflict.UNDECLARED
    )
    conflict_note = models.TextField(_("the conflict"), blank=True)
    comment = models.TextField(_("overall comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="review_once_per_reviewer")]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.reviewer_id}"


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(CallCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="review_score_once")]

    def __str__(self) -> str:
        return f"{self.review_id}/{self.criterion_id}: {self.score}"


class Screening(models.Model):
    """The conflict-sensitivity (do-no-harm) screening of an application, by staff, before a decision."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="screening")
    screened_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    screened_at = models.DateTimeField(_("screened"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("do-no-harm screening")
        verbose_name_plural = _("do-no-harm screenings")

    def __str__(self) -> str:
        return f"{self.application_id}"

    @property
    def passed(self) -> bool:
        return all(answer.ok for answer in self.answers.all())


class ScreeningAnswer(models.Model):
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(ScreeningQuestion, on_delete=models.PROTECT, related_name="+")
    #: True: no risk found on this point; False: a risk that must be dealt with before approval.
    ok = models.BooleanField(_("no risk"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["screening", "question"], name="screening_answer_once")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.ok}"


class GrantStatus(models.TextChoices):
    AGREED = "agreed", _("Agreed")
    CLOSED = "closed", _("Closed")


class Grant(TimeStampedModel):
    """An awarded grant: the approved application's amount, committed against its call's envelope."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="grants")
    call = models.ForeignKey(GrantCall, verbose_name=_("call"), on_delete=models.PROTECT, related_name="grants")
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="grant")
    number = models.CharField(_("grant number"), max_length=20, unique=True)
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("supported by"), on_delete=models.PROTECT, related_name="+"
    )
    amount = money_field(_("amount awarded"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    status = models.CharField(_("status"), max_length=8, choices=GrantStatus.choices, default=GrantStatus.AGREED)
    agreement_signed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    events = models.ManyToManyField("events.Event", verbose_name=_("events"), blank=True, related_name="grants")

    scope = ScopeSpec(programme="programme", place="district", owner="owner", roles=FIELD_ROLES)
    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="grant_amount_positive")]

    def __str__(self) -> str:
        return self.number


class Condition(models.TextChoices):
    SIGNED = "signed", _("Agreement signed")
    REPORT = "report", _("Report approved")


class TrancheStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RELEASED = "released", _("Released")


class Tranche(models.Model):
    """One instalment of a grant, released only when its condition holds: the agreement signed, or the grant's
    report number ``report_number`` approved."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField(_("tranche"))
    amount = money_field(_("amount"))
    condition = models.CharField(_("condition"), max_length=8, choices=Condition.choices, default=Condition.SIGNED)
    report_number = models.PositiveSmallIntegerField(_("report"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=TrancheStatus.choices, default=TrancheStatus.PLANNED)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["number"]
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="tranche_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tranche_amount_positive"),
            models.CheckConstraint(
                condition=Q(condition="signed") | Q(report_number__isnull=False), name="tranche_report_named"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grant_id}#{self.number}"


class ExchangeRate(models.Model):
    """How many units of ``quote`` one unit of ``base`` bought on a day (the programme's table of dated rates)."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE, related_name="exchange_rates")
    on = models.DateField(_("date"))
    base = models.CharField(_("from"), max_length=3, choices=Currency.choices)
    quote = models.CharField(_("to"), max_length=3, choices=Currency.choices)
    rate = models.DecimalField(_("rate"), max_digits=14, decimal_places=6)

    class Meta:
        ordering = ["-on", "base", "quote"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["programme", "on", "base", "quote"], name="exchange_rate_once_a_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=~Q(base=models.F("quote")), name="exchange_rate_two_currencies"),
        ]

    def __str__(self) -> str:
        return f"{self.on} 1 {self.base} = {self.rate} {self.quote}"


class Disbursement(models.Model):
    """The payment of a released tranche: in the grant's currency, paid in ``paid_currency`` at the day's rate."""

    tranche = models.OneToOneField(Tranche, on_delete=models.PROTECT, related_name="disbursement")
    paid_on = models.DateField(_("paid on"))
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    paid_currency = models.CharField(_("paid in"), max_length=3, choices=Currency.choices)
    rate = models.DecimalField(_("rate"), max_digits=14, decimal_places=6, default=Decimal("1"))
    rate_on = models.DateField(_("rate of"), null=True, blank=True)
    paid_amount = money_field(_("amount paid"))
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["paid_on", "id"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_positive")]

    def __str__(self) -> str:
        return f"{self.tranche_id}: {self.paid_amount} {self.paid_currency}"


class ReportKind(models.TextChoices):
    INTERIM = "interim", _("Interim report")
    FINAL = "final", _("Final report")


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Received")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


class GrantReport(TimeStampedModel):
    """A narrative and financial report of a grant, reviewed by staff."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="reports")
    number = models.PositiveSmallIntegerField(_("report"))
    kind = models.CharField(_("kind"), max_length=8, choices=ReportKind.choices, default=ReportKind.INTERIM)
    narrative = models.TextField(_("what was done"))
    spent = money_field(_("amount spent"))
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    submitted_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("review"), blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("grant report")
        verbose_name_plural = _("grant reports")
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="grant_report_number_unique"),
            models.CheckConstraint(condition=Q(spent__gte=0), name="grant_report_spent_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.grant_id} report {self.number}"


class GrantFile(models.Model):
    """A file kept with an application, a grant, a report or a campaign product (attachments, agreements,
    products' artwork), stored under the var directory by a server-chosen key (as ``events.EventFile``)."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    grant = models.ForeignKey(Grant, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("file name"), max_length=200)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("file")
        verbose_name_plural = _("files")

    def __str__(self) -> str:
        return self.name


class CampaignProduct(TimeStampedModel):
    """Something a campaign made: a leaflet, a video, a play."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="campaign_products")
    grant = models.ForeignKey(
        Grant, verbose_name=_("grant"), null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    format = models.ForeignKey(CampaignFormat, verbose_name=_("format"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    link = models.URLField(_("link"), blank=True)
    image = models.ForeignKey(
        GrantFile, verbose_name=_("picture or file"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField(_("description"), blank=True)

    scope = ScopeSpec(programme="programme", place="district", owner="owner", roles=FIELD_ROLES)
    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign product")
        verbose_name_plural = _("campaign products")

    def __str__(self) -> str:
        return self.title


class Channel(models.TextChoices):
    DISTRIBUTION = "distribution", _("Distribution")
    PERFORMANCE = "performance", _("Performance")
    SCREENING = "screening", _("Screening")
    BROADCAST = "broadcast", _("Radio or television")
    ONLINE = "online", _("Online")
    EVENT = "event", _("At an event")
    OTHER = "other", _("Other")


class Reach(TimeStampedModel):
    """One distribution or performance of a product: when, where, through which channel, and who it reached."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        CampaignProduct, verbose_name=_("product"), on_delete=models.CASCADE, related_name="reach"
    )
    on = models.DateField(_("date"))
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    #: Copied from the product (by the services): what district roll-ups and access by district use.
    district = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", editable=False)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    event = models.ForeignKey(
        "events.Event", verbose_name=_("event"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    copies = models.PositiveIntegerField(_("copies handed out"), default=0)
    feedback = models.TextField(_("feedback"), blank=True)

    scope = ScopeSpec(programme="programme", place="district", owner="product__owner", roles=FIELD_ROLES)
    objects = ScopedManager()

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("reach")
        verbose_name_plural = _("reach")
        indexes = [models.Index(fields=["programme", "district", "on"], name="reach_district_on")]

    def __str__(self) -> str:
        return f"{self.product_id} {self.on}"


class ReachCount(models.Model):
    """People reached at one distribution or performance, by sex × age band."""

    reach = models.ForeignKey(Reach, on_delete=models.CASCADE, related_name="counts")
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    age_band = models.CharField(_("age band"), max_length=6, choices=AgeBand.choices)
    count = models.PositiveIntegerField(_("number of people"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reach", "sex", "age_band"], name="reach_count_cell_unique"),
            models.CheckConstraint(condition=Q(count__gte=0), name="reach_count_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sex} {self.age_band} = {self.count}"
