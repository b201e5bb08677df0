"""Acting together, mounted at ``p/<code>/plan/`` (``config/urls.py``)."""

from django.urls import path

from hamkori.concerns import views_actions as views

urlpatterns = [
    path("inbox/", views.referral_inbox, name="referral_inbox"),
    path("overdue/", views.actions_overdue, name="actions_overdue"),
    path("concerns/<int:pk>/", views.plan_concern, name="plan_concern"),
    path("concerns/<int:pk>/actions/", views.plan_action_add, name="plan_action_add"),
    path("concerns/<int:pk>/referrals/", views.plan_referral_add, name="plan_referral_add"),
    path("concerns/<int:pk>/signoff/group/", views.plan_signoff_group, name="plan_signoff_group"),
    path("concerns/<int:pk>/signoff/authority/", views.plan_signoff_authority, name="plan_signoff_authority"),
    path("concerns/<int:pk>/review/", views.plan_review, name="plan_review"),
    path("actions/<int:action_id>/", views.action_detail, name="action_detail"),
    path("actions/<int:action_id>/progress/", views.action_progress, name="action_progress"),
    path("actions/<int:action_id>/publish/", views.action_publish, name="action_publish"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:referral_id>/acknowledge/", views.referral_acknowledge, name="referral_acknowledge"),
    path("referrals/<int:referral_id>/respond/", views.referral_respond, name="referral_respond"),
    path("groups/<int:group_id>/", views.group_promises, name="group_promises"),
]
