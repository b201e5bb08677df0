from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "hamkori.groups"
    label = "groups"
    verbose_name = _("Working groups")

    def ready(self) -> None:
        from hamkori.groups import people_extensions, permissions  # noqa: F401

        people_extensions.register()
