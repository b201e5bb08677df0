"""Events (meetings, trainings, dialogues, performances), who came to them and what was promised there.

See docs/adr/0010-events-and-attendance.md. One row of ``Attendance`` is one *participation* of one
registered person; ``Tally`` counts people nobody registers (an audience) by sex × age band × role.
Reports count participations and **distinct people reached** separately. Commitments made in dialogues are
``concerns.Action`` rows (one overdue logic, one follow-up place) linked through ``Commitment``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ScopedManager, ScopeSpec
from hamkori.concerns.models import ProgrammeTerm
from hamkori.core.models import Sensitivity, TimeStampedModel
from hamkori.core.roles import FIELD_ROLES, Role
from hamkori.people.models import AgeBand, Sex

#: Agenda, minutes and decisions longer than this are refused with a clear error.
MAX_TEXT = 20000


class Category(models.TextChoices):
    """What the software does with a kind of event: trainings get topics and test scores, dialogues get
    commitments. A programme names its own kinds; each kind has one category."""

    MEETING = "meeting", _("Meeting")
    TRAINING = "training", _("Training")
    DIALOGUE = "dialogue", _("Dialogue")
    WORKSHOP = "workshop", _("Workshop")
    PERFORMANCE = "performance", _("Performance")
    OTHER = "other", _("Other")


class EventKind(ProgrammeTerm):
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, default=Category.MEETING)

    class Meta(ProgrammeTerm.Meta):
        verbose_name = _("kind of event")
        verbose_name_plural = _("kinds of event")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="event_kind_code_unique")]


class TrainingTopic(ProgrammeTerm):
    class Meta(ProgrammeTerm.Meta):
        verbose_name = _("training topic")
        verbose_name_plural = _("training topics")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="training_topic_code_unique")]


class AttendeeRole(ProgrammeTerm):
    """In what capacity someone took part (community member, CWG member, police, local authority, ...)."""

    class Meta(ProgrammeTerm.Meta):
        verbose_name = _("attendee role")
        verbose_name_plural = _("attendee roles")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="attendee_role_code_unique")]


class Level(models.TextChoices):
    COMMUNITY = "community", _("Community")
    DISTRICT = "district", _("District")
    REGIONAL = "regional", _("Regional")
    NATIONAL = "national", _("National")


class Status(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class EventLanguage(models.TextChoices):
    TG = "tg", _("Tajik")
    RU = "ru", _("Russian")
    EN = "en", _("English")


def _member_group_events(grant: Any, user: Any) -> Q:
    """A working-group member sees the events of the groups they belong to today."""
    from hamkori.groups.models import Membership

    current = Membership.objects.current().filter(
        person__account=user, person__programme_id=grant.programme_id, person__merged_into__isnull=True
    )
    return Q(groups__in=current.values("group_id"))


def _liaison_events(grant: Any, user: Any) -> Q:
    """A police or authority liaison sees the events their organisation organised and the dialogues
    where it owns a commitment."""
    if not grant.organisation_id:
        return Q(pk__in=[])
    return Q(organiser_id=grant.organisation_id) | Q(
        commitments__action__ownerships__organisation_id=grant.organisation_id
    )


class Event(TimeStampedModel):
    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="events")
    kind = models.ForeignKey(EventKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="events")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.DISTRICT)
    title = models.CharField(_("title"), max_length=200)
    #: Stored in UTC, entered and shown in the programme's time zone.
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    #: Where: a village, jamoat, district, region or the country (for national events).
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    #: The district the place lies in (empty for regional and national events): what district
    #: reports and access by district use.
    district = models.ForeignKey(
        "places.Place", verbose_name=_("district"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    language = models.CharField(
        _("language of the event"), max_length=2, choices=EventLanguage.choices, default=EventLanguage.TG
    )
    organiser = models.ForeignKey(
        "orgs.Organisation", verbose_name=_("organised by"), on_delete=models.PROTECT, related_name="+"
    )
    facilitators = models.ManyToManyField(
        "people.Person", verbose_name=_("facilitators"), blank=True, related_name="facilitated_events"
    )
    groups = models.ManyToManyField(
        "groups.WorkingGroup", verbose_name=_("working groups"), blank=True, related_name="events"
    )
    concerns = models.ManyToManyField(
        "concerns.Concern", verbose_name=_("concerns discussed"), blank=True, related_name="discussed_at"
    )
    topics = models.ManyToManyField(TrainingTopic, verbose_name=_("training topics"), blank=True, related_name="+")
    #: Trainings: the test's scale (scores from 0 to this).
    test_max_score = models.PositiveSmallIntegerField(
        _("highest test score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    cancel_reason = models.TextField(_("why it was cancelled"), blank=True)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=12, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )

    scope = ScopeSpec(
        programme="programme",
        place="place",
        owner="organiser",
        sensitivity="sensitivity",
        roles=FIELD_ROLES,
        extra={Role.GROUP_MEMBER: _member_group_events, Role.LIAISON: _liaison_events},
    )
    objects = ScopedManager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gte=F("starts_at")), name="event_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["programme", "starts_at"], name="event_when"),
            models.Index(fields=["programme", "district", "starts_at"], name="event_district_when"),
            models.Index(fields=["programme", "kind", "starts_at"], name="event_kind_when"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_training(self) -> bool:
        return self.kind.category == Category.TRAINING

    @property
    def is_dialogue(self) -> bool:
        return self.kind.category == Category.DIALOGUE


class Attendance(models.Model):
    """One registered person's participation in one event, with their role and organisation at the time
    and, for trainings, their pre- and post-test scores.

    ``programme``, ``district``, ``held_on``, ``sex`` and ``age_band`` are copied from the event and the
    person when the row is written (by the services only), so a district's participation summary for a
    year reads one index, not three tables."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="attendances")
    role = models.ForeignKey(
        AttendeeRole, verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pre_score = models.PositiveSmallIntegerField(_("pre-test score"), null=True, blank=True)
    post_score = models.PositiveSmallIntegerField(_("post-test score"), null=True, blank=True)
    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField()
    sex = models.CharField(max_length=6, choices=Sex.choices)
    age_band = models.CharField(max_length=6, choices=AgeBand.choices)
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="attendance_once_per_event"),
            models.CheckConstraint(
                condition=Q(post_score__isnull=True) | Q(pre_score__isnull=False), name="attendance_post_needs_pre"
            ),
        ]
        # Covering indexes of the participation summary: a district's (or the programme's) period is read
        # from the index alone, people, sex, age band and event included (benchmarks/events_scale.py).
        indexes = [
            models.Index(
                fields=["programme", "district", "held_on", "person", "sex", "age_band", "event"],
                name="attendance_district_people",
            ),
            models.Index(
                fields=["programme", "held_on", "person", "sex", "age_band", "event"], name="attendance_when_people"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.person_id}"


class Tally(models.Model):
    """People nobody registers (an audience, a community meeting), counted by sex × age band × role."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="tallies")
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    age_band = models.CharField(_("age band"), max_length=6, choices=AgeBand.choices)
    role = models.ForeignKey(AttendeeRole, verbose_name=_("role"), on_delete=models.PROTECT, related_name="+")
    count = models.PositiveIntegerField(_("number of people"))

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")
        constraints = [
            models.UniqueConstraint(fields=["event", "sex", "age_band", "role"], name="tally_cell_unique"),
            models.CheckConstraint(condition=Q(count__gte=0), name="tally_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.sex} {self.age_band} {self.role_id} = {self.count}"


class Commitment(models.Model):
    """A promise made at an event (mostly a dialogue): the action that tracks it lives in the community
    security cycle (``concerns.Action``, with ``concern`` empty), so overdue logic, progress notes, home items
    and the district's overdue list are the same for both."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="commitments")
    action = models.OneToOneField("concerns.Action", on_delete=models.PROTECT, related_name="commitment")
    #: Who made the promise in the room, in words ("Deputy chairman of the district", ...); owners are
    #: the action's owner organisations.
    made_by = models.CharField(_("promised by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self) -> str:
        return str(self.action_id)


class EventFile(models.Model):
    """Minutes, a signed sheet, a photo: stored outside the static root under a name the server chose,
    served only to those who may see the event, as an attachment."""

    class Kind(models.TextChoices):
        MINUTES = "minutes", _("Minutes")
        SIGN_IN = "sign_in", _("Signed attendance sheet")
        PHOTO = "photo", _("Photo")
        OTHER = "other", _("Other document")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(_("kind of file"), max_length=10, choices=Kind.choices)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    #: The name as uploaded, cleaned, shown to people and used for the download (never for storage).
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("file")
        verbose_name_plural = _("files")

    def __str__(self) -> str:
        return self.original_name


class CalendarFeed(models.Model):
    """A user's private calendar address (ICS). Only a digest of the secret is kept; revoking deletes
    the row, so the old address answers 404."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="calendar_feeds")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")

    def __str__(self) -> str:
        return f"{self.user_id}"
