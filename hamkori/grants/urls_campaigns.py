"""The campaign pages, mounted under ``/p/<code>/campaigns/`` (``hamkori/config/urls.py``)."""

from django.urls import path

from hamkori.grants import views_campaigns as views

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.product_create, name="product_create"),
    path("summary/", views.campaign_summary, name="campaign_summary"),
    path("summary/export.<str:fmt>", views.campaign_summary_export, name="campaign_summary_export"),
    path("gallery/", views.campaign_gallery, name="campaign_gallery"),
    path("<int:product_id>/", views.product_detail, name="product_detail"),
    path("<int:product_id>/edit/", views.product_edit, name="product_edit"),
    path("<int:product_id>/file/", views.product_file, name="product_file"),
    path("<int:product_id>/reach/new/", views.reach_create, name="reach_create"),
    path("<int:product_id>/reach/<int:reach_id>/edit/", views.reach_edit, name="reach_edit"),
]
