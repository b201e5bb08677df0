from django.urls import path

from hamkori.accounts import views_audit

urlpatterns = [
    path("", views_audit.audit_list, name="audit_list"),
]
