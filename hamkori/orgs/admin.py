from django.contrib import admin

from hamkori.core.admin import ReadOnlyAdmin
from hamkori.orgs.models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name_en", "name_ru", "name_tg", "kind"]
    list_filter = ["kind"]
    search_fields = ["name_en", "name_ru", "name_tg", "short_name"]
