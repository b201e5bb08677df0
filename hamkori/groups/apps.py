from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "hamkori.groups"
    label = "groups"
    verbose_name = _("Working groups")

    def ready(self) -> None:
        from hamkori.groups import exports, home, importers, people_extensions, permissions  # noqa: F401
        from hamkori.people.exports import register_column
        from hamkori.people.importers import register_step
        from hamkori.programmes.home import register_home_items, register_home_panels

        people_extensions.register()
        register_step(importers.MembershipStep())
        register_column(exports.WORKING_GROUPS_COLUMN)
        register_home_items(home.group_items)
        register_home_panels(home.member_panels)
        register_home_panels(home.donor_panels)
