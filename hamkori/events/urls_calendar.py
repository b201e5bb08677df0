"""The private calendar address, mounted at ``calendar/`` (``config/urls.py``)."""

from django.urls import path

from hamkori.events import views_calendar as views

urlpatterns = [
    path("", views.calendar_settings, name="calendar_settings"),
    path("<str:secret>.ics", views.calendar_feed, name="calendar_feed"),
]
