from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "hamkori.events"
    label = "events"
    verbose_name = _("Events and attendance")

    def ready(self) -> None:
        from hamkori.concerns.permissions import register_action_parent
        from hamkori.events import permissions
        from hamkori.events.panels import register_event_panel
        from hamkori.events.trainings import training_panels

        register_action_parent(permissions.commitment_change)
        register_event_panel(training_panels)
