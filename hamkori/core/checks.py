"""System checks of our own: translations exist for every language we ship."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.translation)
def catalogues_compiled(app_configs, **kwargs):
    errors = []
    for code, _name in settings.LANGUAGES:
        if code == "en":
            continue
        mo = settings.LOCALE_PATHS[0] / code / "LC_MESSAGES" / "django.mo"
        if not mo.exists():
            errors.append(
                Warning(
                    f"The {code} catalogue is not compiled ({mo}).",
                    hint="Run: uv run hamkori compilemessages",
                    id="hamkori.W001",
                )
            )
    return errors
