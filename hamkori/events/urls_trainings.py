"""The scores screen of a training, mounted under ``p/<code>/events/`` (``hamkori/config/urls.py``)."""

from django.urls import path

from hamkori.events import views_trainings

urlpatterns = [
    path("<int:pk>/scores/", views_trainings.event_scores, name="event_scores"),
]
