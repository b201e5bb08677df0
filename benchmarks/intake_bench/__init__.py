"""A benchmark-only Django app for ``benchmarks/intake_load.py``: the bare endpoint that inserts one
row into a tiny table of its own, served by the same gunicorn next to the real public intake.

Used only through ``DJANGO_SETTINGS_MODULE=benchmarks.intake_bench.settings``; nothing of the app's
code imports it."""
