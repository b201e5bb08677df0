"""A campaign product's picture or file: the same checks as an event's files (``events.uploads.receive``): the
limit while the upload streams in, the content against the extension, photos re-encoded without EXIF or GPS
(for the picture and its small copy), names chosen by the server, bytes outside the static root; a product
and its file are saved together or not at all; served as an attachment with nosniff, audited."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import uploads as event_uploads
from hamkori.grants import uploads
from hamkori.grants.models import CampaignProduct, GrantFile
from tests.grants.campaign_helpers import exif_of, jpeg, make_product, pdf, stored_files, with_gps

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def files_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "grant-files"
    settings.HAMKORI_GRANT_FILES_DIR = str(folder)
    return folder


@pytest.fixture
def partner(users: dict, client_for: Any) -> Client:
    return client_for(users[Role.PARTNER])


def post_product(
    client: Client, programme: Any, grant: Any, vocab: dict, name: str, content: bytes, **more: Any
) -> Any:
    data = {
        "grant": grant.pk,
        "district": "",
        "format": vocab["formats"]["leaflet"].pk,
        "title": "Варақаи амният",
        "language": "tg",
        "quantity": "200",
        "link": "",
        "description": "",
        "file": SimpleUploadedFile(name, content, content_type=more.pop("content_type", "image/jpeg")),
    }
    data.update(more)
    return client.post(reverse("product_create", args=[programme.code]), data)


def nothing_kept(folder: Path) -> None:
    assert not CampaignProduct.objects.exists(), "the product was saved without its file"
    assert not GrantFile.objects.exists()
    assert [p for p in stored_files(folder) if "/tmp/" not in str(p)] == [], "a file was left on disk"
    assert stored_files(folder / "tmp") == [], "a temporary file was left behind"
    assert not AuditEvent.objects.filter(action__in=["campaign.product", "campaign.file.upload"]).exists()


def test_a_photo_with_gps_is_stored_clean_under_a_server_name_outside_the_static_root(
    programme: Any,
    grant: Any,
    grant_vocab: dict,
    partner: Client,
    files_dir: Path,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    photo = with_gps(tmp_path, jpeg((1600, 1200)))
    tags = exif_of(tmp_path / "leaflet.jpg")
    assert any("GPS" in key for key in tags) and tags.get("IFD0:Make") == "SecretCam"  # the test photo has them
    with django_capture_on_commit_callbacks(execute=True):
        response = post_product(partner, programme, grant, grant_vocab, "../../etc/варақа.JPG", photo)
    assert response.status_code == 302, response.content.decode()[:2000]
    product = CampaignProduct.objects.get()
    file = product.image
    assert file is not None and file.name == "варақа.JPG" and file.extension == "jpg"
    assert file.programme_id == programme.pk and file.grant_id == grant.pk
    path, small = uploads.stored_path(file.key), uploads.thumb_path(file.key)
    assert sorted(stored_files(files_dir)) == sorted([path, small])
    assert path.name == file.key.hex and path.parent.name == file.key.hex[:2]
    assert not str(path.resolve()).startswith(str(Path(django_settings.STATIC_ROOT).resolve()))
    for kept in (path, small):
        found = exif_of(kept)
        assert not [k for k in found if "GPS" in k], found
        assert "SecretCam" not in str(found) and "secret comment" not in str(found) and "Someone" not in str(found)
    with Image.open(path) as full, Image.open(small) as thumb:
        assert full.size == (1600, 1200) and max(thumb.size) == uploads.THUMB_SIZE
    assert file.size == path.stat().st_size


def test_the_file_is_served_as_an_attachment_with_nosniff_and_audited(
    programme: Any,
    grant: Any,
    grant_vocab: dict,
    partner: Client,
    users: dict,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_product(partner, programme, grant, grant_vocab, "варақа.jpg", jpeg())
    product = CampaignProduct.objects.get()
    address = reverse("product_file", args=[programme.code, product.pk])
    for query, size in (("", (640, 480)), ("?size=small", (480, 360))):
        response = partner.get(address + query)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith(f'attachment; filename="{product.image.key.hex}.jpg"')
        assert "filename*=UTF-8''" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert "no-store" in response["Cache-Control"]
        from io import BytesIO

        with Image.open(BytesIO(b"".join(response.streaming_content))) as got:
            assert got.size == size
    opened = AuditEvent.objects.filter(action="campaign.file.download", object_id=str(product.pk))
    assert opened.count() == 2 and opened.filter(actor=users[Role.PARTNER]).count() == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leaflet.jpg", b"#!/bin/sh\nrm -rf / --no-preserve-root\n", "is not what its name says"),
        ("leaflet.jpg", b"<?php system($_GET['c']); ?>", "is not what its name says"),
        ("leaflet.png", b"<html><script>alert(1)</script></html>", "is not what its name says"),
        ("leaflet.pdf", b"<svg onload=alert(1)>", "is not what its name says"),
        ("leaflet.svg", b"<svg onload=alert(1)>", "Upload a file ending in .jpg, .jpeg, .png, .webp, .pdf."),
        ("leaflet.exe", b"MZ\x90\x00", "Upload a file ending in"),
        ("leaflet.docx", b"PK\x03\x04", "Upload a file ending in"),
        ("leaflet.jpg", b"", "The submitted file is empty."),
    ],
)
def test_a_script_or_anything_disguised_is_refused_and_nothing_is_kept(
    programme: Any,
    grant: Any,
    grant_vocab: dict,
    partner: Client,
    files_dir: Path,
    name: str,
    content: bytes,
    message: str,
) -> None:
    response = post_product(partner, programme, grant, grant_vocab, name, content)
    assert response.status_code == 422
    html = response.content.decode()
    assert message.replace("'", "&#x27;") in html.replace("&quot;", '"'), html[:200]
    assert 'id="id_file_error"' in html
    nothing_kept(files_dir)


@pytest.mark.parametrize("extra", [100 * 1024, 3 * 1024 * 1024])
def test_an_oversized_picture_is_refused_while_it_streams(
    programme: Any, grant: Any, grant_vocab: dict, partner: Client, settings: Any, files_dir: Path, extra: int
) -> None:
    """Picture limit 256 KB here: 100 KB over is stopped in the middle of the upload, 3 MB over from the
    declared length. Neither the product nor any byte is kept."""
    settings.HAMKORI_EVENT_UPLOAD_LIMITS = {"image": 256 * 1024, "document": 1024 * 1024}
    size = 256 * 1024 + extra
    content = jpeg() + b"\x00" * (size - len(jpeg()))
    response = post_product(partner, programme, grant, grant_vocab, "big.jpg", content)
    assert response.status_code == 413
    html = response.content.decode()
    assert "too large" in html and 'id="id_file_error"' in html
    assert 'value="Варақаи амният"' in html  # what was typed is shown again
    handler = response.wsgi_request.upload_handlers[0]
    assert isinstance(handler, event_uploads.UploadLimit) and handler.stopped
    assert handler.received < size, "the whole upload was read"
    nothing_kept(files_dir)


def test_the_service_refuses_a_stream_past_the_limit_and_keeps_no_product(
    programme: Any, grant: Any, grant_vocab: dict, users: dict, files_dir: Path
) -> None:
    read: list[int] = []

    def chunks() -> Any:
        for _ in range(1000):
            read.append(1)
            yield b"\xff\xd8\xff" + b"\x00" * (1024 * 1024)

    with pytest.raises(ValidationError) as refused:
        make_product(programme, actor=users[Role.PARTNER], grant=grant, upload=uploads.Upload("x.jpg", chunks()))
    assert "file" in refused.value.message_dict and len(read) <= 11
    nothing_kept(files_dir)


def test_product_errors_and_file_errors_come_together_and_nothing_is_kept(
    programme: Any, grant: Any, grant_vocab: dict, partner: Client, users: dict, files_dir: Path
) -> None:
    with pytest.raises(ValidationError) as refused:
        make_product(
            programme, actor=users[Role.PARTNER], grant=grant, title="", upload=uploads.Upload("a.jpg", [b"#!/bin/sh"])
        )
    assert {"title", "file"} <= set(refused.value.message_dict)
    nothing_kept(files_dir)
    # A valid picture with a bad product: the picture is not kept either.
    with pytest.raises(ValidationError) as refused:
        make_product(
            programme, actor=users[Role.PARTNER], grant=grant, title="", upload=uploads.Upload("a.jpg", [jpeg()])
        )
    assert set(refused.value.message_dict) == {"title"}
    nothing_kept(files_dir)
    response = post_product(partner, programme, grant, grant_vocab, "leaflet.jpg", jpeg(), title="")
    assert response.status_code == 422 and 'id="id_title_error"' in response.content.decode()
    nothing_kept(files_dir)


def test_a_new_picture_replaces_the_old_one_and_a_pdf_is_kept_as_it_is(
    programme: Any,
    grant: Any,
    grant_vocab: dict,
    partner: Client,
    users: dict,
    files_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        post_product(partner, programme, grant, grant_vocab, "варақа.jpg", jpeg())
    product = CampaignProduct.objects.get()
    old = product.image
    assert old is not None
    booklet = pdf()
    data = {
        "grant": grant.pk,
        "format": product.format_id,
        "title": product.title,
        "language": "tg",
        "quantity": "200",
        "file": SimpleUploadedFile("китобча.pdf", booklet, content_type="application/pdf"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = partner.post(reverse("product_edit", args=[programme.code, product.pk]), data)
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.image is not None and product.image.extension == "pdf" and product.image.pk != old.pk
    assert not GrantFile.objects.filter(pk=old.pk).exists()
    assert stored_files(files_dir) == [uploads.stored_path(product.image.key)]  # no small copy of a PDF
    assert uploads.stored_path(product.image.key).read_bytes() == booklet
    replaced = AuditEvent.objects.filter(action="campaign.file.upload", object_id=str(product.pk)).order_by("pk")
    assert [e.summary["replaced"] for e in replaced] == [False, True]
    served = partner.get(reverse("product_file", args=[programme.code, product.pk]))
    assert served["Content-Type"] == "application/pdf" and served["Content-Disposition"].startswith("attachment;")
    detail = partner.get(reverse("product_detail", args=[programme.code, product.pk])).content.decode()
    assert 'id="product-download"' in detail and "?size=small" not in detail


def test_a_rolled_back_transaction_leaves_no_file_in_place(
    programme: Any, grant: Any, grant_vocab: dict, users: dict, files_dir: Path
) -> None:
    """The bytes move into place only when the transaction commits; a rollback leaves them in tmp, swept later."""
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        make_product(programme, actor=users[Role.PARTNER], grant=grant, upload=uploads.Upload("a.jpg", [jpeg()]))
        raise RuntimeError
    assert not CampaignProduct.objects.exists()
    assert [p for p in stored_files(files_dir) if "/tmp/" not in str(p)] == []
    leftovers = stored_files(files_dir / "tmp")
    assert leftovers, "expected the spooled file in tmp until the sweep"
    for path in leftovers:
        os.utime(path, (0, 0))  # a day old
    make_product(programme, actor=users[Role.PARTNER], grant=grant, upload=uploads.Upload("b.jpg", [jpeg()]))
    assert not any(p in stored_files(files_dir / "tmp") for p in leftovers)
