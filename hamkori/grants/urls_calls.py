"""The calls and applications pages, under ``/p/<code>/grants/`` (``hamkori/config/urls.py``)."""

from django.urls import URLPattern, path

from hamkori.grants import views_calls as views

urlpatterns: list[URLPattern] = [
    path("", views.grants_home, name="grants_home"),
    path("settings/", views.grants_vocabulary, name="grants_vocabulary"),
    path("calls/new/", views.call_create, name="call_create"),
    path("calls/<int:call_id>/", views.call_detail, name="call_detail"),
    path("calls/<int:call_id>/edit/", views.call_edit, name="call_edit"),
    path("calls/<int:call_id>/status/", views.call_status, name="call_status"),
    path("calls/<int:call_id>/applications/", views.application_list, name="application_list"),
    path("calls/<int:call_id>/apply/", views.application_create, name="application_create"),
    path("applications/<int:application_id>/", views.application_detail, name="application_detail"),
    path("applications/<int:application_id>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:application_id>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:application_id>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<int:application_id>/take-on/", views.application_take_on, name="application_take_on"),
]
