from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConcernsConfig(AppConfig):
    name = "hamkori.concerns"
    label = "concerns"
    verbose_name = _("Community security cycle")

    def ready(self) -> None:
        from hamkori.concerns import home, permissions  # noqa: F401
        from hamkori.concerns.overview import overview_panels
        from hamkori.groups.panels import register_group_panel
        from hamkori.programmes.home import register_home_items, register_home_panels

        register_home_items(home.referral_items)
        register_home_items(home.overdue_items)
        register_home_items(home.triage_items)
        register_group_panel(home.group_promise_panels)
        register_home_panels(overview_panels)
