"""The grant and money pages, mounted under ``/p/<code>/grants/`` (``hamkori/config/urls.py``)."""

from django.urls import path

from hamkori.grants import views_money as views

urlpatterns = [
    path("awarded/", views.grant_list, name="grant_list"),
    path("awarded/<int:grant_id>/", views.grant_detail, name="grant_detail"),
    path("awarded/<int:grant_id>/sign/", views.grant_sign, name="grant_sign"),
    path("awarded/<int:grant_id>/tranches/", views.grant_plan, name="grant_plan"),
    path("awarded/<int:grant_id>/tranches/<int:tranche_id>/release/", views.tranche_release, name="tranche_release"),
    path("awarded/<int:grant_id>/reports/new/", views.report_create, name="report_create"),
    path("awarded/<int:grant_id>/reports/<int:report_id>/review/", views.report_review, name="report_review"),
    path("awarded/<int:grant_id>/close/", views.grant_close, name="grant_close"),
    path("awarded/<int:grant_id>/events/", views.grant_events, name="grant_events"),
    path("money/", views.grants_money, name="grants_money"),
    path("money/ledger.xlsx", views.grants_ledger, name="grants_ledger"),
    path("rates/", views.grants_rates, name="grants_rates"),
]
