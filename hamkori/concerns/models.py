"""The community security cycle: concerns raised by people, triaged, prioritised by a working group,
acted on together (actions, referrals to authorities), resolved with sign-offs and reviewed.

The lifecycle of a concern is one table in :mod:`hamkori.concerns.workflow`; every write is in
:mod:`hamkori.concerns.services`. Drivers, affected groups and prioritisation criteria are data per
programme (the taxonomy of ``shared/design/domain.md`` is the demo's, not the code's).
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ScopedManager, ScopeSpec
from hamkori.core.models import Sensitivity, TimeStampedModel, TrilingualName
from hamkori.core.roles import FIELD_ROLES, Role

#: Descriptions and notes longer than this are refused (a clear error, not a 500 or a truncation).
MAX_TEXT = 5000


class ProgrammeTerm(TrilingualName):
    """A programme's own vocabulary entry (a driver, an affected group, a criterion; the events app's kinds
    of event, training topics and attendee roles)."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(_("code"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        abstract = True
        ordering = ["order", "code"]


class Driver(ProgrammeTerm):
    """A driver of insecurity named by the programme (lack of opportunities, mistrust of police, ...)."""

    class Meta(ProgrammeTerm.Meta):
        verbose_name = _("driver of insecurity")
        verbose_name_plural = _("drivers of insecurity")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="driver_code_unique")]


class AffectedGroup(ProgrammeTerm):
    """Who is affected (women, girls, young people, labour migrants, ethnic minorities, ...)."""

    class Meta(ProgrammeTerm.Meta):
        verbose_name = _("affected group")
        verbose_name_plural = _("affected groups")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="affected_group_code_unique")]


class Criterion(ProgrammeTerm):
    """A prioritisation criterion (severity, how many are affected, urgency, feasibility, ...)."""

    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    class Meta(ProgrammeTerm.Meta):
        verbose_name = _("prioritisation criterion")
        verbose_name_plural = _("prioritisation criteria")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="criterion_code_unique")]


class Source(models.TextChoices):
    CONSULTATION = "consultation", _("Community consultation")
    GROUP_MEETING = "group_meeting", _("Working-group meeting")
    PUBLIC = "public", _("Public submission")
    SURVEY = "survey", _("Survey")
    MEDIA = "media", _("Media")
    POLICE = "police", _("Police")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    TRIAGED = "triaged", _("Triaged")
    PRIORITISED = "prioritised", _("Prioritised")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    PARTLY_RESOLVED = "partly_resolved", _("Partly resolved")
    NOT_ACTIONABLE = "not_actionable", _("Not actionable")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("Referred elsewhere")
    REVIEWED = "reviewed", _("Reviewed")
    DECLINED = "declined", _("Declined")
    MERGED = "merged", _("Merged into another")


#: Stages shown as columns of the district board, in order.
BOARD_STAGES = [
    Status.REPORTED,
    Status.TRIAGED,
    Status.PRIORITISED,
    Status.PLANNED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.PARTLY_RESOLVED,
    Status.REVIEWED,
]
OPEN_STATUSES = frozenset({Status.REPORTED, Status.TRIAGED, Status.PRIORITISED, Status.PLANNED, Status.IN_PROGRESS})


class PublicStatus(models.TextChoices):
    """What the person holding a receipt code sees: never more than this."""

    RECEIVED = "received", _("Received")
    DISCUSSED = "discussed", _("Being discussed by the working group")
    AGREED = "agreed", _("Action agreed")
    CLOSED = "closed", _("Closed")


PUBLIC_STATUS: dict[str, str] = {
    Status.REPORTED: PublicStatus.RECEIVED,
    Status.TRIAGED: PublicStatus.RECEIVED,
    Status.PRIORITISED: PublicStatus.DISCUSSED,
    Status.PLANNED: PublicStatus.AGREED,
    Status.IN_PROGRESS: PublicStatus.AGREED,
}


class TextLanguage(models.TextChoices):
    TG = "tg", _("Tajik")
    RU = "ru", _("Russian")
    EN = "en", _("English")
    OTHER = "other", _("Other language")


def _member_group_concerns(grant: Any, user: Any) -> Q:
    """A working-group member sees the concerns of the groups they belong to today."""
    from hamkori.groups.models import WorkingGroup

    return Q(group__in=WorkingGroup.objects.visible_to(user).values("pk"))


def _referred_to_organisation(grant: Any, user: Any) -> Q:
    """A liaison sees only what was formally referred to their organisation."""
    if not grant.organisation_id:
        return Q(pk__in=[])
    return Q(
        pk__in=Referral.objects.filter(programme_id=grant.programme_id, organisation_id=grant.organisation_id).values(
            "concern_id"
        )
    )


class Concern(TimeStampedModel):
    # Indexes: every index is written by every public submission (the intake's hot path), so the
    # programme's and the district's own are left out (the composite indexes below lead with them) and
    # the columns a public submission leaves empty are indexed only where they are filled.
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="concerns", db_index=False
    )
    reference = models.CharField(_("reference"), max_length=20)
    description = models.TextField(_("description"))
    language = models.CharField(
        _("language of the description"), max_length=6, choices=TextLanguage.choices, default=TextLanguage.TG
    )
    district = models.ForeignKey(
        "places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    place = models.ForeignKey(
        "places.Place",
        verbose_name=_("jamoat or village"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    location_text = models.CharField(_("where, in words"), max_length=200, blank=True)
    drivers = models.ManyToManyField(Driver, verbose_name=_("drivers of insecurity"), blank=True, related_name="+")
    affected_groups = models.ManyToManyField(
        AffectedGroup, verbose_name=_("affected groups"), blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.CONSULTATION)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=12, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REPORTED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    owner = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("recorded by organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    group = models.ForeignKey(
        "groups.WorkingGroup",
        verbose_name=_("working group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="concerns",
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    evidence_links = models.JSONField(_("links to evidence"), default=list, blank=True)
    restricted_notes = models.TextField(_("restricted notes"), blank=True)
    decline_reason = models.TextField(_("reason"), blank=True)
    #: The "what was done" note shown with the receipt code and on the district's public page.
    public_note = models.TextField(_("what was done (public)"), blank=True)
    public_note_published_at = models.DateTimeField(null=True, blank=True)
    #: Public intake: the client-generated id of the form (sending it twice creates one concern, by
    #: this unique constraint) and the receipt code the person keeps.
    intake_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    receipt_code = models.CharField(max_length=16, null=True, blank=True, editable=False)  # unique: Meta
    #: The reporter's contact details, when given with consent, live in the vault under this key.
    reporter_key = models.UUIDField(null=True, blank=True, editable=False)  # unique: Meta

    scope = ScopeSpec(
        programme="programme",
        place="district",
        owner="owner",
        sensitivity="sensitivity",
        roles=FIELD_ROLES,
        extra={Role.GROUP_MEMBER: _member_group_concerns, Role.LIAISON: _referred_to_organisation},
    )
    objects = ScopedManager()

    class Meta:
        verbose_name = _("concern")
        verbose_name_plural = _("concerns")
        constraints = [
            models.UniqueConstraint(fields=["programme", "reference"], name="concern_reference_unique"),
            # A constraint rather than ``unique=True``: no second (pattern) index on PostgreSQL.
            models.UniqueConstraint(fields=["receipt_code"], name="concern_receipt_code_unique"),
            models.UniqueConstraint(
                fields=["reporter_key"], condition=Q(reporter_key__isnull=False), name="concern_reporter_key_unique"
            ),
        ]
        indexes = [
            *(
                models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"concern_{name}")
                for name in ("place", "owner", "group", "merged_into")
            ),
            models.Index(fields=["programme", "district", "status", "-created_at"], name="concern_board"),
            models.Index(fields=["programme", "status", "-created_at"], name="concern_status"),
            models.Index(fields=["programme", "-created_at"], name="concern_recent"),
            # Counts by stage for the board, a partner's scope and the triage queue, from the index alone.
            models.Index(
                fields=["programme", "district", "status", "source", "sensitivity", "owner"], name="concern_stage"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def public_status(self) -> str:
        return PUBLIC_STATUS.get(self.status, PublicStatus.CLOSED)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ConcernEvent(models.Model):
    """The timeline: one row per change to a concern (status, triage, merge, note, action, referral,
    sign-off, review, publication). ``restricted`` rows are shown to lead roles and the owning
    partner only, never to a liaison or a group member."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Recorded")
        STATUS = "status", _("Status changed")
        TRIAGED = "triaged", _("Triaged")
        UPDATED = "updated", _("Details changed")
        MERGED = "merged", _("Merged")
        NOTE = "note", _("Note")
        ROUND = "round", _("Prioritisation")
        ACTION = "action", _("Action")
        REFERRAL = "referral", _("Referral")
        SIGNOFF = "signoff", _("Sign-off")
        REVIEW = "review", _("Review")
        PUBLISHED = "published", _("Published")

    # Indexed by (concern, at) below; the actor only where there is one (none on a public submission).
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    text = models.TextField(blank=True)
    restricted = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["concern", "-at"]),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="concern_event_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.concern}: {self.kind}"


# --- Prioritisation --------------------------------------------------------------------------------
class Stakeholder(models.TextChoices):
    COMMUNITY = "community", _("Community")
    POLICE = "police", _("Police")
    AUTHORITY = "authority", _("Local authority")


class PrioritisationRound(TimeStampedModel):
    class State(models.TextChoices):
        OPEN = "open", _("Scoring")
        CLOSED = "closed", _("Decided")

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey("groups.WorkingGroup", verbose_name=_("working group"), on_delete=models.PROTECT)
    district = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("held on"))
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    criteria = models.ManyToManyField(Criterion, verbose_name=_("criteria"), related_name="+")
    concerns = models.ManyToManyField(Concern, verbose_name=_("shortlist"), related_name="rounds")
    decided_at = models.DateTimeField(null=True, blank=True)
    #: The decision: the shortlisted concerns the group chose (they became prioritised).
    chosen = models.ManyToManyField(Concern, verbose_name=_("chosen"), blank=True, related_name="+")

    scope = ScopeSpec(
        programme="programme",
        place="district",
        roles=FIELD_ROLES,
        extra={Role.GROUP_MEMBER: _member_group_concerns},
    )
    objects = ScopedManager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("prioritisation round")

    def __str__(self) -> str:
        return self.title


class Score(models.Model):
    """One stakeholder type's score of one shortlisted concern against one criterion (1 to 5)."""

    round = models.ForeignKey(PrioritisationRound, on_delete=models.CASCADE, related_name="scores")
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    stakeholder = models.CharField(max_length=10, choices=Stakeholder.choices)
    value = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "concern", "criterion", "stakeholder"], name="score_unique"),
            models.CheckConstraint(condition=Q(value__gte=1) & Q(value__lte=5), name="score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.concern_id}/{self.criterion_id}/{self.stakeholder}={self.value}"


# --- Actions and referrals -------------------------------------------------------------------------
def _owned_by_organisation(grant: Any, user: Any) -> Q:
    if not grant.organisation_id:
        return Q(pk__in=[])
    return Q(pk__in=ActionOwner.objects.filter(organisation_id=grant.organisation_id).values("action_id"))


class Action(TimeStampedModel):
    """Something that will be done, by whom, by when. Built for concerns; commitments made in
    dialogues (events) are actions too, with ``concern`` empty."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    concern = models.ForeignKey(
        Concern, verbose_name=_("concern"), null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    group = models.ForeignKey(
        "groups.WorkingGroup",
        verbose_name=_("working group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    title = models.CharField(_("what will be done"), max_length=300)
    due_on = models.DateField(_("due"))
    state = models.CharField(_("status"), max_length=12, choices=State.choices, default=State.OPEN)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    owners: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "orgs.Organisation", through="ActionOwner", verbose_name=_("owner organisations"), related_name="+"
    )
    #: The working group itself owns (part of) the action: its members may update it.
    group_owns = models.BooleanField(_("the working group owns it"), default=False)
    #: Shown on the district's public page once staff have checked it does no harm (names no one).
    public_text = models.CharField(_("public wording"), max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    scope = ScopeSpec(
        programme="programme",
        place="district",
        roles=FIELD_ROLES,
        extra={
            Role.GROUP_MEMBER: _member_group_concerns,
            Role.LIAISON: _owned_by_organisation,
        },
    )
    objects = ScopedManager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        indexes = [models.Index(fields=["programme", "state", "due_on"], name="action_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.state in (self.State.OPEN, self.State.IN_PROGRESS) and self.due_on < timezone.localdate()


def overdue_q(prefix: str = "") -> Q:
    """Open or in-progress actions whose due date has passed."""
    return Q(**{f"{prefix}state__in": [Action.State.OPEN, Action.State.IN_PROGRESS]}) & Q(
        **{f"{prefix}due_on__lt": timezone.localdate()}
    )


class ActionOwner(models.Model):
    """One owner of an action (a joint action has several), with its sign-off of the result."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="ownerships")
    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["action", "organisation"], name="action_owner_unique")]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.organisation_id}"


class ActionNote(models.Model):
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="notes")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("progress note"))
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=Action.State.choices, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]


def _referrals_to_organisation(grant: Any, user: Any) -> Q:
    return Q(organisation_id=grant.organisation_id) if grant.organisation_id else Q(pk__in=[])


class Referral(TimeStampedModel):
    """A formal hand-over of a concern to an authority (police, hukumat, jamoat, ...), with an
    acknowledgement and a response by a deadline. The liaison of that organisation sees the
    referral's message and the concern's non-identifying details, never the reporter or restricted notes."""

    class State(models.TextChoices):
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESPONDED = "responded", _("Responded")

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="referrals")
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    organisation = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("referred to"), on_delete=models.PROTECT, related_name="+"
    )
    message = models.TextField(_("what is asked"))
    respond_by = models.DateField(_("answer by"))
    state = models.CharField(_("status"), max_length=12, choices=State.choices, default=State.SENT)
    sent_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    response = models.TextField(_("response"), blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    scope = ScopeSpec(
        programme="programme",
        place="district",
        roles=FIELD_ROLES,
        extra={Role.LIAISON: _referrals_to_organisation},
    )
    objects = ScopedManager()

    class Meta:
        ordering = ["respond_by", "id"]
        indexes = [models.Index(fields=["organisation", "state", "respond_by"], name="referral_inbox")]

    def __str__(self) -> str:
        return f"{self.concern} → {self.organisation}"

    @property
    def is_overdue(self) -> bool:
        return self.state != self.State.RESPONDED and self.respond_by < timezone.localdate()


def referral_late_q() -> Q:
    """Referrals not answered yet whose answer date has passed (:attr:`Referral.is_overdue` in SQL)."""
    return ~Q(state=Referral.State.RESPONDED) & Q(respond_by__lt=timezone.localdate())


class SignOff(models.Model):
    """A sign-off that a concern is resolved: by its working group (``organisation`` empty) or by an
    authority that owned one of its actions."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="signoffs")
    organisation = models.ForeignKey(
        "orgs.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, choices=Status.choices)
    signed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["concern", "organisation"], name="signoff_once_per_org", condition=Q(organisation__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["concern"], name="signoff_once_by_group", condition=Q(organisation__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concern_id}: {self.organisation_id or 'group'}"


class Review(models.Model):
    """Whether people feel the problem is better: ratings before and after (1 very unsafe to 5 safe)."""

    concern = models.OneToOneField(Concern, on_delete=models.CASCADE, related_name="review")
    reviewed_on = models.DateField(_("reviewed on"))
    rating_before = models.PositiveSmallIntegerField(
        _("how safe people felt before (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_after = models.PositiveSmallIntegerField(
        _("how safe people feel now (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    what_changed = models.TextField(_("what changed"))
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.concern_id}: {self.rating_before}→{self.rating_after}"


class DistrictPage(models.Model):
    """The public accountability page of one district: published by staff after a do-no-harm check."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    do_no_harm_confirmed = models.BooleanField(default=False)
    introduction = models.TextField(_("introduction"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "district"], name="district_page_unique")]

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.district_id}"


class IntakeRate(models.Model):
    """Public intake's rate counters (``intake.rate_check``/``rate_count``), shared by every worker:
    one row per scope and client address (a keyed digest, never the address), counting the requests
    of the current window. One upsert per request, in the submission's own transaction."""

    key = models.CharField(max_length=64, primary_key=True)
    expires = models.BigIntegerField()  # the end of the counted window, in Unix seconds
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
