"""The attendance screen and the tally form of an event, mounted under ``p/<code>/events/``
(``hamkori/config/urls.py``)."""

from django.urls import path

from hamkori.events import views_attendance as views

urlpatterns = [
    path("<int:event_id>/attendance/", views.event_attendance, name="event_attendance"),
    path("<int:event_id>/attendance/search/", views.event_attendance_search, name="event_attendance_search"),
    path("<int:event_id>/tally/", views.event_tally, name="event_tally"),
]
