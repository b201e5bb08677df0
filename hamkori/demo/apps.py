from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "hamkori.demo"
    label = "demo"
    verbose_name = "Demo"
