"""The URL tree. Each app's pages are mounted here (config is the top layer, docs/adr/0007-layers.md):
a lower app never imports a higher app's URLs."""

from django.urls import include, path

from hamkori.accounts import views_audit
from hamkori.accounts.urls import programme_urlpatterns as user_urls
from hamkori.concerns.urls_overview import public_urlpatterns as concern_public_urls
from hamkori.concerns.urls_overview import publish_urlpatterns as concern_publish_urls
from hamkori.core import views as core_views
from hamkori.people import views_sectors
from hamkori.programmes import views as programme_views

urlpatterns = [
    path("", programme_views.home, name="home"),
    # First: the API (and with it the public intake, the busiest address) is matched before the pages.
    path("api/", include("hamkori.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("hamkori.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("places/", include("hamkori.places.urls")),
    path("organisations/", programme_views.organisation_list, name="organisation_list"),
    path("p/", include("hamkori.programmes.urls")),
    path("p/<slug:code>/settings/sectors/", views_sectors.sector_list, name="sector_list"),
    path("p/<slug:code>/audit/", views_audit.audit_list, name="audit_list"),
    path("p/<slug:code>/audit/export.<str:fmt>", views_audit.audit_export, name="audit_export"),
    path("p/<slug:code>/users/", include(user_urls)),
    path("p/<slug:code>/people/", include("hamkori.people.urls")),
    path("p/<slug:code>/groups/", include("hamkori.groups.urls")),
    path("p/<slug:code>/rounds/", include("hamkori.concerns.urls_rounds")),
    path("p/<slug:code>/plan/", include("hamkori.concerns.urls_actions")),
    path("p/<slug:code>/commitments/", include("hamkori.events.urls_commitments")),
    # Before any other p/<code>/concerns/ include, so that nothing there shadows them.
    path("p/<slug:code>/concerns/overview/", include("hamkori.concerns.urls_overview")),
    path("p/<slug:code>/concerns/publish/", include(concern_publish_urls)),
    path("p/<slug:code>/concerns/", include("hamkori.concerns.urls")),
    path("p/<slug:code>/events/", include("hamkori.events.urls")),
    path("p/<slug:code>/events/", include("hamkori.events.urls_files")),
    path("p/<slug:code>/events/", include("hamkori.events.urls_attendance")),
    path("p/<slug:code>/events/", include("hamkori.events.urls_summary")),
    path("p/<slug:code>/events/", include("hamkori.events.urls_trainings")),
    path("p/<slug:code>/grants/", include("hamkori.grants.urls_calls")),
    path("p/<slug:code>/grants/", include("hamkori.grants.urls_reviews")),
    path("p/<slug:code>/grants/", include("hamkori.grants.urls_money")),
    path("p/<slug:code>/grants/", include("hamkori.grants.urls_attachments")),
    path("p/<slug:code>/campaigns/", include("hamkori.grants.urls_campaigns")),
    path("apply/", include("hamkori.grants.urls_public")),
    path("public/", include(concern_public_urls)),
    path("report/", include("hamkori.concerns.urls_public")),
    path("calendar/", include("hamkori.events.urls_calendar")),
    path("healthz", core_views.healthz, name="healthz"),
]
