from django.urls import include, path

from hamkori.programmes import views

urlpatterns = [
    path("<slug:code>/", views.overview, name="programme_overview"),
    path("<slug:code>/audit/", include("hamkori.core.urls")),
]
