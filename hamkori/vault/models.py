"""The vault's two tables. Neither holds a plaintext column: ``VaultRecord.ciphertext`` is a Fernet
token of the person's details, ``NameToken.digest`` a keyed hash of one normalised name token.

Other apps refer to a person's vault record only by ``subject_key`` (a random UUID); they never join
these tables. Read and write them only through :mod:`hamkori.vault.services`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hamkori.core.models import TimeStampedModel


class VaultRecord(TimeStampedModel):
    subject_key = models.UUIDField(_("subject key"), unique=True, editable=False)
    ciphertext = models.TextField(_("ciphertext"), editable=False)
    key_id = models.CharField(
        _("key fingerprint"),
        max_length=16,
        db_index=True,
        editable=False,
        help_text=_("Which data key encrypted this record (a fingerprint, not the key)."),
    )

    class Meta:
        verbose_name = _("vault record")
        verbose_name_plural = _("vault records")

    def __str__(self) -> str:
        # Audit events copy this: it must never show the personal data.
        return f"vault record {self.subject_key}"


class NameToken(models.Model):
    """One blind-index entry: the keyed hash of one token of the record's normalised full name."""

    record = models.ForeignKey(VaultRecord, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("record"))
    digest = models.CharField(_("digest"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("name token")
        verbose_name_plural = _("name tokens")
        constraints = [models.UniqueConstraint(fields=["record", "digest"], name="vault_nametoken_unique")]

    def __str__(self) -> str:
        return self.digest
