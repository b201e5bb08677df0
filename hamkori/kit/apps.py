from django.apps import AppConfig


class KitConfig(AppConfig):
    """An app only for its template (``kit/_pager.html``) and template tags (``{% load kit %}``)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "hamkori.kit"
    label = "kit"
