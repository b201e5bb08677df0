from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "hamkori.groups"
    label = "groups"
    verbose_name = _("Working groups")

    def ready(self) -> None:
        from hamkori.groups import exports, importers, people_extensions, permissions  # noqa: F401
        from hamkori.people.exports import register_column
        from hamkori.people.importers import register_step

        people_extensions.register()
        register_step(importers.MembershipStep())
        register_column(exports.WORKING_GROUPS_COLUMN)
