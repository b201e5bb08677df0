from django.urls import path

from hamkori.groups import views, views_io

urlpatterns = [
    path("", views.group_list, name="group_list"),
    path("new/", views.group_create, name="group_create"),
    path("balance/", views.programme_balance, name="programme_balance"),
    path("policy/", views.balance_policy, name="balance_policy"),
    path("export.<str:fmt>", views_io.groups_export, name="groups_export"),
    path("<int:pk>/", views.group_detail, name="group_detail"),
    path("<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("<int:pk>/status/", views.group_status, name="group_status"),
    path("<int:pk>/members/", views.membership_add, name="membership_add"),
    path("<int:pk>/members/new/", views.group_person_create, name="group_person_create"),
    path("<int:pk>/members/<int:membership_id>/end/", views.membership_end, name="membership_end"),
    path("<int:pk>/members/<int:membership_id>/reopen/", views.membership_reopen, name="membership_reopen"),
]
