from django.contrib import admin

from hamkori.core.admin import ReadOnlyAdmin
from hamkori.programmes.models import Programme


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ["code", "title_en", "budget", "currency", "start_date", "end_date"]
