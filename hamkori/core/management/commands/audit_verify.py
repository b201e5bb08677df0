"""``hamkori audit-verify``: walk the audit log's hash chain; exit non-zero at the first broken link
or when the database's guard on the audit table is missing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from hamkori.core.audit import verify_chain
from hamkori.core.audit_chain import guard_installed


class Command(BaseCommand):
    help = "Check the audit log's hash chain and the database triggers that keep it append-only."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            reason = (
                _("it does not follow the event before it (an event was deleted, inserted or reordered)")
                if report.reason == "link"
                else _("its content no longer matches its hash (it was edited)")
            )
            raise CommandError(
                _("Audit chain broken at event #%(id)s: %(reason)s. %(checked)s events before it verified.")
                % {"id": report.broken_at, "reason": reason, "checked": report.checked}
            )
        if not guard_installed(connection):
            raise CommandError(
                _(
                    "The audit chain holds (%(checked)s events), but the database triggers that keep the audit table append-only are missing or disabled."
                )
                % {"checked": report.checked}
            )
        self.stdout.write(
            _("Audit chain intact: %(checked)s events; last hash %(head)s.")
            % {"checked": report.checked, "head": report.head}
        )
