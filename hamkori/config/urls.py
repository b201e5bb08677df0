from django.urls import include, path

from hamkori.core import views as core_views
from hamkori.programmes import views as programme_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("hamkori.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("places/", include("hamkori.places.urls")),
    path("organisations/", programme_views.organisation_list, name="organisation_list"),
    path("p/", include("hamkori.programmes.urls")),
    path("api/", include("hamkori.api.urls")),
    path("healthz", core_views.healthz, name="healthz"),
]
