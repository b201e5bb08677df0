"""The event pages, mounted under ``/p/<code>/events/`` (``hamkori/config/urls.py``)."""

from django.urls import path

from hamkori.events import views

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("calendar/", views.event_calendar, name="event_calendar"),
    path("new/", views.event_create, name="event_create"),
    path("settings/", views.event_vocabulary, name="event_vocabulary"),
    path("<int:event_id>/", views.event_detail, name="event_detail"),
    path("<int:event_id>/edit/", views.event_edit, name="event_edit"),
    path("<int:event_id>/hold/", views.event_hold, name="event_hold"),
    path("<int:event_id>/cancel/", views.event_cancel, name="event_cancel"),
]
