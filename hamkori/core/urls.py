from django.urls import path

from hamkori.core import views_audit

urlpatterns = [
    path("", views_audit.audit_list, name="audit_list"),
]
