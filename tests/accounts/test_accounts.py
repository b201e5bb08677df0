"""Accounts: sign-in with a second factor, lockouts, sessions, invitations, user management,
emergency lock and API tokens — through real HTTP requests on the real database."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hamkori.accounts import services
from hamkori.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from hamkori.accounts.models import Invitation, RoleAssignment, User
from hamkori.accounts.totp import current_code
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from tests.conftest import PASSWORD, TOTP_SECRET


def sign_in(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def sign_in_with_code(client: Client, email: str) -> Any:
    response = sign_in(client, email)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": current_code(TOTP_SECRET)})


# --- Sign-in --------------------------------------------------------------------------------------
def test_partner_signs_in_with_password_and_totp(users: dict, programme: Any) -> None:
    client = Client()
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})  # no pending sign-in
    assert "_auth_user_id" not in client.session
    response = sign_in(client, "partner@test.example")
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone is not enough
    wrong = client.post(
        reverse("mfa_authenticate"), {"code": "123456" if current_code(TOTP_SECRET) != "123456" else "654321"}
    )
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.second_factor_failed", actor=users[Role.PARTNER]).exists()
    ok = client.post(reverse("mfa_authenticate"), {"code": current_code(TOTP_SECRET)})
    assert ok.status_code == 302
    assert client.session["_auth_user_id"] == str(users[Role.PARTNER].pk)
    assert AuditEvent.objects.filter(action="auth.sign_in", actor=users[Role.PARTNER]).exists()


def test_group_member_signs_in_without_second_factor(users: dict) -> None:
    client = Client()
    response = sign_in(client, "member@test.example")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(users[Role.GROUP_MEMBER].pk)


def test_wrong_password_is_refused_and_audited(users: dict) -> None:
    client = Client()
    response = sign_in(client, "member@test.example", "not-the-password")
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "not correct" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.sign_in_failed", object_repr="member@test.example").exists()


def test_repeated_failures_lock_the_account_out(users: dict, settings: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "member@test.example", "wrong-password-x")
    response = sign_in(client, "member@test.example")  # even the right password now
    assert "_auth_user_id" not in client.session
    assert response.status_code in (403, 429)


def test_roles_that_need_a_second_factor_are_sent_to_set_one_up(
    make_user: Any, programme: Any, orgs: dict, place: Any
) -> None:
    user = make_user(
        "new-partner@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["lap"],
        places=[place("TJ-GB-VANJ")],
        totp=False,
    )
    client = Client()
    sign_in(client, user.email)
    response = client.get(reverse("programme_overview", args=[programme.code]))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_required_second_factor_cannot_be_switched_off(users: dict, client_for: Any) -> None:
    client = client_for(users[Role.PARTNER])
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=users[Role.PARTNER], type="totp").exists()


# --- Sessions -------------------------------------------------------------------------------------
def test_session_ends_after_30_minutes_idle(users: dict, client_for: Any, programme: Any) -> None:
    client = client_for(users[Role.DONOR])
    url = reverse("programme_overview", args=[programme.code])
    assert client.get(url).status_code == 200
    session = client.session
    session[SESSION_SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_session_ends_after_12_hours_in_all(users: dict, client_for: Any, programme: Any) -> None:
    client = client_for(users[Role.DONOR])
    url = reverse("programme_overview", args=[programme.code])
    client.get(url)
    session = client.session
    session[SESSION_STARTED] = time.time() - 12 * 3600 - 60
    session.save()
    assert client.get(url).status_code == 302


def test_sign_out_kills_the_session(users: dict, client_for: Any) -> None:
    client = client_for(users[Role.DONOR])
    key = client.session.session_key
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(session_key=key).exists()


# --- Invitations ------------------------------------------------------------------------------------
def invite(client: Client, programme: Any, place: Any, orgs: dict, **extra: Any) -> Any:
    data = {
        "email": "new.facilitator@test.example",
        "display_name": "Мавҷуда",
        "preferred_language": "tg",
        "role": Role.PARTNER,
        "organisation": orgs["lap"].pk,
        "places": [place("TJ-GB-VANJ").pk],
        **extra,
    }
    return client.post(reverse("user_invite", args=[programme.code]), data)


def test_admin_invites_and_the_invitee_sets_a_password_once(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client_for(users[Role.ADMIN]), programme, place, orgs)
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.facilitator@test.example"]
    link = re.search(r"https?://\S+/accounts/invite/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = link.group(0).split("testserver", 1)[-1]
    user = User.objects.get(email="new.facilitator@test.example")
    assert not user.has_usable_password()
    ra = RoleAssignment.objects.get(user=user, programme=programme, revoked_at__isnull=True)
    assert ra.role == Role.PARTNER and [p.code for p in ra.places.all()] == ["TJ-GB-VANJ"]

    anonymous = Client()
    weak = anonymous.post(path, {"password1": "12345", "password2": "12345"})
    assert weak.status_code == 200 and "errorlist" in weak.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()

    good = anonymous.post(path, {"password1": "a-long-pass-phrase-77", "password2": "a-long-pass-phrase-77"})
    assert good.status_code == 302 and good["Location"] == reverse("account_login")
    user.refresh_from_db()
    assert user.check_password("a-long-pass-phrase-77")

    reused = anonymous.post(path, {"password1": "another-pass-phrase-88", "password2": "another-pass-phrase-88"})
    assert reused.status_code == 410 and "already been used" in reused.content.decode()
    user.refresh_from_db()
    assert user.check_password("a-long-pass-phrase-77")


def test_expired_or_forged_invitation_links_are_refused(users: dict, programme: Any, orgs: dict, place: Any) -> None:
    issued = services.invitation_create(
        actor=users[Role.ADMIN],
        programme=programme,
        email="late@test.example",
        role=Role.DONOR,
        organisation=orgs["donor"],
    )
    Invitation.objects.filter(pk=issued.invitation.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    client = Client()
    expired = client.get(reverse("invitation_accept", args=[issued.token]))
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    forged = client.get(reverse("invitation_accept", args=["not-a-real-token"]))
    assert forged.status_code == 410 and "not valid" in forged.content.decode()


def test_invitation_outside_the_programme_is_refused_and_nothing_is_created(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict
) -> None:
    response = invite(client_for(users[Role.ADMIN]), programme, place, orgs, places=[place("TJ-KT-HAMADONI").pk])
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not User.objects.filter(email="new.facilitator@test.example").exists()
    response = invite(client_for(users[Role.ADMIN]), programme, place, orgs, organisation=orgs["donor"].pk)
    assert "errorlist" in response.content.decode()
    assert not User.objects.filter(email="new.facilitator@test.example").exists()


def test_only_admins_invite(users: dict, client_for: Any, programme: Any, place: Any, orgs: dict) -> None:
    for role in [Role.STAFF, Role.PARTNER, Role.DONOR]:
        assert invite(client_for(users[role]), programme, place, orgs).status_code == 403
    assert not User.objects.filter(email="new.facilitator@test.example").exists()


# --- Managing users: mass assignment, cross-programme ------------------------------------------------
def test_forged_fields_cannot_make_a_superuser_or_escape_the_programme(
    users: dict, client_for: Any, programme: Any, place: Any, orgs: dict
) -> None:
    partner = users[Role.PARTNER]
    url = reverse("user_detail", args=[programme.code, partner.pk])
    response = client_for(users[Role.ADMIN]).post(
        url,
        {
            "role": Role.PARTNER,
            "organisation": orgs["lap"].pk,
            "places": [place("TJ-GB-VANJ").pk, place("TJ-SU-ISFARA").pk],
            "is_superuser": "on",
            "is_staff": "on",
            "programme": "other",
            "user": users[Role.ADMIN].pk,
            "email": "x@evil.example",
        },
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert (partner.is_superuser, partner.is_staff, partner.email) == (False, False, "partner@test.example")
    ra = RoleAssignment.objects.get(user=partner, programme=programme, revoked_at__isnull=True)
    assert sorted(p.code for p in ra.places.all()) == ["TJ-GB-VANJ", "TJ-SU-ISFARA"]
    bad = client_for(users[Role.ADMIN]).post(url, {"role": "superadmin", "places": [place("TJ-KT-HAMADONI").pk]})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    ra2 = RoleAssignment.objects.get(user=partner, programme=programme, revoked_at__isnull=True)
    assert ra2.pk == ra.pk


def test_admin_cannot_reach_users_of_another_programme(
    users: dict, client_for: Any, programme: Any, orgs: dict
) -> None:
    import datetime as _dt
    from decimal import Decimal

    from hamkori.programmes.services import programme_create

    other = programme_create(
        actor=None,
        code="other",
        title_en="Other",
        lead_organisation=orgs["lead"],
        budget=Decimal(1),
        start_date=_dt.date(2020, 1, 1),
        end_date=_dt.date(2020, 12, 31),
    )
    stranger = services.user_create(actor=None, email="stranger@test.example", password=PASSWORD)
    services.role_assign(actor=None, user=stranger, programme=other, role=Role.DONOR, organisation=orgs["donor"])
    client = client_for(users[Role.ADMIN])
    for name in ["user_detail", "user_lock", "user_reset_mfa"]:
        method = client.get if name == "user_detail" else client.post
        assert method(reverse(name, args=[programme.code, stranger.pk])).status_code == 404
        assert method(reverse(name, args=[other.code, stranger.pk])).status_code == 404
    stranger.refresh_from_db()
    assert stranger.locked_at is None
    assert AuditEvent.objects.filter(actor=users[Role.ADMIN], outcome="denied").exists()


# --- Emergency lock and API tokens -------------------------------------------------------------------
def test_lock_ends_sessions_and_tokens_at_once(users: dict, client_for: Any, programme: Any) -> None:
    partner = users[Role.PARTNER]
    browser = Client()
    sign_in_with_code(browser, partner.email)
    overview = reverse("programme_overview", args=[programme.code])
    assert browser.get(overview).status_code == 200
    _token, secret = services.api_token_create(actor=partner, name="laptop sync")
    api = Client()
    assert api.get("/api/programmes/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200

    response = client_for(users[Role.ADMIN]).post(
        reverse("user_lock", args=[programme.code, partner.pk]), {"reason": "phone seized"}
    )
    assert response.status_code == 302
    after = browser.get(overview)
    assert after.status_code == 302 and "login" in after["Location"]
    assert api.get("/api/programmes/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    again = Client()
    assert "_auth_user_id" not in (sign_in(again, partner.email) and again.session)
    event = AuditEvent.objects.get(action="user.lock", object_id=str(partner.pk))
    assert event.actor == users[Role.ADMIN] and event.summary["tokens"] == 1 and event.summary["sessions"] >= 1

    client_for(users[Role.ADMIN]).post(reverse("user_unlock", args=[programme.code, partner.pk]))
    partner.refresh_from_db()
    assert partner.locked_at is None and partner.is_active
    assert api.get("/api/programmes/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401  # tokens stay dead


def test_admin_cannot_lock_themselves(users: dict, client_for: Any, programme: Any) -> None:
    admin = users[Role.ADMIN]
    client_for(admin).post(reverse("user_lock", args=[programme.code, admin.pk]))
    admin.refresh_from_db()
    assert admin.locked_at is None


def test_reset_second_factor(users: dict, client_for: Any, programme: Any) -> None:
    partner = users[Role.PARTNER]
    client_for(users[Role.ADMIN]).post(reverse("user_reset_mfa", args=[programme.code, partner.pk]))
    assert not Authenticator.objects.filter(user=partner).exists()
    assert AuditEvent.objects.filter(action="user.mfa_reset", object_id=str(partner.pk)).exists()


def test_api_tokens_page_creates_shows_once_and_revokes(users: dict, client_for: Any) -> None:
    client = client_for(users[Role.DONOR])
    page = client.post(reverse("api_tokens"), {"name": "evaluation notebook"})
    secret = re.search(r'id="new-token">([^<]+)<', page.content.decode()).group(1)  # type: ignore[union-attr]
    api = Client()
    listing = api.get("/api/programmes/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert listing.status_code == 200 and [p["code"] for p in listing.json()] == ["test-prog"]
    assert secret not in client.get(reverse("api_tokens")).content.decode()
    token_id = users[Role.DONOR].api_tokens.get().pk
    client.post(reverse("api_tokens"), {"revoke": token_id})
    assert api.get("/api/programmes/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert api.get("/api/programmes/", HTTP_AUTHORIZATION="Bearer forged").status_code == 401


def test_api_is_scoped(users: dict, client_for: Any, programme: Any) -> None:
    assert client_for(users["outsider"]).get("/api/programmes/").json() == []
    assert client_for(users["outsider"]).get(f"/api/programmes/{programme.code}").status_code == 404
    assert client_for(users[Role.LIAISON]).get(f"/api/programmes/{programme.code}").status_code == 200
    assert Client().get("/api/programmes/").status_code == 401
    assert Client().get("/api/places/TJ-GB-VANJ").json()["name_tg"] == "Ванҷ"
