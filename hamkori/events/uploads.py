"""Files of an event: minutes, signed attendance sheets, photos (issue 15, part 5).

What reaches the disk is decided here, never by the browser:

- **Type and size while streaming**: :class:`UploadLimit` (the kit's
  :class:`~hamkori.kit.spreadsheets.LimitedUploadHandler` with a limit chosen from the file's extension
  as soon as the file's part begins) stops reading the request once the limit is passed.
  Limits: :func:`limits` (setting ``HAMKORI_EVENT_UPLOAD_LIMITS``, bytes by ``"image"``/``"document"``).
- **Content against the extension**: magic bytes first (a script renamed ``.jpg``, an HTML, PHP or SVG file
  is refused), then per format: images are decoded in full with Pillow and **re-encoded** (EXIF, GPS, XMP,
  comments and anything appended after the image are dropped; the orientation is applied first so the
  photo stays upright); a PDF must begin with ``%PDF-``, end at its last ``%%EOF``, carry no zip
  directory near its end and name no JavaScript, launch action or embedded file in its uncompressed
  structure (a best effort: what a compressed object stream hides is left to the download headers, an
  attachment with ``nosniff`` and a ``default-src 'none'`` policy); DOCX and ODT are zips that
  must start at byte 0, end with their own directory and hold the parts of their format; a text file
  is UTF-8 without markup.
- **Names**: stored as ``<files dir>/<first two hex digits>/<uuid hex>`` (:func:`stored_path`) under the
  var directory (setting ``HAMKORI_EVENT_FILES_DIR``, default ``VAR_DIR/event-files``), never under the
  static root or media. The uploaded name is cleaned (:func:`clean_name`) and kept only for display and
  the download's ``filename*``.
- **No orphans**: the bytes go to a temporary file in the same directory, moved into place when the
  transaction commits; a refusal or an error removes it, and temporary files older than a day (left by a
  transaction rolled back around the service) are swept at the next upload.

The checks themselves (:func:`receive`, then :func:`keep_on_commit`) are not tied to events: the grants app
stores its campaign products' pictures and files through them, under its own directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
import time
import unicodedata
import uuid
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from hamkori.access.policy import ALLOW, Decision, decide, enforce, grant_in, role_in, rule
from hamkori.core import audit
from hamkori.core.roles import LEAD_ROLES, Role
from hamkori.events.models import Event, EventFile
from hamkori.kit.spreadsheets import LimitedUploadHandler

Kind = EventFile.Kind

MB = 1024 * 1024
DEFAULT_LIMITS = {"image": 10 * MB, "document": 20 * MB}
#: A photo larger than this many pixels is refused before it is decoded (a decompression bomb).
MAX_PIXELS = 50_000_000
#: Temporary files older than this are left over from a rolled-back transaction: removed.
STALE_SECONDS = 24 * 3600

IMAGE_EXTENSIONS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
DOCUMENT_EXTENSIONS = ("pdf", "docx", "odt", "txt")
#: The type a file is served with, from its (checked) extension: never what the browser said.
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "txt": "text/plain; charset=utf-8",
}
#: Which extensions each kind of file takes.
KIND_EXTENSIONS: dict[str, tuple[str, ...]] = {
    Kind.MINUTES: ("pdf", "docx", "odt", "txt"),
    Kind.SIGN_IN: ("jpg", "jpeg", "png", "webp", "pdf"),
    Kind.PHOTO: ("jpg", "jpeg", "png", "webp"),
    Kind.OTHER: ("pdf", "docx", "odt", "txt", "jpg", "jpeg", "png", "webp"),
}
ALL_EXTENSIONS = tuple(dict.fromkeys(e for exts in KIND_EXTENSIONS.values() for e in exts))
#: At most this many files per event.
MAX_FILES = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|script|svg|iframe|object|embed|body|head|meta|\?php|\?=)", re.IGNORECASE)
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|ImportData)\b")


def limits() -> dict[str, int]:
    return {**DEFAULT_LIMITS, **getattr(settings, "HAMKORI_EVENT_UPLOAD_LIMITS", {})}


def family(extension: str) -> str:
    return "image" if extension in IMAGE_EXTENSIONS else "document"


def limit_for(extension: str) -> int:
    return limits()[family(extension)]


def max_limit() -> int:
    return max(limits().values())


def files_dir() -> Path:
    configured = getattr(settings, "HAMKORI_EVENT_FILES_DIR", "")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "event-files"


def stored_path(key: uuid.UUID) -> Path:
    """Where a file's bytes are: named by its key only (nothing the uploader chose)."""
    return files_dir() / key.hex[:2] / key.hex


def extension_of(name: str) -> str:
    base = clean_name(name).lower()
    return base.rsplit(".", 1)[-1] if "." in base else ""


def clean_name(name: str) -> str:
    """The uploaded name, for display only: no folders, no control or direction characters, at most
    120 characters (the extension kept)."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _CONTROL.sub("", text).strip().strip(".").strip()
    text = re.sub(r"\s+", " ", text)
    if len(text) > 120:
        stem, dot, ext = text.rpartition(".")
        text = (stem[: 119 - len(ext)] + dot + ext) if dot and len(ext) <= 8 else text[:120]
    return text or "file"


def too_large_message(extension: str = "") -> str:
    size = filesizeformat(limit_for(extension) if extension else max_limit())
    if extension and family(extension) == "image":
        return _("The photo is too large: at most %(size)s is accepted.") % {"size": size}
    return _("The file is too large: at most %(size)s is accepted.") % {"size": size}


class UploadLimit(LimitedUploadHandler):
    """The kit's streaming limit, with the limit of the file's type: photos and documents differ, so the
    limit is set when the file's part begins (its name is known then). The declared length of the whole
    request is checked against the largest limit."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request, limit=max_limit())
        self.extension = ""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        self.extension = extension_of(file_name)
        if self.extension in ALL_EXTENSIONS:
            self.limit = limit_for(self.extension)
        super().new_file(field_name, file_name, *args, **kwargs)


# --- Checking the content ------------------------------------------------------------------------
def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _disguised(extension: str) -> ValidationError:
    return _refuse(
        _("The file's content is not what its name says (.%(ext)s): it was not stored.") % {"ext": extension}
    )


def _magic_ok(extension: str, head: bytes) -> bool:
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension in ("docx", "odt"):
        return head.startswith(b"PK\x03\x04")
    if extension == "txt":
        return not head.startswith((b"PK\x03\x04", b"\xff\xd8", b"\x89PNG", b"%PDF", b"GIF8", b"\x7fELF", b"MZ"))
    return False


def _reencode(path: Path, extension: str) -> bytes:
    """Decode the whole image and write it again: only the pixels survive."""
    wanted = IMAGE_EXTENSIONS[extension]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as probe:
                if probe.format != wanted:
                    raise _disguised(extension)
                width, height = probe.size
                if width * height > MAX_PIXELS or width < 1 or height < 1:
                    raise _refuse(_("The photo has too many pixels: at most 50 million are accepted."))
                probe.verify()
            with Image.open(path) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning) as exc:
        raise _refuse(_("The photo could not be read: it may be damaged or not a photo.")) from exc
    if wanted == "JPEG":
        clean = upright.convert("RGB") if upright.mode not in ("RGB", "L") else upright
    elif wanted == "PNG":
        clean = (
            upright if upright.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16") else upright.convert("RGBA")
        )
    else:
        clean = upright.convert("RGBA") if upright.mode not in ("RGB", "RGBA") else upright
    clean.info = {}
    out = io.BytesIO()
    if wanted == "JPEG":
        clean.save(out, "JPEG", quality=88, optimize=True, exif=b"")
    elif wanted == "PNG":
        clean.save(out, "PNG", optimize=False)
    else:
        clean.save(out, "WEBP", quality=85, exif=b"", xmp=b"")
    return out.getvalue()


def _check_pdf(data: bytes) -> None:
    end = data.rstrip(b"\r\n\t\f \x00").endswith(b"%%EOF")
    if not end:
        raise _refuse(
            _("The PDF has something after its end, or no end: it was not stored. Save it again as PDF and retry.")
        )
    if b"PK\x05\x06" in data[-(66 * 1024) :] or re.search(rb"<\s*(?:html|script|svg)", data[:1024], re.I):
        raise _disguised("pdf")
    if _PDF_ACTIVE.search(data):
        raise _refuse(
            _("The PDF carries scripts, actions or attached files: it was not stored. Print it to PDF again.")
        )


def _check_zip(data: bytes, extension: str) -> None:
    """DOCX and ODT: a zip from byte 0 to its own end, with the parts of its format, small once unpacked."""
    eocd = data.rfind(b"PK\x05\x06")
    if eocd < 0 or eocd + 22 > len(data):
        raise _disguised(extension)
    comment = int.from_bytes(data[eocd + 20 : eocd + 22], "little")
    if eocd + 22 + comment != len(data):
        raise _disguised(extension)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _disguised(extension) from exc
    names = {i.filename for i in infos}
    if len(infos) > 1000 or sum(i.file_size for i in infos) > 200 * MB:
        raise _refuse(_("The document unpacks to too much data: it was not stored."))
    if not any(i.header_offset == 0 for i in infos):
        raise _disguised(extension)
    if any(n.lower().endswith((".bin", ".exe", ".js", ".vbs", ".html", ".htm", ".svg")) for n in names):
        raise _refuse(_("The document carries macros or other active content: it was not stored."))
    if extension == "docx":
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            raise _disguised(extension)
    else:
        first = infos[0]
        if first.filename != "mimetype" or "content.xml" not in names:
            raise _disguised(extension)
        try:
            mimetype = archive.read("mimetype")
        except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
            raise _disguised(extension) from exc
        if mimetype.strip() != b"application/vnd.oasis.opendocument.text":
            raise _disguised(extension)


def _check_text(data: bytes) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(_("A text file must be saved as UTF-8: it was not stored.")) from exc
    if "\x00" in text or _MARKUP.search(data) or text.lstrip().startswith("<"):
        raise _disguised("txt")


def check_content(path: Path, extension: str) -> bytes | None:
    """Refuse content that is not what ``extension`` says (ValidationError on ``file``). Images come back
    re-encoded (the bytes to store instead); other files come back as None (stored as uploaded)."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if not _magic_ok(extension, head):
        raise _disguised(extension)
    if extension in IMAGE_EXTENSIONS:
        return _reencode(path, extension)
    data = path.read_bytes()
    if extension == "pdf":
        _check_pdf(data)
    elif extension in ("docx", "odt"):
        _check_zip(data, extension)
    else:
        _check_text(data)
    return None


# --- Storing -------------------------------------------------------------------------------------
def _tmp_dir(base: Path | None = None) -> Path:
    folder = (base or files_dir()) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep_stale(folder: Path) -> None:
    cutoff = time.time() - STALE_SECONDS
    for leftover in folder.iterdir():
        with contextlib.suppress(OSError):
            if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def _spool(chunks: Iterable[bytes], limit: int, extension: str, base: Path | None = None) -> tuple[Path, int]:
    """Write ``chunks`` to a temporary file; refuse as soon as more than ``limit`` bytes came."""
    handle = tempfile.NamedTemporaryFile(dir=_tmp_dir(base), prefix="up-", delete=False)  # noqa: SIM115
    path = Path(handle.name)
    size = 0
    try:
        with handle:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise _refuse(too_large_message(extension))
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size


@dataclass(frozen=True)
class Upload:
    """What a view hands the service: the name as sent and the bytes, in chunks."""

    name: str
    chunks: Iterable[bytes]


@dataclass(frozen=True)
class Received:
    """A checked upload waiting in a temporary file (:func:`receive`): its cleaned name, canonical extension
    (``jpg`` for ``jpeg``), size and SHA-256 of the bytes to keep (re-encoded for a photo)."""

    path: Path
    name: str
    extension: str
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]

    @property
    def is_image(self) -> bool:
        return self.extension in IMAGE_EXTENSIONS

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def receive(upload: Upload, *, extensions: Iterable[str], base: Path | None = None) -> Received:
    """The checks every upload goes through, whatever it is kept with (an event's file, a campaign's product):
    the name cleaned, the extension one of ``extensions``, the bytes spooled under ``base``/tmp (the events'
    files directory by default) within the type's limit, not empty, the content what the extension says, a
    photo re-encoded (EXIF, GPS, comments dropped). Refused with a ``ValidationError`` on ``file`` and nothing
    left on disk; otherwise the caller keeps the file (:func:`keep_on_commit`) or discards it."""
    allowed = tuple(extensions)
    name = clean_name(upload.name)
    extension = extension_of(name)
    if extension not in allowed or extension not in ALL_EXTENSIONS:
        raise _refuse(_("Upload a file ending in %(list)s.") % {"list": ", ".join("." + e for e in allowed)})
    folder = _tmp_dir(base)
    _sweep_stale(folder)
    spooled, size = _spool(upload.chunks, limit_for(extension), extension, base)
    try:
        if size == 0:
            raise _refuse(_("The file is empty."))
        cleaned = check_content(spooled, extension)
        if cleaned is not None:
            spooled.write_bytes(cleaned)
            size = len(cleaned)
        digest = hashlib.sha256()
        with spooled.open("rb") as handle:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
    except BaseException:
        spooled.unlink(missing_ok=True)
        raise
    canonical = "jpg" if extension == "jpeg" else extension
    return Received(path=spooled, name=name, extension=canonical, size=size, sha256=digest.hexdigest())


def keep_on_commit(path: Path, final: Path) -> None:
    """Move a received file to ``final`` once the transaction commits (a rollback leaves it to the sweep)."""

    def move() -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, final)

    transaction.on_commit(move)


@transaction.atomic
def file_upload(*, actor: Any, event: Event, kind: str, upload: Upload) -> EventFile:
    """Check and store one file of ``event``. Refused with nothing stored: a kind or extension not
    accepted, too large, empty, or content that is not what the extension says."""
    enforce(actor, "event.change", event)
    if kind not in Kind.values:
        raise ValidationError({"kind": [_("Choose what kind of file this is.")]})
    name = clean_name(upload.name)
    extension = extension_of(name)
    allowed = KIND_EXTENSIONS[kind]
    if extension not in allowed:
        raise _refuse(
            _("%(kind)s: upload a file ending in %(list)s.")
            % {"kind": Kind(kind).label, "list": ", ".join("." + e for e in allowed)}
        )
    if EventFile.objects.filter(event=event).count() >= MAX_FILES:
        raise _refuse(_("An event keeps at most %(n)s files.") % {"n": MAX_FILES})
    received = receive(upload, extensions=allowed)
    try:
        record = EventFile.objects.create(
            event=event,
            kind=kind,
            original_name=received.name,
            content_type=received.content_type,
            extension=received.extension,
            size=received.size,
            sha256=received.sha256,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            action="event.file.upload",
            obj=event,
            programme=event.programme,
            summary={"file": str(record.key), "kind": kind, "extension": received.extension, "size": received.size},
        )
    except BaseException:
        received.discard()
        raise
    keep_on_commit(received.path, stored_path(record.key))
    return record


@rule("event.file.view")
def file_view_rule(user: Any, event: Event) -> Decision:
    """Opening an event's files and printing its sign-in sheet (signatures, names, faces): whoever may see
    who took part (``event.view_people``: the lead roles and the organiser)."""
    return decide(user, "event.view_people", event)


@rule("event.file.delete")
def file_delete_rule(user: Any, file: EventFile) -> Decision:
    """Removing a file: lead roles, or a partner of the organisation of whoever uploaded it (who may
    change the event)."""
    event = file.event
    role = role_in(user, event.programme_id)
    if role in LEAD_ROLES:
        return ALLOW
    if role == Role.PARTNER and decide(user, "event.change", event):
        mine = grant_in(user, event.programme_id)
        theirs = grant_in(file.uploaded_by, event.programme_id) if file.uploaded_by_id else None
        if mine is not None and theirs is not None and mine.organisation_id == theirs.organisation_id:
            return ALLOW
    return Decision(False, _("Only the lead organisation and the organisation that uploaded this file can remove it."))


@transaction.atomic
def file_delete(*, actor: Any, file: EventFile) -> None:
    enforce(actor, "event.file.delete", file)
    event = file.event
    path = stored_path(file.key)
    summary = {"file": str(file.key), "kind": file.kind, "size": file.size}
    file.delete()
    audit.record(actor=actor, action="event.file.delete", obj=event, programme=event.programme, summary=summary)
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


def file_opened(*, actor: Any, file: EventFile) -> Path:
    """The path to stream a file from, audited as a download (the view checked who may see it)."""
    enforce(actor, "event.file.view", file.event)
    audit.record(
        actor=actor,
        action="event.file.download",
        obj=file.event,
        programme=file.event.programme,
        summary={"file": str(file.key), "kind": file.kind},
    )
    return stored_path(file.key)
