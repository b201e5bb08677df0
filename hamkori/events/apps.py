from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "hamkori.events"
    label = "events"
    verbose_name = _("Events and attendance")

    def ready(self) -> None:
        from hamkori.concerns.permissions import register_action_parent
        from hamkori.events import home, permissions, vocabulary  # noqa: F401
        from hamkori.programmes.home import register_home_items

        register_action_parent(permissions.commitment_change)
        register_home_items(home.week_items)
