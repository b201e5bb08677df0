from django.apps import AppConfig


class IntakeBenchConfig(AppConfig):
    name = "benchmarks.intake_bench"
    label = "intake_bench"
    default_auto_field = "django.db.models.BigAutoField"
