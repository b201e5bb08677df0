from django.urls import path

from hamkori.places import views

urlpatterns = [
    path("", views.place_list, name="place_list"),
    path("<str:code>/", views.place_detail, name="place_detail"),
]
