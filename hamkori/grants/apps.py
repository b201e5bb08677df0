from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "hamkori.grants"
    label = "grants"
    verbose_name = _("Small grants and campaigns")

    def ready(self) -> None:
        from hamkori.grants import permissions, vocabulary  # noqa: F401
        from hamkori.grants.panels import register_grant_panel
        from hamkori.grants.product_panels import product_panel

        register_grant_panel(product_panel)
