from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "hamkori.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from hamkori.core import checks  # noqa: F401
        from hamkori.core.audit_chain import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="hamkori.core.audit_guard")
