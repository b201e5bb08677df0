"""Spreadsheet import and export of people: thin views over :mod:`hamkori.people.importers` and
:mod:`hamkori.people.exports` (the format, checks and writers are the kit's, :mod:`hamkori.kit`)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from hamkori.access.policy import decide, require
from hamkori.kit import spreadsheets
from hamkori.kit.exports import check_format, download, send_export, wants_hxl
from hamkori.people import exports, importers
from hamkori.people.forms import PlaceChoiceField, only_district, places_for
from hamkori.places.models import Place
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

SESSION_RESULT = "hamkori_people_import"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file (.csv), at most 5 MB and 5,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    place = PlaceChoiceField(
        queryset=Place.objects.none(),
        required=False,
        label=gettext_lazy("Place of the rows that leave it empty"),
        help_text=gettext_lazy("Optional. A row with its own place keeps it."),
    )

    def __init__(self, *args: Any, user: Any, programme: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        step = importers.import_step()
        if step is not None:  # the target the registered step adds everyone to (a working group)
            self.fields[step.field_name] = step.form_field(user, programme)
        self.fields["place"].queryset = places_for(programme, user)  # type: ignore[attr-defined]
        district = only_district(programme, user)
        if district is not None and not self.is_bound and "place" not in self.initial:
            self.initial["place"] = district.pk

    def target(self) -> Any:
        step = importers.import_step()
        return self.cleaned_data.get(step.field_name) if step is not None else None


def _upload_limit(request: HttpRequest) -> spreadsheets.LimitedUploadHandler | None:
    return next((h for h in request.upload_handlers if isinstance(h, spreadsheets.LimitedUploadHandler)), None)


def _decisions(request: HttpRequest) -> dict[int, str]:
    """The choices sent for rows with likely duplicates: ``decide-<row>`` = ``new``, ``p<pk>`` or
    ``r<row>`` (checked against the candidates found again by the import, never trusted as such)."""
    found: dict[int, str] = {}
    for key, value in request.POST.items():
        number = key.removeprefix("decide-")
        if key.startswith("decide-") and number.isdigit() and len(number) < 7:
            found[int(number)] = str(value)[:24]
    return found


@csrf_protect
@programme_view(action="person.import")
def _people_import(request: ProgrammeRequest) -> HttpResponse:
    programme = request.programme
    require(request.user, "person.import", programme)
    step = importers.import_step()
    result = None
    limit = _upload_limit(request)
    if request.method == "POST" and limit is not None and request.FILES is not None and limit.stopped:
        # Refused while it streamed in: what arrived is dropped, nothing is read or written.
        form = ImportForm(user=request.user, programme=programme)
        result = importers.PeopleImport(problem=spreadsheets.too_large_message())
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES, user=request.user, programme=programme)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            target = form.target()
            try:
                spreadsheets.check_upload(upload.name, upload.size, upload.content_type)
            except spreadsheets.FileRejected as exc:
                result = importers.PeopleImport(target=target, problem=exc.message)
            else:
                result = importers.import_people(
                    actor=request.user,
                    programme=programme,
                    filename=upload.name,
                    data=upload.read(),
                    content_type=upload.content_type,
                    target=target,
                    default_place=form.cleaned_data["place"],
                    decisions=_decisions(request),
                    decisions_for=request.POST.get("upload_sha256", "")[:64],
                )
            if result.ok:
                # Post/redirect/get: reloading the page must not import the file twice.
                request.session[SESSION_RESULT] = result.summary()
                return redirect("people_import", programme.code)
    else:
        initial = {}
        target_id = request.GET.get(step.field_name, "") if step is not None else ""
        form = ImportForm(user=request.user, programme=programme)
        if step is not None and target_id.isdigit():
            choices = form.fields[step.field_name].queryset  # type: ignore[attr-defined]
            initial[step.field_name] = choices.filter(pk=int(target_id)).first()
            form = ImportForm(user=request.user, programme=programme, initial=initial)
    return render(
        request,
        "people/import.html",
        {
            "form": form,
            "result": result,
            "done": request.session.pop(SESSION_RESULT, None) if request.method == "GET" else None,
            "formats": spreadsheets.FORMATS,
            "max_rows": spreadsheets.MAX_ROWS,
        },
    )


@csrf_exempt  # only to put the upload limit in place first: the CSRF check runs in _people_import
@wraps(_people_import)
def people_import(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The import page. An upload is refused as soon as it is known to be too large, before it
    has been read in full (:class:`hamkori.kit.spreadsheets.LimitedUploadHandler`)."""
    if request.method == "POST":
        request.upload_handlers = [spreadsheets.LimitedUploadHandler(request), *request.upload_handlers]
    return _people_import(request, *args, **kwargs)


@programme_view(action="person.import")
def people_import_template(request: ProgrammeRequest, fmt: str) -> HttpResponse:
    programme = request.programme
    check_format(fmt)
    require(request.user, "person.import", programme)
    content = spreadsheets.render(importers.template_sheets(programme), fmt)
    return download(content, fmt, f"{programme.code}-people-template")


@programme_view(action="programme.export")
def people_export(request: ProgrammeRequest, fmt: str) -> HttpResponse:
    programme = request.programme
    check_format(fmt)
    export: dict[str, Any] = {
        "actor": request.user,
        "programme": programme,
        "fmt": fmt,
        "action": "person.export",
        "hxl": wants_hxl(request),
    }
    if not decide(request.user, "person.export", programme):
        sheet = exports.people_aggregate_sheet(programme=programme)
        return send_export(sheet=sheet, name="people-by-district", aggregate=True, **export)
    require(request.user, "person.export", programme)
    filters = {k: request.GET.get(k, "").strip()[:100] for k in exports.EXPORT_FILTERS}
    sheet = exports.people_sheet(actor=request.user, programme=programme, filters=filters, today=timezone.localdate())
    used = {k: v for k, v in filters.items() if v}
    return send_export(sheet=sheet, name="people", aggregate=False, filters=used, **export)
