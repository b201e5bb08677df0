from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Grants, scoping and the permission registry; no models, no pages."""

    name = "hamkori.access"
    label = "access"
    verbose_name = "Access"  # never shown (Django's admin is not installed): no string to translate
