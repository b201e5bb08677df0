from django.urls import path

from hamkori.people import views, views_duplicates, views_io

urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("new/", views.person_create, name="person_create"),
    path("pick/", views.person_picker, name="person_picker"),
    path("duplicates/", views.person_duplicates, name="person_duplicates"),
    path("likely-duplicates/", views_duplicates.person_likely_duplicates, name="person_likely_duplicates"),
    path("import/", views_io.people_import, name="people_import"),
    path("import/template.<str:fmt>", views_io.people_import_template, name="people_import_template"),
    path("export.<str:fmt>", views_io.people_export, name="people_export"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/personal-data/", views.person_personal_data, name="person_personal_data"),
    path("<int:pk>/consents/", views.person_consent_add, name="person_consent_add"),
    path("<int:pk>/consents/<int:consent_id>/withdraw/", views.person_consent_withdraw, name="person_consent_withdraw"),
    path("<int:pk>/merge/", views.person_merge, name="person_merge"),
    path("<int:pk>/account/", views.person_account, name="person_account"),
]
