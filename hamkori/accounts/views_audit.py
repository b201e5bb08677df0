from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.apps import apps
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hamkori.accounts import audit_text
from hamkori.core.models import AuditEvent
from hamkori.kit.exports import check_format, send_export
from hamkori.kit.forms import ISODateInput
from hamkori.kit.spreadsheets import Sheet
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=ISODateInput)
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=ISODateInput)
    person = forms.CharField(label=gettext_lazy("Person code"), required=False, max_length=20)
    actor = forms.CharField(label=gettext_lazy("Who"), required=False, max_length=254)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("any")), *audit_text.action_choices()]  # type: ignore[attr-defined]
        self.fields["outcome"].choices = [("", _("any")), *AuditEvent.Outcome.choices]  # type: ignore[attr-defined]


def _events(request: ProgrammeRequest, form: AuditFilterForm) -> QuerySet[AuditEvent]:
    """The programme's events (installation-level ones for installation administrators), filtered."""
    programme = request.programme
    scope = Q(programme=programme)
    if request.user.is_superuser:
        scope |= Q(programme__isnull=True)
    events = AuditEvent.objects.filter(scope).select_related("actor")
    if not form.is_valid():
        return events.none()
    data = form.cleaned_data
    tz = timezone.get_current_timezone()
    if data["since"]:
        events = events.filter(occurred_at__gte=dt.datetime.combine(data["since"], dt.time.min, tzinfo=tz))
    if data["until"]:
        events = events.filter(
            occurred_at__lt=dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    if data["actor"]:
        events = events.filter(
            Q(actor_label__icontains=data["actor"]) | Q(actor__display_name__icontains=data["actor"])
        )
    if data["action"]:
        events = events.filter(Q(action=data["action"]) | Q(action=f"{data['action']}.denied"))
    if data["outcome"]:
        events = events.filter(outcome=data["outcome"])
    if data["person"]:
        person_model = apps.get_model("people", "Person")
        people = list(person_model.objects.filter(programme=programme, code__iexact=data["person"].strip()))
        match = Q(pk__in=[])
        for person in people:
            key = str(person.vault_key)
            match |= Q(object_type="people.person", object_id=str(person.pk)) | Q(object_id=key)
            match |= Q(summary_text__contains=key)  # one vault read of many people lists their keys
        events = events.annotate(summary_text=Cast("summary", TextField()))
        events = events.filter(match) if people else events.none()
    return events


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    codes = audit_text.codes_for(audit_text.vault_keys(events))
    return [
        {"event": e, "sentence": audit_text.sentence(e, codes), "details": audit_text.details(e.summary)}
        for e in events
    ]


@programme_view(action="auditevent.view")
def audit_list(request: ProgrammeRequest) -> HttpResponse:
    """The programme's audit trail: the events recorded in this programme only. What its users did
    elsewhere belongs to the other programmes' logs; installation-level events (sign-ins, tokens,
    shared organisations) are shown to installation administrators only. Each event is a sentence in
    the reader's language (``accounts.audit_text``)."""
    form = AuditFilterForm(request.GET or None)
    if not request.GET:
        form = AuditFilterForm({})
    events = _events(request, form)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_list.html",
        {
            "page": page,
            "rows": _rows(list(page)),
            "form": form,
            "query": query.urlencode(),
            "params": {k: v for k, v in query.items() if v},
        },
    )


@programme_view(action="auditevent.view")
def audit_export(request: ProgrammeRequest, fmt: str) -> HttpResponse:
    """The filtered events as a spreadsheet; the export is itself audited."""
    check_format(fmt)
    programme = request.programme
    form = AuditFilterForm(request.GET or {})
    events = list(_events(request, form)[:10000])
    rows = _rows(events)
    sheet = Sheet(
        title=_("Audit log"),
        header=[_("When"), _("Who"), _("What happened"), _("Details"), _("From")],
        rows=[
            [
                timezone.localtime(r["event"].occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                r["event"].actor_label,
                r["sentence"],
                r["details"],
                r["event"].ip_address or "",
            ]
            for r in rows
        ],
    )
    filters = {k: str(v) for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    return send_export(
        actor=request.user,
        programme=programme,
        sheet=sheet,
        fmt=fmt,
        action="auditevent.export",
        name="audit",
        aggregate=False,
        filters=filters,
    )
