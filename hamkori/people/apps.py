from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "hamkori.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from hamkori.people import permissions  # noqa: F401
