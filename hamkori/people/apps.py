from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "hamkori.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from hamkori.people import home, permissions  # noqa: F401
        from hamkori.programmes.home import register_home_items

        register_home_items(home.consent_items)
