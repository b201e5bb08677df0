"""Campaign products' pictures and files (a photo of the leaflet, the booklet as PDF), kept as ``GrantFile``
rows and linked from ``CampaignProduct.image``.

Every upload goes through the same checks as an event's files (:func:`hamkori.events.uploads.receive`): the
limit while it streams in (``events.uploads.UploadLimit`` in the view), the content against the extension
(a script renamed ``.jpg`` is refused), photos decoded and re-encoded (EXIF, GPS, comments dropped), a name
the server chooses. What differs is only where the bytes go: ``<grant files dir>/<two hex digits>/<uuid
hex>`` under the var directory (setting ``HAMKORI_GRANT_FILES_DIR``, default ``VAR_DIR/grant-files``), never
under the static root; and a picture also gets a small copy (at most :data:`THUMB_SIZE` pixels a side,
``<uuid hex>.thumb``) for the gallery and the lists, so a phone does not fetch a camera-sized photo for a
thumbnail.

A product and its picture are saved together (:func:`product_record`): if either is refused, nothing is
written and nothing is left on disk.

An application's attachments (a letter of support, a plan, a photo of the site) are kept the same way
(:func:`application_file_upload`, :func:`application_file_delete`, :func:`application_file_opened`): at most
:data:`MAX_APPLICATION_FILES` per application, added or removed only while it is a draft or changes were
requested, by whoever may change it.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from hamkori.access.policy import ALLOW, Decision, decide, enforce, rule
from hamkori.core import audit
from hamkori.events.uploads import IMAGE_EXTENSIONS, Received, Upload, keep_on_commit, receive
from hamkori.grants import campaigns
from hamkori.grants.models import Application, ApplicationStatus, CampaignProduct, GrantFile
from hamkori.programmes.models import Programme

__all__ = [
    "APPLICATION_EXTENSIONS",
    "MAX_APPLICATION_FILES",
    "PRODUCT_EXTENSIONS",
    "THUMB_SIZE",
    "Upload",
    "application_file_delete",
    "application_file_opened",
    "application_file_upload",
    "files_dir",
    "is_image",
    "product_file_opened",
    "product_record",
    "stored_path",
    "thumb_path",
]

#: What a product's picture or file may be: a photo or a PDF.
PRODUCT_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "pdf")
#: What an application's attachment may be: a document or a photo.
APPLICATION_EXTENSIONS = ("pdf", "docx", "odt", "txt", "jpg", "jpeg", "png", "webp")
#: How many files an application keeps at most.
MAX_APPLICATION_FILES = 10
#: While an application is in one of these statuses its attachments may be added or removed.
ATTACHABLE = (ApplicationStatus.DRAFT, ApplicationStatus.CHANGES)
#: The longest side of a picture's small copy, in pixels.
THUMB_SIZE = 480


def files_dir() -> Path:
    configured = getattr(settings, "HAMKORI_GRANT_FILES_DIR", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "grant-files"


def stored_path(key: uuid.UUID) -> Path:
    """Where a file's bytes are: named by its key only (nothing the uploader chose)."""
    return files_dir() / key.hex[:2] / key.hex


def thumb_path(key: uuid.UUID) -> Path:
    return files_dir() / key.hex[:2] / f"{key.hex}.thumb"


def is_image(file: GrantFile | None) -> bool:
    return file is not None and file.extension in IMAGE_EXTENSIONS


def _thumbnail(received: Received) -> Path | None:
    """A small JPEG of a (checked, re-encoded) picture, in a temporary file beside it; None if it cannot be made."""
    try:
        with Image.open(received.path) as opened:
            opened.thumbnail((THUMB_SIZE, THUMB_SIZE))
            small: Image.Image = opened
            if small.mode in ("RGBA", "LA", "P"):
                rgba = small.convert("RGBA")
                small = Image.new("RGB", rgba.size, "white")
                small.paste(rgba, mask=rgba.getchannel("A"))
            elif small.mode != "RGB":
                small = small.convert("RGB")
            out = io.BytesIO()
            small.save(out, "JPEG", quality=80, optimize=True, exif=b"")
    except (OSError, ValueError):
        return None
    path = received.path.with_name(received.path.name + "-thumb")
    path.write_bytes(out.getvalue())
    return path


def _forget(file: GrantFile) -> None:
    """Delete a replaced or removed file's row, and its bytes once the transaction commits."""
    paths = [stored_path(file.key), thumb_path(file.key)]
    file.delete()

    def unlink() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    transaction.on_commit(unlink)


def _attach(*, actor: Any, product: CampaignProduct, received: Received) -> GrantFile:
    old = product.image
    record = GrantFile.objects.create(
        programme_id=product.programme_id,
        grant=product.grant,
        name=received.name,
        extension=received.extension,
        size=received.size,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        uploaded_at=timezone.now(),
    )
    product.image = record
    product.save(update_fields=["image", "updated_at"])
    if old is not None:
        _forget(old)
    audit.record(
        actor=actor,
        action="campaign.file.upload",
        obj=product,
        summary={
            "file": str(record.key),
            "extension": received.extension,
            "size": received.size,
            "replaced": old is not None,
        },
    )
    thumb = _thumbnail(received) if received.is_image else None
    keep_on_commit(received.path, stored_path(record.key))
    if thumb is not None:
        keep_on_commit(thumb, thumb_path(record.key))
    return record


@transaction.atomic
def product_record(
    *,
    actor: Any,
    programme: Programme,
    product: CampaignProduct | None = None,
    upload: Upload | None = None,
    remove_file: bool = False,
    **values: Any,
) -> CampaignProduct:
    """Record or change a product (``campaigns.product_save`` with ``values``) and, in the same transaction,
    keep its picture or file (``upload``: replacing the one it had) or remove it (``remove_file``).

    Refused as a whole, with every error at once (``ValidationError`` keyed by field, the file's on ``file``):
    nothing is written and no byte stays on disk."""
    errors: dict[str, list[str]] = {}
    saved: CampaignProduct | None = None
    received: Received | None = None
    try:
        saved = campaigns.product_save(actor=actor, programme=programme, product=product, **values)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if upload is not None:
        try:
            received = receive(upload, extensions=PRODUCT_EXTENSIONS, base=files_dir())
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors or saved is None:
        if received is not None:
            received.discard()
        raise ValidationError(errors)
    try:
        if received is not None:
            _attach(actor=actor, product=saved, received=received)
        elif remove_file and saved.image is not None:
            old = saved.image
            saved.image = None
            saved.save(update_fields=["image", "updated_at"])
            audit.record(
                actor=actor, action="campaign.file.remove", obj=saved, summary={"file": str(old.key), "size": old.size}
            )
            _forget(old)
    except BaseException:
        if received is not None:
            received.discard()
        raise
    return saved


def product_file_opened(*, actor: Any, product: CampaignProduct, thumbnail: bool = False) -> Path:
    """The path to stream a product's file from (its small copy when asked and there is one), audited as a
    download (the view decided who may see it)."""
    file = product.image
    if file is None:
        raise GrantFile.DoesNotExist
    path = stored_path(file.key)
    small = thumb_path(file.key) if thumbnail else None
    with contextlib.suppress(OSError):
        if small is not None and small.is_file():
            path = small
    audit.record(
        actor=actor,
        action="campaign.file.download",
        obj=product,
        summary={"file": str(file.key), "thumbnail": path == small},
    )
    return path


# --- An application's attachments ---------------------------------------------------------------------
@rule("application.file.view")
def file_view_rule(user: Any, application: Application) -> Decision:
    """Opening an application's attachments (letters, plans, photos: they may name the applicant and others):
    whoever may change it (the lead organisation, the supporting partner) and its reviewers, never a blind
    call's reviewer; another organisation working in the same district reads the proposal, not its files."""
    identity = decide(user, "application.view_identity", application)
    if not identity:
        return identity
    if decide(user, "application.change", application):
        return ALLOW
    if application.reviews.filter(reviewer=user).exists():
        return ALLOW
    return Decision(
        False,
        _(
            "Only the lead organisation, the organisation that supports this applicant and its reviewers can open its files."
        ),
    )


def _attachable(application: Application) -> None:
    if application.status not in ATTACHABLE:
        raise ValidationError(
            {"file": [_("Files can be added or removed only while the application is a draft or changes were asked.")]}
        )


@transaction.atomic
def application_file_upload(*, actor: Any, application: Application, upload: Upload) -> GrantFile:
    """Check and keep one attachment of ``application``. Refused with nothing stored (``ValidationError`` on
    ``file``): the application submitted or decided, already :data:`MAX_APPLICATION_FILES` files, an
    extension not accepted, too large, empty, or content that is not what the extension says."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    enforce(actor, "application.change", application)
    _attachable(application)
    if GrantFile.objects.filter(application=application).count() >= MAX_APPLICATION_FILES:
        raise ValidationError({"file": [_("An application keeps at most %(n)s files.") % {"n": MAX_APPLICATION_FILES}]})
    received = receive(upload, extensions=APPLICATION_EXTENSIONS, base=files_dir())
    try:
        record = GrantFile.objects.create(
            programme_id=application.programme_id,
            application=application,
            name=received.name,
            extension=received.extension,
            size=received.size,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            uploaded_at=timezone.now(),
        )
        audit.record(
            actor=actor,
            action="application.file.upload",
            obj=application,
            summary={"file": str(record.key), "extension": received.extension, "size": received.size},
        )
    except BaseException:
        received.discard()
        raise
    keep_on_commit(received.path, stored_path(record.key))
    return record


@transaction.atomic
def application_file_delete(*, actor: Any, file: GrantFile) -> None:
    """Remove an attachment (its bytes once the transaction commits), while the application may still change."""
    if file.application_id is None:
        raise GrantFile.DoesNotExist
    application = Application.objects.select_for_update().get(pk=file.application_id)
    enforce(actor, "application.change", application)
    _attachable(application)
    summary = {"file": str(file.key), "extension": file.extension, "size": file.size}
    _forget(file)
    audit.record(actor=actor, action="application.file.delete", obj=application, summary=summary)


def application_file_opened(*, actor: Any, file: GrantFile) -> Path:
    """The path to stream an attachment from, audited as a download (the view decided who may see it)."""
    application = file.application
    if application is None:
        raise GrantFile.DoesNotExist
    enforce(actor, "application.file.view", application)
    audit.record(
        actor=actor,
        action="application.file.download",
        obj=application,
        summary={"file": str(file.key), "extension": file.extension},
    )
    return stored_path(file.key)
