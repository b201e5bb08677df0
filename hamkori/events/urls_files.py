"""An event's paper and files, mounted under ``/p/<code>/events/`` (``hamkori/config/urls.py``)."""

from django.urls import path

from hamkori.events import views_files

urlpatterns = [
    path("<int:pk>/files/", views_files.event_files, name="event_files"),
    path("<int:pk>/files/upload/", views_files.event_file_upload, name="event_file_upload"),
    path("<int:pk>/files/<uuid:key>/", views_files.event_file_download, name="event_file_download"),
    path("<int:pk>/files/<uuid:key>/delete/", views_files.event_file_delete, name="event_file_delete"),
    path("<int:pk>/sign-in-sheet/", views_files.event_sign_in_sheet, name="event_sign_in_sheet"),
    path("<int:pk>/attendance-sheet/", views_files.event_attendance_template, name="event_attendance_template"),
    path("<int:pk>/attendance-sheet/import/", views_files.event_attendance_import, name="event_attendance_import"),
]
