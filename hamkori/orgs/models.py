from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hamkori.core.models import TimeStampedModel, TrilingualName


class Organisation(TrilingualName, TimeStampedModel):
    """Any body the programme works with: the lead NGO, partners, donors, authorities, police ..."""

    class Kind(models.TextChoices):
        LEAD = "lead", _("Lead organisation")
        PARTNER = "partner", _("Partner organisation")
        DONOR = "donor", _("Donor")
        AUTHORITY = "authority", _("Local or national authority")
        POLICE = "police", _("Police")
        PUBLIC_COUNCIL = "public_council", _("Public council")
        COMMUNITY_GROUP = "community_group", _("Community group")
        MEDIA = "media", _("Media")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    place = models.ForeignKey(
        "places.Place", verbose_name=_("based in"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name_en", "name_ru"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(fields=["kind", "name_en"], name="org_unique_kind_name_en"),
        ]
