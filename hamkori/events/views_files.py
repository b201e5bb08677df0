"""An event's paper and files: uploads (minutes, signed sheets, photos), their download and removal, the
printable sign-in sheet, and the attendance workbook (template and import). Mounted under
``/p/<code>/events/`` (``urls_files.py``). The files panel of the event's page
(:func:`files_panel`, registered in ``EventsConfig.ready``) links here.

Thin views: parse, fetch the event through the scope (``get_for_user``), one service, render or redirect.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, cast
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, deny, get_for_user, require
from hamkori.events import attendance_sheets, sheets, uploads
from hamkori.events.models import Event, EventFile
from hamkori.events.panels import EventPanel
from hamkori.kit import spreadsheets
from hamkori.kit.exports import download
from hamkori.kit.pages import form_then_service, render_page
from hamkori.programmes.views_access import ProgrammeRequest, programme_view

SESSION_RESULT = "hamkori_event_attendance_import"


# --- The panel on the event's page -----------------------------------------------------------------
class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What is it?"), choices=EventFile.Kind.choices)
    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join("." + e for e in uploads.ALL_EXTENSIONS)}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].initial = EventFile.Kind.SIGN_IN
        limits = uploads.limits()
        self.fields["file"].help_text = _(
            "Photos: JPEG, PNG or WebP, at most %(image)s (location and camera data are removed). "
            "Minutes and documents: PDF, Word (.docx), OpenDocument (.odt) or text, at most %(document)s."
        ) % {"image": filesizeformat(limits["image"]), "document": filesizeformat(limits["document"])}


def _files_context(user: Any, event: Event, form: UploadForm | None = None) -> dict[str, Any]:
    files = list(event.files.select_related("uploaded_by").order_by("-uploaded_at", "-id"))
    uploaders: dict[Any, Any] = {}
    for f in files:  # one user object per uploader: their grants are read once, not once per file
        if f.uploaded_by_id is not None:
            f.uploaded_by = uploaders.setdefault(f.uploaded_by_id, f.uploaded_by)
    may_change = bool(decide(user, "event.change", event))
    rows = [{"file": f, "may_delete": may_change and bool(decide(user, "event.file.delete", f))} for f in files]
    return {
        "event": event,
        "file_rows": rows,
        "may_upload": may_change,
        "may_import": may_change,
        "upload_form": form if form is not None else (UploadForm() if may_change else None),
        "kinds": EventFile.Kind,
    }


def files_panel(user: Any, event: Event) -> list[EventPanel]:
    """The event page's "Paper and files" section: for those who may see who took part."""
    if event is None or not decide(user, "event.file.view", event):
        return []
    return [EventPanel(priority=70, template="events/_files_panel.html", context=_files_context(user, event))]


# --- Helpers -----------------------------------------------------------------------------------------
def _event(request: ProgrammeRequest, pk: int) -> Event:
    return get_for_user(request.user, Event, pk=pk, programme=request.programme)


def _people_event(request: ProgrammeRequest, pk: int) -> Event:
    """The event, for someone who may open its papers (``event.file.view``); anyone else gets the 404 of
    a record that does not exist (files and sheets carry names, signatures and faces)."""
    event = _event(request, pk)
    decision = decide(request.user, "event.file.view", event)
    if not decision:
        deny(request.user, "event.file.view", event, decision.reason, hide=True)
    return event


def _event_page(event: Event) -> str:
    """The event's page when the events pages are mounted, else its files page."""
    try:
        return reverse("event_detail", args=[event.programme.code, event.pk])
    except NoReverseMatch:
        return reverse("event_files", args=[event.programme.code, event.pk])


def _back(request: HttpRequest, event: Event) -> str:
    target = str(request.POST.get("next", ""))[:500]
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return _event_page(event) + "#files"


# --- Files -----------------------------------------------------------------------------------------
@programme_view(action="event.view")
def event_files(request: ProgrammeRequest, pk: int) -> HttpResponse:
    event = _people_event(request, pk)
    context = _files_context(request.user, event) | {"event_url": _event_page(event)}
    return render_page(request, "events/files.html", context)


def _upload_limit(request: HttpRequest) -> uploads.UploadLimit | None:
    return next((h for h in request.upload_handlers if isinstance(h, uploads.UploadLimit)), None)


@csrf_protect
@programme_view(action="event.view")
def _event_file_upload(request: ProgrammeRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    require(request.user, "event.change", event)
    if request.method != "POST":
        return redirect(_event_page(event) + "#files")
    limit = _upload_limit(request)
    if limit is not None and request.FILES is not None and limit.stopped:
        # Refused while it streamed in: what arrived is dropped, nothing is read or stored.
        form = UploadForm()
        problem = uploads.too_large_message(limit.extension if limit.extension in uploads.ALL_EXTENSIONS else "")
        status = 413
    else:
        problem = ""
        form = UploadForm(request.POST, request.FILES)
        done = form_then_service(
            form,
            lambda data: uploads.file_upload(
                actor=request.user,
                event=event,
                kind=data["kind"],
                upload=uploads.Upload(name=data["file"].name, chunks=data["file"].chunks()),
            ),
        )
        if done.ok:
            messages.success(request, _("File uploaded: %(name)s.") % {"name": done.value.original_name})
            return redirect(_back(request, event))
        status = done.status
    context = _files_context(request.user, event, form) | {"event_url": _event_page(event), "upload_problem": problem}
    return render_page(request, "events/files.html", context, status=status)


@csrf_exempt  # only to put the upload limit in place first: the CSRF check runs in _event_file_upload
@wraps(_event_file_upload)
def event_file_upload(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """An upload is refused as soon as it is known to be too large for its type, before it has been
    read in full (:class:`hamkori.events.uploads.UploadLimit`)."""
    if request.method == "POST":
        request.upload_handlers = [uploads.UploadLimit(request), *request.upload_handlers]
    return _event_file_upload(request, *args, **kwargs)


def _file(event: Event, key: Any) -> EventFile:
    found = EventFile.objects.filter(event=event, key=key).select_related("uploaded_by").first()
    if found is None:
        raise Http404
    found.event = event
    return found


@programme_view(action="event.view")
def event_file_download(request: ProgrammeRequest, pk: int, key: Any) -> HttpResponse:
    event = _people_event(request, pk)
    file = _file(event, key)
    path = uploads.file_opened(actor=request.user, file=file)
    if not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), as_attachment=True, filename=file.original_name)
    response["Content-Type"] = file.content_type
    response["Content-Disposition"] = f'attachment; filename="{file.key.hex}.{file.extension}"; ' + (
        "filename*=UTF-8''" + quote(file.original_name, safe="")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    add_never_cache_headers(response)
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)  # a streamed file: what programme_view passes on as it is


@require_POST
@programme_view(action="event.view")
def event_file_delete(request: ProgrammeRequest, pk: int, key: Any) -> HttpResponse:
    event = _people_event(request, pk)
    file = _file(event, key)
    require(request.user, "event.file.delete", file)
    name = file.original_name
    uploads.file_delete(actor=request.user, file=file)
    messages.success(request, _("File removed: %(name)s.") % {"name": name})
    return redirect(_back(request, event))


# --- The sign-in sheet and the attendance workbook -------------------------------------------------
@programme_view(action="event.view")
def event_sign_in_sheet(request: ProgrammeRequest, pk: int) -> HttpResponse:
    event = _people_event(request, pk)
    pdf = sheets.sign_in_sheet(actor=request.user, event=event)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="sign-in-sheet-{event.pk}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


@programme_view(action="event.view")
def event_attendance_template(request: ProgrammeRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    require(request.user, "event.change", event)
    content = attendance_sheets.template_workbook(actor=request.user, event=event)
    return download(content, "xlsx", f"attendance-{event.pk}")


class AttendanceImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Filled-in attendance sheet"),
        help_text=gettext_lazy("The Excel workbook (.xlsx) downloaded above, or a CSV file, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    replace = forms.BooleanField(
        label=gettext_lazy("Replace the current list of participants with the sheet"),
        help_text=gettext_lazy("Unticked, the people in the sheet are added to those already recorded."),
        required=False,
    )


def _decisions(request: HttpRequest) -> dict[int, str]:
    found: dict[int, str] = {}
    for key, value in request.POST.items():
        number = key.removeprefix("decide-")
        if key.startswith("decide-") and number.isdigit() and len(number) < 7:
            found[int(number)] = str(value)[:24]
    return found


@csrf_protect
@programme_view(action="event.view")
def _event_attendance_import(request: ProgrammeRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    require(request.user, "event.change", event)
    result: attendance_sheets.AttendanceImport | None = None
    limit = next((h for h in request.upload_handlers if isinstance(h, spreadsheets.LimitedUploadHandler)), None)
    status = 200
    if request.method == "POST" and limit is not None and request.FILES is not None and limit.stopped:
        form = AttendanceImportForm()
        result = attendance_sheets.AttendanceImport(problem=spreadsheets.too_large_message())
        status = 413
    elif request.method == "POST":
        form = AttendanceImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                spreadsheets.check_upload(upload.name, upload.size, upload.content_type)
            except spreadsheets.FileRejected as exc:
                result = attendance_sheets.AttendanceImport(problem=exc.message)
            else:
                result = attendance_sheets.import_attendance(
                    actor=request.user,
                    event=event,
                    filename=upload.name,
                    data=upload.read(),
                    content_type=upload.content_type,
                    replace=form.cleaned_data["replace"],
                    decisions=_decisions(request),
                    decisions_for=request.POST.get("upload_sha256", "")[:64],
                )
            if result.ok:
                request.session[SESSION_RESULT] = result.summary()
                return redirect("event_attendance_import", event.programme.code, event.pk)
        status = 422
    else:
        form = AttendanceImportForm()
    return render_page(
        request,
        "events/attendance_import.html",
        {
            "event": event,
            "event_url": _event_page(event),
            "form": form,
            "result": result,
            "done": request.session.pop(SESSION_RESULT, None) if request.method == "GET" else None,
        },
        status=status,
    )


@csrf_exempt  # only to put the upload limit in place first: the CSRF check runs in _event_attendance_import
@wraps(_event_attendance_import)
def event_attendance_import(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if request.method == "POST":
        request.upload_handlers = [spreadsheets.LimitedUploadHandler(request), *request.upload_handlers]
    return _event_attendance_import(request, *args, **kwargs)
