from django.urls import include, path

from hamkori.accounts.urls import programme_urlpatterns as user_urls
from hamkori.programmes import views

urlpatterns = [
    path("new/", views.programme_new, name="programme_new"),
    path("<slug:code>/settings/", views.programme_settings, name="programme_settings"),
    path("<slug:code>/settings/partner/", views.programme_partner, name="programme_partner"),
    path("<slug:code>/settings/sectors/", views.sector_list, name="sector_list"),
    path("<slug:code>/", views.overview, name="programme_overview"),
    path("<slug:code>/audit/", include("hamkori.core.urls")),
    path("<slug:code>/users/", include(user_urls)),
    path("<slug:code>/people/", include("hamkori.people.urls")),
    path("<slug:code>/groups/", include("hamkori.groups.urls")),
]
