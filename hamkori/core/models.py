"""Base models shared by every domain app, and the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    RESTRICTED = "restricted", _("Restricted")


def localized(obj: Any, field: str) -> str:
    """The value of ``field_<lang>`` in the active language, falling back en → ru → tg."""
    lang = (get_language() or "en")[:2]
    for code in (lang, "en", "ru", "tg"):
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return str(value)
    return ""


class TrilingualName(models.Model):
    """A name in Tajik, Russian and English; ``name`` answers in the active language."""

    name_tg = models.CharField(_("name (Tajik)"), max_length=200, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Who did or saw what, when, from where. Written by services, views of restricted records and
    exports (see ``hamkori.core.audit``). The application never edits or deletes one, and the
    database refuses to (triggers); each event is chained to the one before by its hash."""

    class Outcome(models.TextChoices):
        OK = "ok", _("done")
        DENIED = "denied", _("refused")

    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OK)
    programme = models.ForeignKey(
        "programmes.Programme", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    summary = models.JSONField(_("summary of change"), default=dict, blank=True)
    # The hash chain (``hamkori.core.audit_chain``): the previous event's hash, and this one's.
    prev_hash = models.CharField(_("hash of the previous event"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")
