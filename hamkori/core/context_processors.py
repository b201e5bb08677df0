from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    return {
        "site_name": settings.HAMKORI_SITE_NAME,
        "current_programme": getattr(request, "programme", None),
        "current_role": getattr(request, "role", None),
        "htmx_version": "2.0.11",
        # Each language in its own name, untranslated, so anyone can find theirs.
        "native_languages": settings.LANGUAGES,
    }
