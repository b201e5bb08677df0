from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hamkori.access.policy import ScopedManager, ScopeSpec
from hamkori.core.models import TimeStampedModel
from hamkori.core.roles import Role


class BalancePolicy(models.Model):
    """A programme's representation rules for its working groups (configuration, not code).

    One policy per programme and kind of group: ``kind`` empty is the programme-wide policy, which a kind
    of group without rules of its own follows (a partnership team needs police and local authority, a
    CWG the programme's sectors)."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE, related_name="balance_policies")
    kind = models.CharField(
        _("kind of group"),
        max_length=20,
        blank=True,
        default="",
        help_text=_("Empty: the rules for every kind of group that has none of its own."),
    )
    women_target_percent = models.PositiveSmallIntegerField(
        _("target share of women (%)"), default=50, validators=[MaxValueValidator(100)]
    )
    women_minimum_percent = models.PositiveSmallIntegerField(
        _("minimum share of women to activate (%)"), default=40, validators=[MaxValueValidator(100)]
    )
    youth_max_age = models.PositiveSmallIntegerField(
        _("young people: up to age"), default=30, validators=[MinValueValidator(14), MaxValueValidator(40)]
    )
    minimum_members = models.PositiveSmallIntegerField(_("minimum members to activate"), default=7)
    required_sectors = models.ManyToManyField(
        "people.Sector", verbose_name=_("sectors every working group must include"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("balance policy")
        constraints = [models.UniqueConstraint(fields=["programme", "kind"], name="balance_policy_per_kind")]

    def __str__(self) -> str:
        return f"{self.programme} {self.kind}".strip()


# --- The rules of a membership's dates: one definition each ------------------------------------
#
# A membership covers the half-open interval [joined_on, left_on): it counts on the day the person
# joined, not on the day they left (left_on is the first day they are no longer a member; None:
# still open). So a membership that ends on day D and one that starts on day D do not overlap; they
# *meet*. A membership with joined_on == left_on covers no day at all.


def current_q(on: dt.date, prefix: str = "") -> Q:
    """The condition "a current membership on ``on``" (joined on or before, not yet left), for
    Membership rows or, with ``prefix`` (e.g. ``"memberships__"``), across a relation."""
    return Q(**{f"{prefix}joined_on__lte": on}) & (
        Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": on})
    )


def memberships_overlap(
    a_start: dt.date, a_end: dt.date | None, b_start: dt.date, b_end: dt.date | None, *, meeting: bool = False
) -> bool:
    """Whether two memberships' intervals ``[start, end)`` share a day (``end`` None: open).

    Ending on day D and starting on day D do not overlap (the first ends where the second begins).
    With ``meeting=True`` such touching intervals count too: merging two records of one person
    joins memberships that overlap or meet into one."""
    if meeting:
        return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)
    return (a_end is None or b_start < a_end) and (b_end is None or a_start < b_end)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, on: dt.date | None = None) -> MembershipQuerySet:
        """Memberships current on ``on`` (default: today), see :func:`current_q`."""
        return self.filter(current_q(on or timezone.localdate()))


def _member_groups(grant: Any, user: Any) -> Q:
    """A working-group member sees the groups where the person linked to their account
    (``Person.account``) is a member today; the grant's districts still apply on top."""
    today = timezone.localdate()
    current = Membership.objects.current(today).filter(
        person__account=user,
        person__programme_id=grant.programme_id,
        person__merged_into__isnull=True,
    )
    return Q(pk__in=current.values("group_id"))


class WorkingGroup(TimeStampedModel):
    class Kind(models.TextChoices):
        CWG = "cwg", _("Cross-sectoral working group")
        PARTNERSHIP_TEAM = "partnership_team", _("Community-police partnership team")
        PUBLIC_COUNCIL = "public_council", _("Public council")
        OTHER = "other", _("Other group")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        FORMING = "forming", _("Forming")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    #: The lifecycle: proposed → forming → active ⇄ suspended → closed.
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        "proposed": ("forming", "closed"),
        "forming": ("active", "closed"),
        "active": ("suspended", "closed"),
        "suspended": ("active", "closed"),
        "closed": (),
    }

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="working_groups")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CWG)
    name = models.CharField(_("name"), max_length=200)
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    host_organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("host organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("facilitated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    status_changed_at = models.DateTimeField(default=timezone.now)

    scope = ScopeSpec(
        programme="programme",
        place="district",
        roles=frozenset({Role.ADMIN, Role.STAFF, Role.PARTNER}),
        extra={Role.GROUP_MEMBER: _member_groups},
    )
    objects = ScopedManager()

    class Meta:
        ordering = ["district__path", "name"]
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        constraints = [models.UniqueConstraint(fields=["programme", "district", "name"], name="group_name_unique")]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return self.name


class StatusChange(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=WorkingGroup.Status.choices)
    to_status = models.CharField(max_length=10, choices=WorkingGroup.Status.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField(_("justification"), blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.group}: {self.from_status} → {self.to_status}"


class Membership(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        SECRETARY = "secretary", _("Secretary")
        MEMBER = "member", _("Member")

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    sector = models.ForeignKey(
        "people.Sector",
        verbose_name=_("sector represented"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["group", "joined_on", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")), name="membership_dates_ordered"
            ),
            models.UniqueConstraint(fields=["group", "person", "joined_on"], name="membership_unique_start"),
        ]
        indexes = [models.Index(fields=["group", "left_on"])]

    def __str__(self) -> str:
        return f"{self.person} in {self.group}"
