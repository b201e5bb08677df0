"""The concern pages, mounted under ``/p/<code>/concerns/`` (``hamkori/config/urls.py``)."""

from django.urls import path

from hamkori.concerns import views

urlpatterns = [
    path("", views.concern_list, name="concern_list"),
    path("board/", views.concern_board, name="concern_board"),
    path("new/", views.concern_create, name="concern_create"),
    path("triage/", views.concern_triage_queue, name="concern_triage_queue"),
    path("settings/", views.concern_vocabulary, name="concern_vocabulary"),
    path("<int:pk>/", views.concern_detail, name="concern_detail"),
    path("<int:pk>/edit/", views.concern_edit, name="concern_edit"),
    path("<int:pk>/move/", views.concern_move, name="concern_move"),
    path("<int:pk>/note/", views.concern_note, name="concern_note"),
    path("<int:pk>/publish/", views.concern_publish_note, name="concern_publish_note"),
    path("<int:pk>/triage/", views.concern_triage, name="concern_triage"),
    path("<int:pk>/decline/", views.concern_decline, name="concern_decline"),
    path("<int:pk>/merge/", views.concern_merge, name="concern_merge"),
]
