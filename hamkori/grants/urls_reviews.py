"""The review of grant applications, mounted at ``p/<code>/grants/`` (``config/urls.py``)."""

from django.urls import path

from hamkori.grants import views_reviews as views

urlpatterns = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("applications/<int:application_id>/reviewers/", views.application_reviewers, name="application_reviewers"),
    path("applications/<int:application_id>/screening/", views.application_screening, name="application_screening"),
    path("applications/<int:application_id>/decide/", views.application_decide, name="application_decide"),
    path("calls/<int:call_id>/ranking/", views.call_ranking, name="call_ranking"),
]
