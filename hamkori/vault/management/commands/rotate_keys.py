"""``hamkori rotate-keys``: re-encrypt personal data and two-factor secrets under the newest key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hamkori.core import crypto
from hamkori.vault.services import vault_key_status, vault_rotate

PROCEDURE = """\
To change the personal-data key:
  1. generate a key: `uv run hamkori rotate-keys --generate` prints a fresh Fernet key;
  2. set HAMKORI_DATA_KEY=<new>,<old> (newest first) and restart every process;
  3. run `hamkori rotate-keys` (safe to stop and run again);
  4. when it reports every record under the new key, remove the old key and restart.
Keep a copy of every key as long as a backup made under it may be restored."""


class Command(BaseCommand):
    help = "Re-encrypt the personal-data vault and two-factor secrets under the newest data key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--generate", action="store_true", help="Print a fresh Fernet key and change nothing.")
        parser.add_argument("--batch-size", type=int, default=500, help="Records per transaction.")
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="Also recompute the name index of records already under the newest key "
            "(after the name-matching rules changed).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate"]:
            self.stdout.write(crypto.generate_key())
            self.stderr.write(PROCEDURE)
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        current = crypto.current_key_id()
        try:
            result = vault_rotate(actor=None, batch_size=options["batch_size"], reindex_all=options["reindex"])
        except ValueError as exc:
            raise CommandError(
                f"{exc} Put the old key back in HAMKORI_DATA_KEY (after the new one) and run again."
            ) from exc
        self.stdout.write(f"Vault records re-encrypted: {result.reencrypted}")
        self.stdout.write(f"Vault records re-indexed:   {result.reindexed}")
        self.stdout.write(f"TOTP secrets re-encrypted:  {result.totp_secrets}")
        self.stdout.write(f"Recovery-code seeds re-encrypted: {result.recovery_codes}")
        status = vault_key_status()
        for key, count in status.items():
            label = " (newest)" if key == current else " (OLD: rotation incomplete)"
            self.stdout.write(f"Records under key {key}{label}: {count}")
        configured = len(settings.HAMKORI_DATA_KEYS)
        if set(status) <= {current}:
            self.stdout.write(self.style.SUCCESS(f"Everything is under the newest key ({current})."))
            if configured > 1:
                self.stdout.write("The older key(s) may now be removed from HAMKORI_DATA_KEY.")
        self.stdout.write("")
        self.stdout.write(PROCEDURE)
