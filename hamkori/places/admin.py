from django.contrib import admin

from hamkori.core.admin import ReadOnlyAdmin
from hamkori.places.models import Place


@admin.register(Place)
class PlaceAdmin(ReadOnlyAdmin):
    list_display = ["code", "level", "name_tg", "name_ru", "name_en", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name_tg", "name_ru", "name_en", "search_text"]
    readonly_fields = ["path", "depth", "search_text"]

