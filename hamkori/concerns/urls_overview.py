"""URLs of the programme overview (``urlpatterns``, mounted at ``p/<code>/concerns/overview/``), of
the staff's publishing page (``publish_urlpatterns``, at ``p/<code>/concerns/publish/``) and of the
public accountability pages (``public_urlpatterns``, at ``public/``, no sign-in)."""

from django.urls import path

from hamkori.concerns import views_overview

urlpatterns = [
    path("", views_overview.concern_overview, name="concern_overview"),
]

publish_urlpatterns = [
    path("", views_overview.concern_publish, name="concern_publish"),
]

public_urlpatterns = [
    path("<slug:programme_code>/", views_overview.public_index, name="public_index"),
    path("<slug:programme_code>/<slug:district_code>/", views_overview.public_district, name="public_district"),
]
