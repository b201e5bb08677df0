"""The vault's two tables. Neither holds a plaintext column: ``VaultRecord.ciphertext`` is a Fernet
token of the person's details, ``NameToken.digest`` a truncated keyed hash of one normalised name
token in the person's programme.

Other apps refer to a person's vault record only by a subject key (a random UUID); the vault stores
only a keyed hash of it (:class:`~hamkori.vault.fields.SubjectRefField`), and its rows carry random
ids and no timestamps, so that a copy of the database cannot line them up with the people they
belong to. Read and write them only through :mod:`hamkori.vault.services`.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from hamkori.vault.fields import SubjectRefField


def random_id() -> int:
    """A random primary key: sequential ids would give away the order records were written in,
    and with it which person each belongs to."""
    return secrets.randbelow(2**62) + 1


class VaultRecord(models.Model):
    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    subject_key = SubjectRefField(_("subject key"), unique=True, editable=False)
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
        # Audit events copy this: it must never show the personal data, nor the stored reference
        # (which would let the audit log join a subject key to its vault row).
        return "vault record"


class NameToken(models.Model):
    """One blind-index entry: the bucket (truncated keyed hash) of one token of the record's
    normalised full name."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    record = models.ForeignKey(VaultRecord, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("record"))
    digest = models.CharField(_("digest"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("name token")
        verbose_name_plural = _("name tokens")
        constraints = [models.UniqueConstraint(fields=["record", "digest"], name="vault_nametoken_unique")]

    def __str__(self) -> str:
        return self.digest
