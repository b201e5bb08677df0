"""Django's admin is for looking only: every write goes through a service (with an audit event)."""

from django.contrib import admin

from hamkori.core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "actor_label", "action", "outcome", "object_type", "object_repr", "ip_address"]
    list_filter = ["outcome", "action"]
    search_fields = ["actor_label", "action", "object_repr"]
