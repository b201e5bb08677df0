"""Campaign products and reach built through the services, shared by the campaign tests."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
from pathlib import Path
from typing import Any

from PIL import Image

from hamkori.grants import campaigns, uploads
from hamkori.grants.models import CampaignFormat, CampaignProduct, Reach
from hamkori.places.models import Place

EXIFTOOL = "/usr/bin/exiftool"
#: A fixed past day for distributions.
DAY = dt.date(2026, 5, 12)


def make_product(
    programme: Any,
    *,
    actor: Any = None,
    grant: Any = None,
    district: Place | None = None,
    fmt: str = "leaflet",
    title: str = "Варақа: амният дар деҳа",
    language: str = "tg",
    quantity: int = 500,
    upload: uploads.Upload | None = None,
) -> CampaignProduct:
    return uploads.product_record(
        actor=actor,
        programme=programme,
        grant=grant,
        district=district,
        format=CampaignFormat.objects.get(programme=programme, code=fmt),
        title=title,
        language=language,
        quantity=quantity,
        upload=upload,
    )


def make_reach(
    product: CampaignProduct,
    *,
    actor: Any = None,
    on: dt.date = DAY,
    place: Place | None = None,
    channel: str = "distribution",
    counts: dict[tuple[str, str], Any] | None = None,
    copies: int = 0,
    feedback: str = "",
) -> Reach:
    return campaigns.reach_save(
        actor=actor,
        product=product,
        on=on,
        place=place or product.district,
        channel=channel,
        counts=counts if counts is not None else {("female", "18-24"): 12, ("male", "25-35"): 8},
        copies=copies,
        feedback=feedback,
    )


def jpeg(size: tuple[int, int] = (640, 480), color: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", quality=90)
    return out.getvalue()


def pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 280), "white").save(out, "PDF")
    return out.getvalue()


def with_gps(folder: Path, data: bytes, name: str = "leaflet.jpg") -> bytes:
    """A photo with a camera make, a GPS position, a comment and XMP, written by exiftool."""
    path = folder / name
    path.write_bytes(data)
    subprocess.run(
        [
            EXIFTOOL,
            "-q",
            "-overwrite_original",
            "-Make=SecretCam",
            "-Model=Spy 3000",
            "-GPSLatitude=38.3712",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=71.4521",
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


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
