"""An event's files (issue 15, part 5): who may upload, download and remove them; limits enforced while
the upload streams in; content checked against the extension; photos re-encoded without EXIF or GPS;
files stored outside the static root under the server's name; served as attachments with nosniff."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import uploads
from hamkori.events.models import Event, EventFile

pytestmark = pytest.mark.django_db

EXIFTOOL = "/usr/bin/exiftool"


@pytest.fixture(autouse=True)
def files_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "event-files"
    settings.HAMKORI_EVENT_FILES_DIR = str(folder)
    return folder


def jpeg(size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=90)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 128, 255, 200)).save(out, "PNG")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "WEBP")
    return out.getvalue()


def pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 280), "white").save(out, "PDF")
    return out.getvalue()


def with_gps(tmp_path: Path, data: bytes, name: str = "geo.jpg") -> bytes:
    """A photo with a camera make, GPS position, a comment and XMP, written by exiftool."""
    path = tmp_path / name
    path.write_bytes(data)
    subprocess.run(
        [
            EXIFTOOL,
            "-q",
            "-overwrite_original",
            "-Make=SecretCam",
            "-Model=Spy 3000",
            "-GPSLatitude=38.5598",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=68.7870",
            "-GPSLongitudeRef=E",
            "-Comment=secret comment",
            "-XMP-dc:Creator=Someone",
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


def exif_of(path: Path) -> dict[str, Any]:
    out = subprocess.run([EXIFTOOL, "-j", "-a", "-G1", str(path)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)[0]


def upload(
    client: Client, event: Event, name: str, content: bytes, kind: str = "photo", content_type: str = "image/jpeg"
) -> Any:
    url = reverse("event_file_upload", args=[event.programme.code, event.pk])
    data = {"kind": kind, "file": SimpleUploadedFile(name, content, content_type=content_type)}
    return client.post(url, data)


@pytest.fixture
def partner(users: dict, client_for: Any) -> Client:
    return client_for(users[Role.PARTNER])


@pytest.fixture
def stored(training: Event, partner: Client, django_capture_on_commit_callbacks: Any) -> EventFile:
    """A photo of the signed sheet uploaded by LAP's partner (the event's organiser)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(partner, training, "лист.jpg", jpeg(), kind="sign_in")
    assert response.status_code == 302, response.content[:800]
    return EventFile.objects.get()


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def nothing_stored(folder: Path) -> None:
    assert not EventFile.objects.exists()
    assert stored_files(folder) == [], "a file was left on disk"
    assert not AuditEvent.objects.filter(action="event.file.upload").exists()


# --- Adversaries first --------------------------------------------------------------------------------
def test_others_cannot_download_upload_or_remove(
    stored: EventFile, training: Event, adversaries: dict, users: dict, client_for: Any, files_dir: Path
) -> None:
    code = training.programme.code
    download = reverse("event_file_download", args=[code, training.pk, stored.key])
    remove = reverse("event_file_delete", args=[code, training.pk, stored.key])
    sheet = reverse("event_sign_in_sheet", args=[code, training.pk])
    page = reverse("event_files", args=[code, training.pk])
    others = {
        "other admin": adversaries["other_admin"],
        "other partner": adversaries["other_partner"],
        "liaison": users[Role.LIAISON],
        "donor": users[Role.DONOR],
        "group member": users[Role.GROUP_MEMBER],
        "outsider": users["outsider"],
    }
    for who, user in others.items():
        client = client_for(user)
        # 404 as for a file that does not exist; the donor's role is refused the events pages as a whole (403),
        # before any record is looked up.
        refused = 403 if who == "donor" else 404
        for url in (download, sheet, page):
            response = client.get(url)
            assert response.status_code == refused, (who, url, response.status_code)
            assert response.get("Content-Disposition") is None
        assert client.post(remove).status_code == refused, who
        response = upload(client, training, "x.jpg", jpeg())
        assert response.status_code in (403, 404), (who, response.status_code)
    anonymous = Client()
    for url in (download, sheet, page):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert anonymous.post(remove).status_code == 302
    assert upload(anonymous, training, "x.jpg", jpeg()).status_code == 302
    # The other programme's admin, under her own programme's code: the same 404 as a missing event.
    other_code = adversaries["other_programme"].code
    client = client_for(adversaries["other_admin"])
    assert client.get(reverse("event_file_download", args=[other_code, training.pk, stored.key])).status_code == 404
    assert EventFile.objects.count() == 1
    assert len(stored_files(files_dir)) == 1
    assert not AuditEvent.objects.filter(action="event.file.download").exists()
    assert not AuditEvent.objects.filter(action="event.file.delete").exists()


def test_a_partner_of_another_organisation_sees_the_event_but_not_its_papers(
    training: Event, adversaries: dict
) -> None:
    from hamkori.access.policy import decide

    other = adversaries["other_partner"]
    assert Event.objects.visible_to(other).filter(pk=training.pk).exists()
    assert not decide(other, "event.file.view", training)
    assert not decide(other, "event.change", training)


# --- Upload, list, download ---------------------------------------------------------------------------
def test_a_photo_is_stored_without_exif_or_gps_outside_the_static_root(
    training: Event, partner: Client, tmp_path: Path, files_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    original = with_gps(tmp_path, jpeg((320, 240)))
    before = exif_of(tmp_path / "geo.jpg")
    assert any(k.startswith("GPS") and "GPSLatitude" in k for k in before), before  # the test photo has GPS
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(partner, training, "../../etc/Фото\u202egpj.jpg", original, kind="photo")
    assert response.status_code == 302
    item = EventFile.objects.get()
    path = uploads.stored_path(item.key)
    assert path.is_file()
    assert path.name == item.key.hex and path.parent.parent == files_dir
    static_root = Path(settings.STATIC_ROOT).resolve()
    assert static_root not in path.resolve().parents
    assert Path(settings.MEDIA_ROOT).resolve() not in path.resolve().parents
    assert item.original_name == "Фотоgpj.jpg" and item.extension == "jpg" and item.content_type == "image/jpeg"
    tags = exif_of(path)
    leaked = [k for k in tags if k.split(":")[0] in ("GPS", "IFD0", "ExifIFD", "XMP-dc", "IFD1") or "GPS" in k]
    assert leaked == [], leaked
    assert b"SecretCam" not in path.read_bytes() and b"secret comment" not in path.read_bytes()
    with Image.open(path) as image:
        assert image.size == (320, 240) and image.format == "JPEG"
    assert AuditEvent.objects.filter(action="event.file.upload").count() == 1


def test_the_download_is_an_attachment_with_nosniff_and_is_audited(
    stored: EventFile, training: Event, partner: Client, users: dict, client_for: Any
) -> None:
    url = reverse("event_file_download", args=[training.programme.code, training.pk, stored.key])
    for user in (users[Role.PARTNER], users[Role.STAFF], users[Role.ADMIN]):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''%D0%BB%D0%B8%D1%81%D1%82.jpg" in disposition
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        assert "no-store" in response["Cache-Control"]
        body = b"".join(response.streaming_content)
        assert body == uploads.stored_path(stored.key).read_bytes()
    assert AuditEvent.objects.filter(action="event.file.download").count() == 3


def test_the_files_page_lists_the_upload(stored: EventFile, training: Event, partner: Client) -> None:
    page = partner.get(reverse("event_files", args=[training.programme.code, training.pk])).content.decode()
    assert "лист.jpg" in page
    assert reverse("event_file_download", args=[training.programme.code, training.pk, stored.key]) in page


def test_the_files_page_keeps_a_constant_number_of_queries(
    stored: EventFile, training: Event, partner: Client, users: dict, client_for: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("event_files", args=[training.programme.code, training.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert partner.get(url).status_code == 200
        return len(queries)

    one = count()
    for i in range(6):
        assert upload(partner, training, f"p{i}.png", png()).status_code == 302
        assert upload(client_for(users[Role.STAFF]), training, f"s{i}.png", png()).status_code == 302
    assert EventFile.objects.count() == 13
    assert count() <= one + 2  # the staff's grants, once (not once per file)


def test_documents_of_each_kind_are_accepted(
    training: Event, partner: Client, files_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    cases = [
        ("minutes.pdf", pdf(), "minutes", "application/pdf"),
        ("protocol.docx", docx.getvalue(), "minutes", "application/octet-stream"),
        ("protocol.odt", odt.getvalue(), "minutes", "application/octet-stream"),
        ("протокол.txt", "Қарор: ҷаласа гузаронида шуд.\n".encode(), "minutes", "text/plain"),
        ("sheet.pdf", pdf(), "sign_in", "application/pdf"),
        ("sheet.png", png(), "sign_in", "image/png"),
        ("photo.webp", webp(), "photo", "image/webp"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for name, content, kind, ctype in cases:
            response = upload(partner, training, name, content, kind=kind, content_type=ctype)
            assert response.status_code == 302, (name, response.content.decode()[-1500:])
    assert EventFile.objects.count() == len(cases)
    assert len(stored_files(files_dir)) == len(cases)
    assert not list((files_dir / "tmp").iterdir())


# --- Refusals: nothing stored -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("photo.jpg", b"#!/bin/sh\nrm -rf / --no-preserve-root\n", "photo"),
        ("photo.jpg", b"<html><script>alert(document.cookie)</script></html>", "photo"),
        ("shell.png", b"<?php system($_GET['c']); ?>", "photo"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "photo"),
        ("image.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "photo"),
        ("page.html", b"<html></html>", "minutes"),
        ("notes.txt", b"<html><body onload=alert(1)>minutes</body></html>", "minutes"),
        ("notes.txt", "Протокол".encode("cp1251"), "minutes"),
        ("scan.jpg", b"%PDF-1.4\n%%EOF\n", "sign_in"),
        ("photo.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "photo"),
        ("photo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "photo"),
        ("truncated.jpg", jpeg()[:40], "photo"),
        ("renamed.png", jpeg(), "photo"),
        ("minutes.pdf", pdf() + b"\n<script>alert(1)</script>", "minutes"),
        (
            "minutes.pdf",
            pdf().replace(b"%%EOF", b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>\n%%EOF"),
            "minutes",
        ),
        ("minutes.exe", b"MZ\x90\x00", "minutes"),
        ("photo.jpg", jpeg(), "minutes"),  # a photo is not minutes
        ("empty.jpg", b"", "photo"),
    ],
)
def test_disguised_or_unwanted_files_are_refused(
    training: Event, partner: Client, files_dir: Path, name: str, content: bytes, kind: str
) -> None:
    response = upload(partner, training, name, content, kind=kind, content_type="image/jpeg")
    assert response.status_code == 422, response.status_code
    page = response.content.decode()
    assert "error-summary" in page or "errorlist" in page
    nothing_stored(files_dir)


def test_a_polyglot_jpeg_loses_its_payload(
    training: Event, partner: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """A JPEG with a zip (a GIFAR-style jar) and an HTML script appended: the photo is re-encoded, so
    neither survives."""
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Main-Class: Evil\n")
        archive.writestr("Evil.class", b"\xca\xfe\xba\xbe")
    content = jpeg() + payload.getvalue() + b"<script>alert(1)</script><?php echo 1; ?>"
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(partner, training, "poly.jpg", content).status_code == 302
    stored = uploads.stored_path(EventFile.objects.get().key).read_bytes()
    assert stored.startswith(b"\xff\xd8\xff") and stored.rstrip(b"\x00").endswith(b"\xff\xd9")
    for needle in (b"PK\x03\x04", b"PK\x05\x06", b"MANIFEST", b"<script", b"<?php", b"\xca\xfe\xba\xbe"):
        assert needle not in stored, needle
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(stored))


def test_polyglot_documents_are_refused(training: Event, partner: Client, files_dir: Path) -> None:
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    for name, content in [
        ("minutes.pdf", pdf() + payload.getvalue()),  # a zip after the PDF's end
        ("minutes.docx", b"GIF89a" + docx.getvalue()),  # something before the zip
        ("minutes.docx", docx.getvalue() + b"<html>trailer</html>"),  # something after it
        ("minutes.docx", payload.getvalue()),  # a zip that is not a Word document
    ]:
        response = upload(partner, training, name, content, kind="minutes", content_type="application/pdf")
        assert response.status_code == 422, name
    nothing_stored(files_dir)


@pytest.mark.parametrize("extra", [100 * 1024, 3 * 1024 * 1024])
def test_an_oversized_photo_is_refused_while_it_streams(
    training: Event, partner: Client, settings: Any, files_dir: Path, extra: int
) -> None:
    """Photo limit 256 KB here (documents 1 MB): 100 KB over is stopped by the counting handler in the
    middle of the upload; 3 MB over is refused from the declared length, before the file is read."""
    settings.HAMKORI_EVENT_UPLOAD_LIMITS = {"image": 256 * 1024, "document": 1024 * 1024}
    size = 256 * 1024 + extra
    content = jpeg() + b"\x00" * (size - len(jpeg()))
    response = upload(partner, training, "big.jpg", content)
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    handler = response.wsgi_request.upload_handlers[0]
    assert isinstance(handler, uploads.UploadLimit)
    assert handler.stopped
    assert handler.received < size, "the handler read the whole upload"
    assert handler.received <= 256 * 1024 + 64 * 1024
    nothing_stored(files_dir)


def test_a_document_has_its_own_larger_limit(
    training: Event, partner: Client, settings: Any, files_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.HAMKORI_EVENT_UPLOAD_LIMITS = {"image": 256 * 1024, "document": 1024 * 1024}
    text = ("Протокол ҷаласа. " * 20000).encode()
    assert 256 * 1024 < len(text) < 1024 * 1024
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(partner, training, "minutes.txt", text, kind="minutes", content_type="text/plain")
    assert response.status_code == 302
    assert EventFile.objects.get().size == len(text)


def test_the_service_refuses_a_stream_that_passes_the_limit(training: Event, users: dict, files_dir: Path) -> None:
    """Without the view's handler (the API, a command), the service stops reading at the limit too."""
    from django.core.exceptions import ValidationError

    read = []

    def chunks() -> Any:
        for _ in range(1000):
            read.append(1)
            yield b"\xff\xd8\xff" + b"\x00" * (1024 * 1024)

    with pytest.raises(ValidationError) as caught:
        uploads.file_upload(
            actor=users[Role.PARTNER], event=training, kind="photo", upload=uploads.Upload("x.jpg", chunks())
        )
    assert "file" in caught.value.message_dict
    assert len(read) <= 11
    nothing_stored(files_dir)


# --- Removing -----------------------------------------------------------------------------------------
def test_the_uploaders_organisation_and_the_lead_remove_files(
    stored: EventFile,
    training: Event,
    users: dict,
    client_for: Any,
    files_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    code = training.programme.code
    path = uploads.stored_path(stored.key)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users[Role.PARTNER]).post(
            reverse("event_file_delete", args=[code, training.pk, stored.key])
        )
    assert response.status_code == 302
    assert not EventFile.objects.exists() and not path.exists()
    assert AuditEvent.objects.filter(action="event.file.delete").count() == 1
    # The lead's file: LAP's partner may not remove it; the lead's staff may.
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client_for(users[Role.STAFF]), training, "staff.png", png(), kind="photo").status_code == 302
    leads = EventFile.objects.get()
    url = reverse("event_file_delete", args=[code, training.pk, leads.key])
    assert client_for(users[Role.PARTNER]).post(url).status_code == 403
    assert EventFile.objects.filter(pk=leads.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(users[Role.STAFF]).post(url).status_code == 302
    assert not EventFile.objects.exists() and stored_files(files_dir) == []


def test_a_rolled_back_upload_leaves_no_file(training: Event, users: dict, files_dir: Path) -> None:
    """The service's transaction rolls back after the bytes were written: the temporary file goes, no
    file appears under its key (the move happens only on commit)."""
    from django.db import transaction

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        uploads.file_upload(
            actor=users[Role.PARTNER], event=training, kind="photo", upload=uploads.Upload("a.jpg", [jpeg()])
        )
        raise Boom
    assert not EventFile.objects.exists()
    assert [p for p in stored_files(files_dir) if p.parent.name != "tmp"] == []


def test_clean_name() -> None:
    assert uploads.clean_name("C:\\Users\\x\\..\\протокол.docx") == "протокол.docx"
    assert uploads.clean_name("../../etc/passwd\x00.txt") == "passwd.txt"
    assert uploads.clean_name("a\u202eexe.jpg") == "aexe.jpg"
    assert uploads.clean_name("") == "file"
    long = uploads.clean_name("x" * 300 + ".pdf")
    assert len(long) == 120 and long.endswith(".pdf")
