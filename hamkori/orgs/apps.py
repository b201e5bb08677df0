from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "hamkori.orgs"
    label = "orgs"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from hamkori.orgs import permissions  # noqa: F401
