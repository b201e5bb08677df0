"""The application's URLs, plus ``/bench/bare/``."""

from django.urls import path

from benchmarks.intake_bench.views import bare
from hamkori.config.urls import urlpatterns as app_urlpatterns

urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *app_urlpatterns]
