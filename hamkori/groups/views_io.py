"""Export of working groups: rows for those allowed, protected member counts for everyone else."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from hamkori.access.policy import decide
from hamkori.groups import exports
from hamkori.groups.balance import reporting_date
from hamkori.kit.exports import check_format, send_export, wants_hxl
from hamkori.programmes.models import Programme
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


def reporting_day(programme: Programme, today: dt.date) -> dt.date:
    """The reporting date (a quarter end) whose counts an aggregate export of ``today`` shows."""
    return reporting_date(programme, today, today)


@programme_view(action="programme.export")
def groups_export(request: ProgrammeRequest, fmt: str) -> HttpResponse:
    programme = request.programme
    check_format(fmt)
    today = timezone.localdate()
    export: dict[str, Any] = {
        "actor": request.user,
        "programme": programme,
        "fmt": fmt,
        "action": "workinggroup.export",
        "hxl": wants_hxl(request),
    }
    if not decide(request.user, "workinggroup.export", programme):
        # As of the last reporting date, not today: exports on two days must not be subtracted.
        sheet = exports.members_aggregate_sheet(programme=programme, today=reporting_day(programme, today))
        return send_export(sheet=sheet, name="group-members-by-district", aggregate=True, **export)
    sheet = exports.groups_sheet(actor=request.user, programme=programme, today=today)
    return send_export(sheet=sheet, name="working-groups", aggregate=False, **export)
