"""Public intake, mounted at ``/report/`` (``config/urls.py``)."""

from django.urls import path

from hamkori.concerns import views_public

urlpatterns = [
    path("", views_public.report, name="public_report"),
    path("status/", views_public.status, name="public_report_status"),
]
