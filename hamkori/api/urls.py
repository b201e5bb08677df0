from django.urls import path

from hamkori.api.main import api

urlpatterns = [path("", api.urls)]
