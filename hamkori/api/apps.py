from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hamkori.api"
    label = "hamkori_api"
