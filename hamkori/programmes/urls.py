from django.urls import path

from hamkori.programmes import views

#: Mounted at /p/; the other apps' programme pages are mounted under /p/<code>/ in config/urls.py.
urlpatterns = [
    path("new/", views.programme_new, name="programme_new"),
    path("<slug:code>/settings/", views.programme_settings, name="programme_settings"),
    path("<slug:code>/settings/partner/", views.programme_partner, name="programme_partner"),
    path("<slug:code>/", views.overview, name="programme_overview"),
]
