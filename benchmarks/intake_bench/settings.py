"""The application's own settings (production mode when ``HAMKORI_ENV=production``), plus the bare
endpoint's app and URL. Nothing else differs."""

from hamkori.config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.intake_bench.apps.IntakeBenchConfig"]  # noqa: F405
ROOT_URLCONF = "benchmarks.intake_bench.urls"
