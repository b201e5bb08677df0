"""Security review (ASVS L2) findings 4, 6 and 10: lockouts per account, changes of sign-in
credentials, API tokens. Real HTTP through Django's client, real database."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from hamkori.accounts import services
from hamkori.accounts.models import ApiToken, User
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from tests.conftest import PASSWORD

IP_1 = "10.1.1.1"
IP_2 = "10.2.2.2"
API = "/api/programmes/"


def sign_in(client: Client, email: str, password: str = PASSWORD, ip: str = IP_1) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def make_member(make_user: Any, programme: Any, place: Any) -> Any:
    def make(email: str) -> User:
        return make_user(email, programme=programme, role=Role.GROUP_MEMBER, places=[place("TJ-GB-VANJ")])

    return make


# --- Finding 4: lockout per account, not per address ----------------------------------------------
def _fail(email: str, times: int, ip: str = IP_1) -> None:
    for _ in range(times):
        response = sign_in(Client(), email, "wrong-password-x", ip=ip)
        assert response.status_code in (200, 403, 429)


def test_failures_on_one_account_lock_that_account_but_not_a_colleague_behind_the_same_address(
    make_member: Any, settings: Any
) -> None:
    make_member("alice@test.example")
    make_member("bob@test.example")
    _fail("alice@test.example", settings.AXES_FAILURE_LIMIT)

    alice = Client()
    response = sign_in(alice, "alice@test.example")  # the right password, too late
    assert not signed_in(alice) and response.status_code == 429

    bob = Client()
    sign_in(bob, "bob@test.example")  # same office, same address
    assert signed_in(bob)


def test_the_account_is_locked_from_every_address(make_member: Any, settings: Any) -> None:
    make_member("alice@test.example")
    _fail("alice@test.example", settings.AXES_FAILURE_LIMIT, ip=IP_1)
    client = Client()
    sign_in(client, "ALICE@test.example", ip=IP_2)  # another address, other capitals
    assert not signed_in(client)


def test_failed_attempts_are_stored_with_the_account(make_member: Any) -> None:
    make_member("alice@test.example")
    _fail("Alice@Test.example", 2)
    attempt = AccessAttempt.objects.get(username="alice@test.example", ip_address=IP_1)
    assert attempt.failures_since_start == 2
    assert not AccessAttempt.objects.filter(username__isnull=True).exists()


def test_the_lockout_page_says_how_long_it_lasts(make_member: Any, settings: Any) -> None:
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=45)
    make_member("alice@test.example")
    _fail("alice@test.example", settings.AXES_FAILURE_LIMIT)
    response = sign_in(Client(), "alice@test.example")
    assert response.status_code == 429
    page = response.content.decode()
    assert "45 minutes" in page
    russian = Client()
    russian.cookies["django_language"] = "ru"
    assert "45" in sign_in(russian, "alice@test.example").content.decode()


def test_rate_limit_state_is_shared_between_workers(db: Any, settings: Any) -> None:
    """allauth's rate limits and the API throttle keep their counters in the cache: it must be the
    database, which every worker process sees, not each process's own memory."""
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    cache.set("hamkori-shared-check", 1, 60)
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (a table name from settings)
        assert cursor.fetchone()[0] >= 1
    cache.clear()
    assert cache.get("hamkori-shared-check") is None


# --- Finding 6: email and password changes ---------------------------------------------------------
def _reauthenticate(client: Client) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]


def _age_reauthentication(client: Client, seconds: int) -> None:
    session = client.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] -= seconds
    session["account_authentication_methods"] = records
    session.save()


def test_adding_an_email_needs_a_recent_reauthentication(alice_member: User, client_for: Any, settings: Any) -> None:
    client = Client()
    sign_in(client, alice_member.email)
    _reauthenticate(client)
    _age_reauthentication(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60)
    response = client.post(reverse("account_email"), {"email": "mallory@evil.example", "action_add": ""})
    assert response.status_code == 302 and reverse("account_reauthenticate") in response["Location"]
    assert not EmailAddress.objects.filter(email="mallory@evil.example").exists()
    alice_member.refresh_from_db()
    assert alice_member.email == "alice@test.example"


def test_a_stolen_session_cannot_make_an_unverified_address_primary(alice_member: User) -> None:
    client = Client()
    sign_in(client, alice_member.email)
    _reauthenticate(client)
    client.post(reverse("account_email"), {"email": "mallory@evil.example", "action_add": ""})
    client.post(reverse("account_email"), {"email": "mallory@evil.example", "action_primary": ""})
    client.post(reverse("account_email"), {"email": "alice@test.example", "action_remove": ""})
    alice_member.refresh_from_db()
    assert alice_member.email == "alice@test.example"
    assert not EmailAddress.objects.filter(email="mallory@evil.example", primary=True).exists()
    assert not EmailAddress.objects.filter(email="mallory@evil.example", verified=True).exists()


def test_a_verified_email_change_notifies_the_old_address_and_is_audited(alice_member: User) -> None:
    client = Client()
    sign_in(client, alice_member.email)
    _reauthenticate(client)
    mail.outbox.clear()
    client.post(reverse("account_email"), {"email": "alice.new@test.example", "action_add": ""})
    assert AuditEvent.objects.filter(action="auth.email_added", actor=alice_member).exists()
    confirmation = next(m for m in mail.outbox if m.to == ["alice.new@test.example"])
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", confirmation.body).group(1)  # type: ignore[union-attr]
    client.post(reverse("account_confirm_email", args=[key]))

    alice_member.refresh_from_db()
    assert alice_member.email == "alice.new@test.example"
    notices = [m for m in mail.outbox if m.to == ["alice@test.example"]]
    assert notices and "alice.new@test.example" in notices[0].body
    event = AuditEvent.objects.get(action="auth.email_changed", actor=alice_member)
    assert event.summary == {"from": "alice@test.example", "to": "alice.new@test.example"}


def test_a_password_change_is_audited_notified_and_revokes_api_tokens(alice_member: User) -> None:
    _token, secret = services.api_token_create(actor=alice_member, name="notebook")
    client = Client()
    sign_in(client, alice_member.email)
    mail.outbox.clear()
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-long-passphrase-42", "password2": "a-new-long-passphrase-42"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_change", actor=alice_member).exists()
    assert [m.to for m in mail.outbox] == [["alice@test.example"]]
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert ApiToken.objects.get(user=alice_member).revoked_at is not None


def test_a_password_change_needs_the_current_password(alice_member: User) -> None:
    client = Client()
    client.force_login(alice_member)
    client.post(
        reverse("account_change_password"),
        {"oldpassword": "not-it", "password1": "a-new-long-passphrase-42", "password2": "a-new-long-passphrase-42"},
    )
    alice_member.refresh_from_db()
    assert alice_member.check_password(PASSWORD)


def test_adding_and_removing_a_second_factor_needs_reauthentication_and_is_audited(
    alice_member: User, client_for: Any
) -> None:
    client = client_for(alice_member)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302 and reverse("account_reauthenticate") in response["Location"]
    services.totp_activate(actor=alice_member, user=alice_member, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    _token, secret = services.api_token_create(actor=alice_member, name="notebook")
    client = Client()
    client.force_login(alice_member)
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=alice_member, type="totp").exists()  # not without reauthentication
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time(), "reauthenticated": True}]
    session["account_authentication_methods_user"] = str(alice_member.pk)
    session.save()
    mail.outbox.clear()
    client.post(reverse("mfa_deactivate_totp"))
    assert not Authenticator.objects.filter(user=alice_member, type="totp").exists()
    assert AuditEvent.objects.filter(action="auth.second_factor_removed", actor=alice_member).exists()
    assert [m.to for m in mail.outbox] == [["alice@test.example"]]
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


# --- Finding 10: API tokens --------------------------------------------------------------------------
def test_tokens_expire(alice_member: User, settings: Any, client_for: Any) -> None:
    token, secret = services.api_token_create(actor=alice_member, name="notebook")
    assert token.expires_at is not None
    expected = token.created_at + dt.timedelta(days=settings.HAMKORI_API_TOKEN_DAYS)
    assert abs((token.expires_at - expected).total_seconds()) < 5
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    page = client_for(alice_member).get(reverse("api_tokens")).content.decode()
    assert date_format(timezone.localtime(token.expires_at), "SHORT_DATE_FORMAT") in page  # in the page's locale
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    event = AuditEvent.objects.filter(action="api.token_refused").latest("pk")
    assert event.outcome == "denied" and event.summary["reason"] == "expired"
    assert secret not in str(event.summary) and secret[:8] not in event.object_repr


def test_a_wrong_token_is_audited_without_its_value(db: Any) -> None:
    forged = "forged-token-value-0123456789abcdef"
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {forged}", REMOTE_ADDR=IP_2).status_code == 401
    event = AuditEvent.objects.get(action="api.token_refused")
    assert event.outcome == "denied" and event.ip_address == IP_2 and event.summary["reason"] == "unknown"
    assert forged not in str(event.summary) + event.object_repr + event.object_id
    assert forged[:8] not in str(event.summary) + event.object_repr


def test_an_admin_second_factor_reset_revokes_tokens(users: dict, client_for: Any, programme: Any) -> None:
    partner = users[Role.PARTNER]
    _token, secret = services.api_token_create(actor=partner, name="laptop")
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    client_for(users[Role.ADMIN]).post(reverse("user_reset_mfa", args=[programme.code, partner.pk]))
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_a_password_reset_revokes_tokens(alice_member: User) -> None:
    _token, secret = services.api_token_create(actor=alice_member, name="notebook")
    client = Client()
    mail.outbox.clear()
    client.post(reverse("account_reset_password"), {"email": alice_member.email})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)  # type: ignore[union-attr]
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"password1": "a-new-long-passphrase-42", "password2": "a-new-long-passphrase-42"})
    assert response.status_code == 302
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert AuditEvent.objects.filter(action="auth.password_reset", actor=alice_member).exists()


def test_revoking_the_last_role_revokes_the_tokens(
    alice_member: User, programme: Any, make_user: Any, orgs: dict, users: dict, client_for: Any
) -> None:
    _token, secret = services.api_token_create(actor=alice_member, name="notebook")
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    services.role_revoke(actor=users[Role.ADMIN], user=alice_member, programme=programme)
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    event = AuditEvent.objects.get(action="api_token.revoke_all", object_id=str(alice_member.pk))
    assert event.actor == users[Role.ADMIN] and event.summary == {"reason": "last role revoked", "tokens": 1}
    assert AuditEvent.objects.filter(action="api.token_refused", summary__reason="revoked").exists()


def test_the_api_is_throttled(alice_member: User, settings: Any) -> None:
    settings.HAMKORI_API_RATE = "3/m"
    _token, secret = services.api_token_create(actor=alice_member, name="notebook")
    statuses = [Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_wrong_tokens_are_throttled_per_address(db: Any, settings: Any) -> None:
    settings.HAMKORI_API_RATE = "3/m"
    statuses = [
        Client().get(API, HTTP_AUTHORIZATION=f"Bearer wrong-{i}", REMOTE_ADDR=IP_1).status_code for i in range(5)
    ]
    assert statuses[:3] == [401, 401, 401] and statuses[-1] == 429
    assert AuditEvent.objects.filter(action="api.token_refused").count() <= 4


def test_revoking_a_token_by_a_bad_id_is_a_clear_error(alice_member: User, client_for: Any) -> None:
    _token, secret = services.api_token_create(actor=alice_member, name="notebook")
    client = client_for(alice_member)
    for bad in ["abc", "", "-1", "99999999999999999999999", "1.5"]:
        response = client.post(reverse("api_tokens"), {"revoke": bad}, follow=True)
        assert response.status_code == 200, bad
        assert "This token was not found" in response.content.decode()
    assert Client().get(API, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    assert ApiToken.objects.get(user=alice_member).revoked_at is None


@pytest.fixture
def alice_member(make_member: Any) -> User:
    return make_member("alice@test.example")
