from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "hamkori.grants"
    label = "grants"
    verbose_name = _("Small grants and campaigns")

    def ready(self) -> None:
        from hamkori.events.panels import register_event_panel
        from hamkori.grants import home, permissions, review_panels, vocabulary  # noqa: F401
        from hamkori.grants.grant_panels import application_grant_panel, event_grants_panel
        from hamkori.grants.money_home import money_items
        from hamkori.grants.panels import register_application_panel, register_grant_panel
        from hamkori.grants.product_panels import product_panel
        from hamkori.programmes.home import register_home_items

        register_application_panel(review_panels.review_panel)
        register_application_panel(application_grant_panel)
        register_grant_panel(product_panel)
        register_event_panel(event_grants_panel)
        register_home_items(home.review_items)
        register_home_items(money_items)
