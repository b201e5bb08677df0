from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "hamkori.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from hamkori.access.policy import register_grant_loader
        from hamkori.accounts import permissions, signals  # noqa: F401

        register_grant_loader(permissions.load_grants)
