from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConcernsConfig(AppConfig):
    name = "hamkori.concerns"
    label = "concerns"
    verbose_name = _("Community security cycle")

    def ready(self) -> None:
        from hamkori.concerns import permissions  # noqa: F401
