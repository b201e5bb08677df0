"""An application's attachments, under ``/p/<code>/grants/`` (``hamkori/config/urls.py``)."""

from django.urls import URLPattern, path

from hamkori.grants import views_attachments as views

urlpatterns: list[URLPattern] = [
    path("applications/<int:application_id>/files/", views.application_files, name="application_files"),
    path("applications/<int:application_id>/files/<uuid:key>/", views.application_file, name="application_file"),
    path(
        "applications/<int:application_id>/files/<uuid:key>/delete/",
        views.application_file_delete,
        name="application_file_delete",
    ),
]
