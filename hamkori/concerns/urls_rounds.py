from django.urls import path

from hamkori.concerns import views_rounds as views

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("new/", views.round_create, name="round_create"),
    path("<int:round_id>/", views.round_detail, name="round_detail"),
    path("<int:round_id>/scores/", views.round_scores, name="round_scores"),
    path("<int:round_id>/shortlist/", views.round_shortlist, name="round_shortlist"),
    path("<int:round_id>/decide/", views.round_decide, name="round_decide"),
]
