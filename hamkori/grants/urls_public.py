"""The public pages of a call, under ``/apply/`` (``hamkori/config/urls.py``): no account needed."""

from django.urls import URLPattern, path

from hamkori.grants import views_public as views

urlpatterns: list[URLPattern] = [
    path("<uuid:key>/", views.public_call, name="public_call"),
    path("<uuid:key>/form/", views.public_apply, name="public_apply"),
    path("<uuid:key>/d/<str:token>/", views.public_draft, name="public_draft"),
]
