"""The programme boundary around accounts (security review, findings 1 and 3).

Programme A is the conftest ``programme`` with its admin ``users[Role.ADMIN]``; programme B is built
here with its own lead organisation and admin. Everything goes through real HTTP and the services.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from hamkori.accounts import services
from hamkori.accounts.models import Invitation, RoleAssignment, User
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.orgs.models import Organisation
from hamkori.orgs.services import organisation_upsert
from hamkori.programmes.models import Programme
from tests import factories
from tests.conftest import PASSWORD, TOTP_SECRET

NEW_PASSWORD = "b-invitee-own-pass-phrase-42"
LINK = re.compile(r"/accounts/invite/[^/\s\"'<]+/")


# --- Programme B, its admin, the installation administrator ---------------------------------------
@pytest.fixture
def lead_b(db: Any) -> Organisation:
    return organisation_upsert(actor=None, kind="lead", name_en="Second Lead NGO", name_tg="Созмони дуюм")[0]


@pytest.fixture
def programme_b(programme: Programme, lead_b: Organisation, orgs: dict, place: Any) -> Programme:
    """A second programme in Isfara, with ASTI as its partner (``programme`` is built first)."""
    return factories.programme(
        code="prog-b",
        title_en="Programme B",
        title_ru="Программа Б",
        title_tg="Барномаи Б",
        lead=lead_b,
        budget=Decimal("500.00"),
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2021, 12, 31),
        locations=[place("TJ-SU-ISFARA")],
        partners=[(orgs["asti"], [place("TJ-SU-ISFARA")])],
    )


@pytest.fixture
def admin_b(make_user: Callable[..., User], programme_b: Programme, lead_b: Organisation) -> User:
    return make_user("admin-b@test.example", programme=programme_b, role=Role.ADMIN, organisation=lead_b)


@pytest.fixture
def shared_admin_b(admin_b: User, programme: Programme, orgs: dict) -> User:
    """B's admin, who also holds a donor role in A: A's admin sees them in A's user list."""
    services.role_assign(actor=None, user=admin_b, programme=programme, role=Role.DONOR, organisation=orgs["donor"])
    return admin_b


@pytest.fixture
def superuser(db: Any) -> User:
    user = User.objects.create_superuser(email="root@test.example", password=PASSWORD)
    services.totp_activate(actor=None, user=user, secret=TOTP_SECRET)
    return user


def invite_data(email: str, orgs: dict, **extra: Any) -> dict[str, Any]:
    return {
        "email": email,
        "display_name": "",
        "preferred_language": "en",
        "role": Role.DONOR,
        "organisation": orgs["donor"].pk,
        **extra,
    }


def set_password(token_path: str, password: str = NEW_PASSWORD) -> Any:
    return Client().post(token_path, {"password1": password, "password2": password})


# --- Finding 1: inviting across programmes hands over nothing --------------------------------------
def test_inviting_another_programmes_pending_invitee_hands_over_nothing(
    users: dict,
    client_for: Any,
    programme: Programme,
    programme_b: Programme,
    admin_b: User,
    orgs: dict,
    place: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    issued_b = services.invitation_create(
        actor=admin_b,
        programme=programme_b,
        email="shared.person@test.example",
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place("TJ-SU-ISFARA")],
    )
    invitee = issued_b.invitation.user
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users[Role.ADMIN]).post(
            reverse("user_invite", args=[programme.code]), invite_data("Shared.Person@test.example", orgs)
        )
    page = response.content.decode()
    assert response.status_code == 200
    # A's admin is told the person already has an account, and is shown no link at all.
    assert not LINK.search(page), page
    assert "already has an account" in page
    # B's invitation is untouched; A created none that could set this account's password.
    assert Invitation.objects.filter(user=invitee).count() == 1
    assert Invitation.objects.get(pk=issued_b.invitation.pk).revoked_at is None
    # The person was notified, without a link.
    assert [m.to for m in mail.outbox] == [["shared.person@test.example"]]
    assert not LINK.search(mail.outbox[0].body)
    # The person got A's role on the same account.
    assert RoleAssignment.objects.filter(user=invitee, programme=programme, revoked_at__isnull=True).exists()

    # B's link still works, and the person (not A) chooses the password.
    accept_b = reverse("invitation_accept", args=[issued_b.token])
    assert Client().get(accept_b).status_code == 200
    assert set_password(accept_b).status_code == 302
    invitee.refresh_from_db()
    assert invitee.check_password(NEW_PASSWORD)

    # A's admin cannot reset the second factor (or lock) an account that also belongs to B.
    services.totp_activate(actor=None, user=invitee, secret=TOTP_SECRET)
    client = client_for(users[Role.ADMIN])
    for name in ["user_reset_mfa", "user_lock"]:
        assert client.post(reverse(name, args=[programme.code, invitee.pk])).status_code in (403, 404)
    invitee.refresh_from_db()
    assert invitee.locked_at is None and invitee.check_password(NEW_PASSWORD)
    assert Authenticator.objects.filter(user=invitee, type=Authenticator.Type.TOTP).exists()


def test_inviting_another_programmes_active_user_never_yields_a_link(
    users: dict,
    client_for: Any,
    programme: Programme,
    admin_b: User,
    orgs: dict,
    django_capture_on_commit_callbacks: Any,
) -> None:
    password_before = admin_b.password
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users[Role.ADMIN]).post(
            reverse("user_invite", args=[programme.code]), invite_data(admin_b.email, orgs)
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert not LINK.search(page), page
    assert not Invitation.objects.filter(user=admin_b).exists()
    admin_b.refresh_from_db()
    assert admin_b.password == password_before and admin_b.check_password(PASSWORD)
    assert Authenticator.objects.filter(user=admin_b, type=Authenticator.Type.TOTP).exists()
    assert all(not LINK.search(m.body) for m in mail.outbox)


def test_inviting_an_existing_user_twice_into_the_same_programme_is_refused(
    users: dict, client_for: Any, programme: Programme, orgs: dict
) -> None:
    """An active account that already holds a role here keeps it: the role page changes roles."""
    donor = users[Role.DONOR]
    response = client_for(users[Role.ADMIN]).post(
        reverse("user_invite", args=[programme.code]), invite_data(donor.email, orgs, role=Role.STAFF)
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert RoleAssignment.objects.get(user=donor, programme=programme, revoked_at__isnull=True).role == Role.DONOR


def test_reinviting_own_pending_invitee_gives_a_fresh_working_link(
    users: dict, client_for: Any, programme: Programme, orgs: dict
) -> None:
    first = services.invitation_create(
        actor=users[Role.ADMIN],
        programme=programme,
        email="late.donor@test.example",
        role=Role.DONOR,
        organisation=orgs["donor"],
    )
    response = client_for(users[Role.ADMIN]).post(
        reverse("user_invite", args=[programme.code]), invite_data("late.donor@test.example", orgs)
    )
    link = LINK.search(response.content.decode())
    assert response.status_code == 200 and link
    assert Client().get(reverse("invitation_accept", args=[first.token])).status_code == 410
    assert set_password(link.group(0)).status_code == 302
    assert User.objects.get(email="late.donor@test.example").check_password(NEW_PASSWORD)


# --- Finding 3: programme admins act only inside their programmes ----------------------------------
def test_a_admin_cannot_lock_unlock_reset_or_rerole_b_admin(
    users: dict,
    client_for: Any,
    programme: Programme,
    programme_b: Programme,
    shared_admin_b: User,
    orgs: dict,
    superuser: User,
) -> None:
    target = shared_admin_b
    client = client_for(users[Role.ADMIN])
    role_a = RoleAssignment.objects.get(user=target, programme=programme, revoked_at__isnull=True)
    role_b = RoleAssignment.objects.get(user=target, programme=programme_b, revoked_at__isnull=True)

    detail = client.get(reverse("user_detail", args=[programme.code, target.pk]))
    assert detail.status_code == 403
    assert client.post(reverse("user_lock", args=[programme.code, target.pk]), {"reason": "x"}).status_code == 403
    assert client.post(reverse("user_reset_mfa", args=[programme.code, target.pk])).status_code == 403
    rerole = client.post(
        reverse("user_detail", args=[programme.code, target.pk]),
        {"role": Role.STAFF, "organisation": orgs["lead"].pk},
    )
    assert rerole.status_code == 403
    # Through B's pages A's admin does not even learn the account exists.
    assert client.post(reverse("user_lock", args=[programme_b.code, target.pk])).status_code == 404

    target.refresh_from_db()
    assert target.locked_at is None and target.is_active
    assert Authenticator.objects.filter(user=target, type=Authenticator.Type.TOTP).exists()
    assert list(RoleAssignment.objects.filter(user=target, revoked_at__isnull=True).order_by("pk")) == [role_b, role_a]
    assert not AuditEvent.objects.filter(action__in=["user.lock", "user.mfa_reset"], object_id=str(target.pk)).exists()

    services.user_lock(actor=superuser, user=target, reason="lost phone")
    assert client.post(reverse("user_unlock", args=[programme.code, target.pk])).status_code == 403
    target.refresh_from_db()
    assert target.locked_at is not None

    # The services refuse too, whoever calls them.
    with pytest.raises(PermissionDenied):
        services.user_unlock(actor=users[Role.ADMIN], user=target)
    with pytest.raises(PermissionDenied):
        services.mfa_reset(actor=users[Role.ADMIN], user=target)
    with pytest.raises(PermissionDenied):
        services.role_assign(
            actor=users[Role.ADMIN], user=target, programme=programme, role=Role.STAFF, organisation=orgs["lead"]
        )
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=users[Role.ADMIN], user=target, programme=programme)
    target.refresh_from_db()
    assert target.locked_at is not None
    assert RoleAssignment.objects.filter(user=target, revoked_at__isnull=True).count() == 2


def test_a_former_member_now_in_b_is_not_managed_by_a(
    users: dict, client_for: Any, programme: Programme, shared_admin_b: User
) -> None:
    """A role revoked in A leaves B's admin visible in A's history, not manageable."""
    services.role_revoke(actor=None, user=shared_admin_b, programme=programme)
    client = client_for(users[Role.ADMIN])
    assert client.post(reverse("user_lock", args=[programme.code, shared_admin_b.pk])).status_code == 403
    shared_admin_b.refresh_from_db()
    assert shared_admin_b.locked_at is None


def test_superuser_still_manages_b_admin_from_a(
    users: dict,
    client_for: Any,
    programme: Programme,
    programme_b: Programme,
    shared_admin_b: User,
    orgs: dict,
    superuser: User,
) -> None:
    target = shared_admin_b
    client = client_for(superuser)
    assert client.get(reverse("user_detail", args=[programme.code, target.pk])).status_code == 200
    assert client.post(reverse("user_lock", args=[programme.code, target.pk]), {"reason": "x"}).status_code == 302
    target.refresh_from_db()
    assert target.locked_at is not None
    assert client.post(reverse("user_unlock", args=[programme.code, target.pk])).status_code == 302
    target.refresh_from_db()
    assert target.locked_at is None
    assert client.post(reverse("user_reset_mfa", args=[programme.code, target.pk])).status_code == 302
    assert not Authenticator.objects.filter(user=target).exists()
    response = client.post(
        reverse("user_detail", args=[programme.code, target.pk]), {"role": Role.STAFF, "organisation": orgs["lead"].pk}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.get(user=target, programme=programme, revoked_at__isnull=True).role == Role.STAFF


def test_a_admin_still_manages_a_users(users: dict, client_for: Any, programme: Programme, orgs: dict) -> None:
    partner = users[Role.PARTNER]
    client = client_for(users[Role.ADMIN])
    assert client.get(reverse("user_detail", args=[programme.code, partner.pk])).status_code == 200
    assert client.post(reverse("user_lock", args=[programme.code, partner.pk])).status_code == 302
    partner.refresh_from_db()
    assert partner.locked_at is not None
    # The lock is recorded in A's log, where A's admin sees it.
    event = AuditEvent.objects.get(action="user.lock", object_id=str(partner.pk))
    assert event.programme == programme
    page = client.get(reverse("audit_list", args=[programme.code]), {"action": "user.lock"}).content.decode()
    assert "partner@test.example" in page


def test_audit_page_shows_only_its_own_programmes_events(
    users: dict,
    client_for: Any,
    programme: Programme,
    programme_b: Programme,
    shared_admin_b: User,
    orgs: dict,
    superuser: User,
) -> None:
    services.invitation_create(
        actor=shared_admin_b,
        programme=programme_b,
        email="b-secret-invitee@test.example",
        role=Role.DONOR,
        organisation=orgs["donor"],
    )
    services.api_token_create(actor=shared_admin_b, name="b-laptop-token")  # installation-level event
    assert AuditEvent.objects.filter(object_repr__contains="b-secret-invitee", programme=programme_b).exists()

    client = client_for(users[Role.ADMIN])
    page = client.get(reverse("audit_list", args=[programme.code])).content.decode()
    assert "b-secret-invitee" not in page and "b-laptop-token" not in page
    assert "programme.create" in page  # A's own events are there
    assert client.get(reverse("audit_list", args=[programme_b.code])).status_code == 404

    root = client_for(superuser)
    page_b = root.get(reverse("audit_list", args=[programme_b.code])).content.decode()
    assert "b-secret-invitee" in page_b
    page_a = root.get(reverse("audit_list", args=[programme.code])).content.decode()
    assert "b-secret-invitee" not in page_a
    assert "b-laptop-token" in page_a  # installation-level events: installation administrators only


def test_programme_admin_cannot_overwrite_a_shared_organisation(
    users: dict, client_for: Any, orgs: dict, superuser: User
) -> None:
    lap = orgs["lap"]
    before = (lap.name_tg, lap.name_ru, lap.name_en, lap.website)
    forged = {
        "kind": "partner",
        "name_en": lap.name_en,
        "name_tg": "",
        "name_ru": "",
        "website": "https://evil.example",
    }
    response = client_for(users[Role.ADMIN]).post(reverse("organisation_list"), forged)
    assert response.status_code == 403
    lap.refresh_from_db()
    assert (lap.name_tg, lap.name_ru, lap.name_en, lap.website) == before
    assert lap.name_tg  # the Tajik name survived
    with pytest.raises(PermissionDenied):
        organisation_upsert(actor=users[Role.ADMIN], kind="partner", name_en=lap.name_en, name_tg="")
    # A new organisation a programme admin adds is still fine.
    added = client_for(users[Role.ADMIN]).post(reverse("organisation_list"), {"kind": "media", "name_en": "Radio Vanj"})
    assert added.status_code == 302 and Organisation.objects.filter(name_en="Radio Vanj").exists()

    fixed = client_for(superuser).post(
        reverse("organisation_list"), {**forged, "name_tg": lap.name_tg, "website": "https://lap.example"}
    )
    assert fixed.status_code == 302
    lap.refresh_from_db()
    assert lap.website == "https://lap.example" and lap.name_tg == before[0]
