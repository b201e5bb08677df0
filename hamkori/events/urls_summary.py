"""The participation summary, mounted under ``p/<code>/events/`` (``hamkori/config/urls.py``)."""

from django.urls import path

from hamkori.events import views_summary

urlpatterns = [
    path("summary/", views_summary.event_summary, name="event_summary"),
    path("summary/export.<str:fmt>", views_summary.event_summary_export, name="event_summary_export"),
]
