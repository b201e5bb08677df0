from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "hamkori.groups"
    label = "groups"
    verbose_name = _("Working groups")

    def ready(self) -> None:
        from hamkori.groups import home, permissions  # noqa: F401
        from hamkori.programmes.home import register_home_items, register_home_panels

        register_home_items(home.group_items)
        register_home_panels(home.member_panels)
        register_home_panels(home.donor_panels)
