"""urls_campaigns (filled by the grants pages)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
