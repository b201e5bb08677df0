from django.urls import include, path

from hamkori.accounts.urls import programme_urlpatterns as user_urls
from hamkori.programmes import views

urlpatterns = [
    path("<slug:code>/", views.overview, name="programme_overview"),
    path("<slug:code>/audit/", include("hamkori.core.urls")),
    path("<slug:code>/users/", include(user_urls)),
]
