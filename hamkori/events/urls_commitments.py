"""Commitments, mounted at ``p/<code>/commitments/`` (``config/urls.py``). Following one up is the
action's page (``plan/actions/<id>/``)."""

from django.urls import path

from hamkori.events import views_commitments as views

urlpatterns = [
    path("", views.commitment_list, name="commitment_list"),
    path("events/<int:event_id>/", views.event_commitments, name="event_commitments"),
    path("events/<int:event_id>/add/", views.commitment_add, name="commitment_add"),
    path("organisations/<int:organisation_id>/", views.organisation_commitments, name="organisation_commitments"),
]
