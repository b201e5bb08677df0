"""An application's attachments (a letter of support, a plan, a photo of the site), under
``/p/<code>/grants/applications/<id>/files/`` (``urls_attachments.py``): upload, download, removal. The
application's page (``views_calls.application_detail``) lists them.

Who sees them: whoever may open the application and change it, and its reviewers, except a reviewer of a
blind call (an attachment may name the applicant: 403 with the reason); ``uploads.file_view_rule``. Who adds or removes them: whoever may change the application
(``application.change``), while it is a draft or changes were asked (the services decide).

Thin views: parse, fetch the application through the scope (``get_for_user``), one service, render.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, cast
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from hamkori.access.policy import decide, deny, get_for_user
from hamkori.events.uploads import CONTENT_TYPES, UploadLimit, too_large_message
from hamkori.grants import uploads, views_calls
from hamkori.grants.models import Application, GrantFile
from hamkori.programmes.views_access import ProgrammeRequest, programme_view


def _application(request: ProgrammeRequest, application_id: int, action: str = "view") -> Application:
    """The application through the scope (404 outside it, 403 without ``action``), for someone who may open
    its files (``application.file.view``: never a reviewer of a blind call, as its attachments may name the
    applicant; 403 with the reason)."""
    application = get_for_user(request.user, Application, action, pk=application_id, programme=request.programme)
    allowed = decide(request.user, "application.file.view", application)
    if not allowed:
        deny(request.user, "application.file.view", application, allowed.reason)
    return Application.objects.select_related("programme", "call", "call__programme", "district", "place", "owner").get(
        pk=application.pk
    )


def _file(application: Application, key: Any) -> GrantFile:
    found = GrantFile.objects.filter(application=application, key=key).first()
    if found is None:
        raise Http404
    found.application = application
    return found


def _page(application: Application) -> str:
    return reverse("application_detail", args=[application.programme.code, application.pk]) + "#attachments"


def _refused(request: ProgrammeRequest, application: Application, problem: str, status: int) -> HttpResponse:
    """The application's page again, the refusal shown in its attachments section."""
    context = views_calls._detail_context(request, application, upload_problem=problem)
    return render(request, "grants/application_detail.html", context, status=status)


@csrf_protect
@programme_view(action="application.change")
def _application_files(request: ProgrammeRequest, application_id: int) -> HttpResponse:
    """Attach one file (POST ``file``); a GET goes back to the application's page."""
    application = _application(request, application_id, "change")
    if request.method != "POST":
        return redirect(_page(application))
    limit = next((h for h in request.upload_handlers if isinstance(h, UploadLimit)), None)
    if limit is not None and request.FILES is not None and limit.stopped:
        # Refused while it streamed in: what arrived is dropped, nothing is read or stored.
        extension = limit.extension if limit.extension in uploads.APPLICATION_EXTENSIONS else ""
        return _refused(request, application, too_large_message(extension), 413)
    sent = request.FILES.get("file")
    if sent is None:
        return _refused(request, application, _("Choose a file to attach."), 422)
    try:
        record = uploads.application_file_upload(
            actor=request.user,
            application=application,
            upload=uploads.Upload(name=sent.name or "", chunks=sent.chunks()),
        )
    except ValidationError as exc:
        return _refused(request, application, " ".join(exc.messages), 422)
    messages.success(request, _("File attached: %(name)s.") % {"name": record.name})
    return redirect(_page(application))


@csrf_exempt  # only to put the upload limit in place first: the CSRF check runs in _application_files
@wraps(_application_files)
def application_files(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """An upload is refused as soon as it is known to be too large for its type, before it has been read in
    full (:class:`hamkori.events.uploads.UploadLimit`)."""
    if request.method == "POST":
        request.upload_handlers = [UploadLimit(request), *request.upload_handlers]
    return cast(HttpResponse, _application_files(request, *args, **kwargs))


@programme_view(action="application.view")
def application_file(request: ProgrammeRequest, application_id: int, key: Any) -> HttpResponse:
    """An attachment, as an attachment with ``nosniff``, audited."""
    application = _application(request, application_id)
    file = _file(application, key)
    path = uploads.application_file_opened(actor=request.user, file=file)
    if not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), as_attachment=True, filename=file.name)
    response["Content-Type"] = CONTENT_TYPES[file.extension]
    response["Content-Disposition"] = f'attachment; filename="{file.key.hex}.{file.extension}"; ' + (
        "filename*=UTF-8''" + quote(file.name, safe="")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    add_never_cache_headers(response)
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)


@require_POST
@programme_view(action="application.change")
def application_file_delete(request: ProgrammeRequest, application_id: int, key: Any) -> HttpResponse:
    application = _application(request, application_id, "change")
    file = _file(application, key)
    name = file.name
    try:
        uploads.application_file_delete(actor=request.user, file=file)
    except ValidationError as exc:
        return _refused(request, application, " ".join(exc.messages), 422)
    messages.success(request, _("File removed: %(name)s.") % {"name": name})
    return redirect(_page(application))
