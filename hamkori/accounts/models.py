from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hamkori.core.roles import Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Signs in by email; holds roles per programme (RoleAssignment)."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("name shown to colleagues"), max_length=120, blank=True)
    preferred_language = models.CharField(
        _("language"), max_length=5, choices=[("tg", "Тоҷикӣ"), ("ru", "Русский"), ("en", "English")], default="tg"
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may open the Django admin"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    locked_reason = models.CharField(_("reason for locking"), max_length=200, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class RoleAssignment(models.Model):
    """A user's role in one programme, for a set of places (partners, group members, liaisons),
    on behalf of an organisation. Revoked assignments are kept for the record."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_assignments")
    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        "orgs.Organisation",
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    places = models.ManyToManyField("places.Place", verbose_name=_("districts"), blank=True, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "programme"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_role_per_programme",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class Invitation(models.Model):
    """A link an administrator sends so a new user can set a password. Only a hash of the token is
    stored; a link works once, until it expires."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations")
    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="+")
    invited_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.user.email} ({self.created_at:%Y-%m-%d})"


def api_token_expiry() -> dt.datetime:
    """When a token created now stops working (``HAMKORI_API_TOKEN_DAYS``)."""
    return timezone.now() + dt.timedelta(days=settings.HAMKORI_API_TOKEN_DAYS)


class ApiToken(models.Model):
    """A personal API token (``Authorization: Bearer <token>``). Only its hash is stored. It expires;
    locking the account, a new password and a removed or reset second factor revoke every token of
    the user at once, and so does revoking their last role."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12)
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), default=api_token_expiry)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
