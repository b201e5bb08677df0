from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "hamkori.events"
    label = "events"
    verbose_name = _("Events and attendance")

    def ready(self) -> None:
        from hamkori.concerns.origins import register_action_origin
        from hamkori.concerns.permissions import register_action_parent
        from hamkori.events import commitments, home, permissions, uploads, views_files, vocabulary  # noqa: F401
        from hamkori.events.attendance_panel import attendance_panel
        from hamkori.events.panels import register_event_panel
        from hamkori.events.trainings import training_panels
        from hamkori.programmes.home import register_home_items

        register_action_parent(permissions.commitment_change)
        register_action_origin(commitments.commitment_origins)
        register_event_panel(attendance_panel)
        register_event_panel(training_panels)
        register_event_panel(commitments.commitment_panels)
        register_event_panel(views_files.files_panel)
        register_home_items(home.week_items)
        register_home_items(commitments.commitment_home_items)
