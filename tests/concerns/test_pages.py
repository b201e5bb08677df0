"""The staff-facing concern pages over real HTTP: the adversaries first (another programme, another
partner organisation given the same district, a liaison, a donor, an anonymous visitor), then
escaping, the moves and their reasons, triage end to end, duplicates across alphabets, the
vocabulary, and constant query counts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.accounts.models import User
from hamkori.concerns import selectors, services
from hamkori.concerns.models import Action, Concern, ConcernEvent, Driver, Referral, Status
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.vault.services import PersonalData, vault_put
from tests import factories

from .conftest import make_concern

VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"
SCRIPT = '<script>alert("x")</script>'


def url(name: str, programme: Any, *args: Any) -> str:
    return reverse(name, args=[programme.code, *args])


@pytest.fixture
def asti_partner(programme: Any, orgs: dict, place: Any, make_user: Any) -> User:
    """ASTI's facilitator whose grant also covers Vanj: she sees what LAP records there."""
    return make_user(
        "asti-vanj@test.example",
        programme=programme,
        role=Role.PARTNER,
        organisation=orgs["asti"],
        places=[place(ISFARA), place(VANJ)],
    )


def state(concern: Concern) -> tuple[Any, ...]:
    """Everything a write could change."""
    row = Concern.objects.filter(pk=concern.pk).values().get()
    return (
        row,
        sorted(Concern.drivers.through.objects.filter(concern=concern).values_list("driver_id", flat=True)),
        sorted(
            Concern.affected_groups.through.objects.filter(concern=concern).values_list("affectedgroup_id", flat=True)
        ),
        list(ConcernEvent.objects.filter(concern=concern).values_list("pk", flat=True)),
    )


def object_pages(programme: Any, concern: Concern) -> list[str]:
    return [
        url("concern_detail", programme, concern.pk),
        url("concern_edit", programme, concern.pk),
        url("concern_triage", programme, concern.pk),
    ]


# --- Adversaries ---------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(programme: Any, concern: Concern, client_for: Any) -> None:
    client = client_for(None)
    pages = [
        url("concern_list", programme),
        url("concern_board", programme),
        url("concern_triage_queue", programme),
        url("concern_vocabulary", programme),
        url("concern_create", programme),
        *object_pages(programme, concern),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page
    before = state(concern)
    response = client.post(url("concern_move", programme, concern.pk), {"to_status": "declined", "reason": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert state(concern) == before


def test_another_programmes_staff_get_404_and_change_nothing(
    programme: Any, concern: Concern, orgs: dict, place: Any, make_user: Any, client_for: Any
) -> None:
    other = factories.programme(
        code="other-prog",
        title_en="Other",
        title_ru="Другая",
        title_tg="Дигар",
        lead=orgs["lead"],
        locations=[place(VANJ)],
    )
    staff_b = make_user("b-staff@test.example", programme=other, role=Role.STAFF, organisation=orgs["lead"])
    admin_b = make_user("b-admin@test.example", programme=other, role=Role.ADMIN, organisation=orgs["lead"])
    before = state(concern)
    for user in (staff_b, admin_b):
        client = client_for(user)
        for page in object_pages(programme, concern):
            assert client.get(page).status_code == 404, page
        # Under their own programme's code, A's concern does not exist either.
        for page in object_pages(other, concern):
            assert client.get(page).status_code == 404, page
        assert (
            client.post(url("concern_move", other, concern.pk), {"to_status": "declined", "reason": "x"}).status_code
            == 404
        )
        assert client.post(url("concern_note", other, concern.pk), {"text": "hello"}).status_code == 404
        listed = client.get(url("concern_list", other)).content.decode()
        assert concern.reference not in listed
    assert state(concern) == before


def test_another_partner_organisation_sees_but_every_write_answers_403(
    programme: Any, concern: Concern, asti_partner: User, vocabulary: dict, client_for: Any
) -> None:
    client = client_for(asti_partner)
    page = client.get(url("concern_detail", programme, concern.pk))
    assert page.status_code == 200  # the overlap is real: ASTI sees LAP's concern in Vanj
    html = page.content.decode()
    reason = "Only the lead organisation and the organisation that recorded this concern can change it."
    assert reason in html  # told why there are no buttons
    assert url("concern_move", programme, concern.pk) not in html
    assert 'id="restricted"' not in html
    before = state(concern)
    driver = vocabulary["drivers"]["recruitment"].pk
    writes = [
        (url("concern_edit", programme, concern.pk), {"description": "changed", "district": concern.district_id}),
        (url("concern_move", programme, concern.pk), {"to_status": "declined", "reason": "no"}),
        (url("concern_decline", programme, concern.pk), {"reason": "no"}),
        (url("concern_triage", programme, concern.pk), {"drivers": [driver], "sensitivity": "restricted"}),
        (url("concern_merge", programme, concern.pk), {"into": concern.pk, "confirm": "on"}),
    ]
    for address, data in writes:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.post(address, data, **headers)
            assert response.status_code == 403, address
            assert reason in response.content.decode()
    for address in (url("concern_edit", programme, concern.pk), url("concern_triage", programme, concern.pk)):
        assert client.get(address).status_code == 403
    publish = client.post(
        url("concern_publish_note", programme, concern.pk), {"text": "done", "do_no_harm_checked": "on"}
    )
    assert publish.status_code == 403
    # A note she may add (she sees the concern), but never a restricted one: the box is not hers.
    client.post(url("concern_note", programme, concern.pk), {"text": "seen", "restricted": "on"})
    assert not ConcernEvent.objects.filter(concern=concern, restricted=True).exists()
    assert ConcernEvent.objects.filter(concern=concern, kind="note").count() == 1
    ConcernEvent.objects.filter(concern=concern, kind="note").delete()  # to compare the rest
    assert state(concern) == before
    assert AuditEvent.objects.filter(actor=asti_partner, action="concern.change.denied").count() >= 5


def test_a_liaison_sees_only_what_was_referred_to_their_organisation(
    programme: Any, concern: Concern, users: dict, orgs: dict, client_for: Any
) -> None:
    liaison = users[Role.LIAISON]
    client = client_for(liaison)
    assert client.get(url("concern_detail", programme, concern.pk)).status_code == 404
    assert concern.reference not in client.get(url("concern_list", programme)).content.decode()
    assert concern.reference not in client.get(url("concern_board", programme)).content.decode()
    assert client.post(url("concern_note", programme, concern.pk), {"text": "x"}).status_code == 404
    # Once referred (the referral services are another page's; the row is what they write):
    Concern.objects.filter(pk=concern.pk).update(restricted_notes="the reporter's cousin is involved")
    services.concern_note(actor=users[Role.STAFF], concern=concern, text="secret lead", restricted=True)
    Referral.objects.create(
        programme=programme,
        district=concern.district,
        concern=concern,
        organisation=orgs["police"],
        message="Please look at the lighting.",
        respond_by=dt.date(2030, 1, 1),
    )
    html = client.get(url("concern_detail", programme, concern.pk)).content.decode()
    assert concern.reference in html
    assert "cousin" not in html and "secret lead" not in html
    assert orgs["police"].name in html  # the referral, in the plan
    assert client.get(url("concern_edit", programme, concern.pk)).status_code == 403


def test_donors_get_403_with_the_reason(programme: Any, concern: Concern, users: dict, client_for: Any) -> None:
    client = client_for(users[Role.DONOR])
    for page in [url("concern_list", programme), url("concern_board", programme), *object_pages(programme, concern)]:
        response = client.get(page)
        assert response.status_code == 403, page
        assert "Your role in this programme does not allow this." in response.content.decode()


def test_a_group_member_sees_only_their_groups_concerns(
    programme: Any, place: Any, users: dict, vanj_group: Any, vocabulary: dict, client_for: Any
) -> None:
    theirs = make_concern(programme, place(VANJ), actor=users[Role.STAFF], description="В группе", group=vanj_group)
    other = make_concern(programme, place(VANJ), actor=users[Role.STAFF], description="Без группы")
    client = client_for(users[Role.GROUP_MEMBER])
    html = client.get(url("concern_list", programme)).content.decode()
    assert theirs.reference in html and other.reference not in html
    assert client.get(url("concern_detail", programme, other.pk)).status_code == 404
    assert client.get(url("concern_detail", programme, theirs.pk)).status_code == 200


def test_the_list_without_distinct_holds_the_same_rows_for_every_role(
    programme: Any, place: Any, users: dict, vanj_group: Any, orgs: dict, vocabulary: dict, asti_partner: User
) -> None:
    lap = users[Role.PARTNER]
    made = [
        make_concern(programme, place(VANJ), actor=lap),
        make_concern(programme, place(VANJ), actor=lap, sensitivity="restricted"),
        make_concern(programme, place(VANJ), actor=users[Role.STAFF], group=vanj_group),
        make_concern(programme, place(ISFARA), actor=users[Role.STAFF], sensitivity="restricted"),
    ]
    for target in made[:2]:
        Referral.objects.create(
            programme=programme,
            district=target.district,
            concern=target,
            organisation=orgs["police"],
            message="m",
            respond_by=dt.date(2030, 1, 1),
        )
    for user in [*users.values(), asti_partner]:
        expected = sorted(Concern.objects.visible_to(user).filter(programme=programme).values_list("pk", flat=True))
        got = list(selectors.visible_concerns(user, programme).order_by("pk").values_list("pk", flat=True))
        assert got == expected, user.email


# --- Escaping -----------------------------------------------------------------------------------------
def test_reporter_text_is_escaped_on_every_page(
    programme: Any, place: Any, users: dict, vocabulary: dict, client_for: Any
) -> None:
    concern = make_concern(
        programme,
        place(VANJ),
        actor=users[Role.STAFF],
        description=f"{SCRIPT} торик аст",
        location_text=SCRIPT,
        evidence_links=['https://example.org/a?b="><script>'],
    )
    services.concern_note(actor=users[Role.STAFF], concern=concern, text=SCRIPT)
    client = client_for(users[Role.STAFF])
    pages = [
        url("concern_list", programme),
        url("concern_board", programme) + "?district=" + VANJ,
        url("concern_triage_queue", programme),
        url("concern_detail", programme, concern.pk),
        url("concern_triage", programme, concern.pk),
        url("concern_edit", programme, concern.pk),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        assert concern.reference in html or "concern-form" in html, page
        assert SCRIPT not in html, page
        assert "&lt;script&gt;" in html, page
    detail = client.get(url("concern_detail", programme, concern.pk)).content.decode()
    assert 'rel="noopener noreferrer nofollow"' in detail
    assert "<script>" not in detail.split("<main", 1)[1]


# --- Moves ------------------------------------------------------------------------------------------
def test_moves_are_buttons_and_a_refused_one_says_why(
    programme: Any, concern: Concern, users: dict, client_for: Any
) -> None:
    Concern.objects.filter(pk=concern.pk).update(status=Status.IN_PROGRESS)
    client = client_for(users[Role.STAFF])
    html = client.get(url("concern_detail", programme, concern.pk)).content.decode()
    assert "sign-off" in html
    assert 'disabled aria-describedby="why-resolved"' in html
    assert 'name="to_status" value="not_actionable"' in html  # allowed, with a reason box
    assert 'id="reason-not_actionable"' in html
    # Forcing the refused move changes nothing and says why.
    response = client.post(url("concern_move", programme, concern.pk), {"to_status": "resolved"})
    assert response.status_code == 422
    assert "sign-off" in response.content.decode()
    assert Concern.objects.get(pk=concern.pk).status == Status.IN_PROGRESS
    # A move that needs a reason refuses none, then goes with one.
    response = client.post(url("concern_move", programme, concern.pk), {"to_status": "not_actionable"})
    assert response.status_code == 422
    response = client.post(
        url("concern_move", programme, concern.pk), {"to_status": "not_actionable", "reason": "Out of reach"}
    )
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.status == Status.NOT_ACTIONABLE
    assert ConcernEvent.objects.filter(concern=concern, to_status="not_actionable", text="Out of reach").exists()
    # Nonsense statuses are a clear error, never a 500.
    response = client.post(url("concern_move", programme, concern.pk), {"to_status": "bogus"})
    assert response.status_code == 422


def test_publishing_needs_the_do_no_harm_check_and_is_staffs(
    programme: Any, concern: Concern, users: dict, client_for: Any
) -> None:
    staff = client_for(users[Role.STAFF])
    address = url("concern_publish_note", programme, concern.pk)
    response = staff.post(address, {"text": "Street lights were installed."})
    assert response.status_code == 422
    assert Concern.objects.get(pk=concern.pk).public_note == ""
    assert staff.post(address, {"text": "Street lights were installed.", "do_no_harm_checked": "on"}).status_code == 302
    assert Concern.objects.get(pk=concern.pk).public_note == "Street lights were installed."
    assert staff.post(address, {"withdraw": "1"}).status_code == 302
    assert Concern.objects.get(pk=concern.pk).public_note == ""
    partner = client_for(users[Role.PARTNER])
    assert partner.post(address, {"text": "x", "do_no_harm_checked": "on"}).status_code == 403
    assert 'id="public-note"' not in partner.get(url("concern_detail", programme, concern.pk)).content.decode()


def test_the_reporters_contact_is_shown_only_on_request_to_those_allowed_and_audited(
    programme: Any, concern: Concern, users: dict, asti_partner: User, client_for: Any
) -> None:
    key = uuid.uuid4()
    vault_put(actor=None, subject_key=key, data=PersonalData(full_name="Нигора Саидова", phone="+992 900 111 222"))
    Concern.objects.filter(pk=concern.pk).update(reporter_key=key)
    staff = client_for(users[Role.STAFF])
    address = url("concern_detail", programme, concern.pk)
    html = staff.get(address).content.decode()
    assert "Нигора" not in html and "?contact=1" in html
    html = staff.get(address + "?contact=1").content.decode()
    assert "Нигора Саидова" in html and "+992 900 111 222" in html
    assert AuditEvent.objects.filter(actor=users[Role.STAFF], action="vault.read", object_id=str(key)).exists()
    html = client_for(asti_partner).get(address + "?contact=1").content.decode()
    assert "Нигора" not in html and 'href="?contact=1' not in html


# --- Recording and editing ------------------------------------------------------------------------
def test_a_partner_records_a_concern_choosing_a_jamoat_without_javascript(
    programme: Any, place: Any, users: dict, vocabulary: dict, vanj_group: Any, client_for: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    address = url("concern_create", programme)
    form = client.get(address).content.decode()
    assert "Рованд" in form or "Rovand" in form  # her only district is chosen already: its jamoats are offered
    # Choosing the district and pressing "show its places" shows them again, saving nothing.
    shown = client.post(address, {"district": place(VANJ).pk, "description": "Кӯча торик", "_refresh": "1"})
    assert shown.status_code == 200 and not Concern.objects.exists()
    assert "Кӯча торик" in shown.content.decode()
    huge = client.post(address, {"description": "x" * 100_000, "district": place(VANJ).pk, "language": "tg"})
    assert huge.status_code == 422 and not Concern.objects.exists()
    elsewhere = client.post(
        address,
        {
            "description": "Не её район",
            "district": place(ISFARA).pk,
            "language": "ru",
            "source": "consultation",
            "sensitivity": "internal",
        },
    )
    assert elsewhere.status_code == 422 and not Concern.objects.exists()
    response = client.post(
        address,
        {
            "description": "Кӯча ба мактаб шабона торик аст",
            "language": "tg",
            "district": place(VANJ).pk,
            "place": place("TJ-GB-VANJ-ROVAND").pk,
            "drivers": [vocabulary["drivers"]["opportunities"].pk],
            "affected_groups": [vocabulary["affected"]["girls"].pk],
            "source": "consultation",
            "sensitivity": "internal",
            "evidence_links": "https://example.org/photo\n\nhttps://example.org/report",
            "restricted_notes": "Told by the school director.",
            "group": vanj_group.pk,
        },
    )
    assert response.status_code == 302
    concern = Concern.objects.get()
    assert response["Location"] == url("concern_detail", programme, concern.pk)
    assert concern.place == place("TJ-GB-VANJ-ROVAND")
    assert concern.evidence_links == ["https://example.org/photo", "https://example.org/report"]
    assert concern.group == vanj_group
    assert concern.restricted_notes == "Told by the school director."
    # Editing: the sensitivity and the drivers change; a place of another district is refused.
    edit = url("concern_edit", programme, concern.pk)
    data = {
        "description": concern.description,
        "language": "tg",
        "district": place(VANJ).pk,
        "place": place("TJ-SU-ISFARA-VORUKH").pk,
        "drivers": [vocabulary["drivers"]["recruitment"].pk],
        "source": "consultation",
        "sensitivity": "restricted",
    }
    assert client.post(edit, data).status_code == 422
    data["place"] = ""
    assert client.post(edit, data).status_code == 302
    concern.refresh_from_db()
    assert concern.sensitivity == "restricted" and concern.place is None
    assert [d.code for d in concern.drivers.all()] == ["recruitment"]


# --- Triage -------------------------------------------------------------------------------------------
def test_triage_end_to_end_over_http(
    programme: Any, place: Any, users: dict, vocabulary: dict, vanj_group: Any, client_for: Any
) -> None:
    staff = users[Role.STAFF]
    older = make_concern(programme, place(VANJ), actor=staff, description="Милиция задерживает мигрантов")
    public = make_concern(programme, place(VANJ), actor=staff, description="Кӯча торик аст", source="public")
    done = make_concern(programme, place(ISFARA), actor=staff, description="Уже разобрано")
    services.concern_triage(
        actor=staff, concern=done, drivers=[vocabulary["drivers"]["opportunities"]], sensitivity="internal"
    )
    client = client_for(staff)
    queue = client.get(url("concern_triage_queue", programme)).content.decode()
    assert queue.index(public.reference) < queue.index(older.reference)  # public submissions first
    assert done.reference not in queue
    address = url("concern_triage", programme, public.pk)
    assert client.get(address).status_code == 200
    refused = client.post(address, {"sensitivity": "internal"})
    assert refused.status_code == 422
    assert "Choose at least one driver of insecurity." in refused.content.decode()
    assert Concern.objects.get(pk=public.pk).status == Status.REPORTED
    response = client.post(
        address,
        {
            "drivers": [vocabulary["drivers"]["opportunities"].pk],
            "affected_groups": [vocabulary["affected"]["youth"].pk],
            "sensitivity": "restricted",
            "place": place("TJ-GB-VANJ-ROVAND").pk,
            "group": vanj_group.pk,
            "note": "Checked with the jamoat.",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("concern_triage_queue", programme)
    public.refresh_from_db()
    assert public.status == Status.TRIAGED and public.sensitivity == "restricted" and public.group == vanj_group
    assert public.place == place("TJ-GB-VANJ-ROVAND")
    assert ConcernEvent.objects.filter(concern=public, to_status="triaged", text="Checked with the jamoat.").exists()
    # Triaging again is not offered: the page sends to the concern.
    assert client.get(address).status_code == 302
    board = client.get(url("concern_board", programme) + "?district=" + VANJ).content.decode()
    column = board.split('id="column-triaged"', 1)[1].split("</section>", 1)[0]
    assert public.reference in column
    # Declining needs a reason.
    decline = url("concern_decline", programme, older.pk)
    assert client.post(decline, {"reason": "  "}).status_code == 422
    assert client.post(decline, {"reason": "Not a security concern."}).status_code == 302
    older.refresh_from_db()
    assert older.status == Status.DECLINED and older.decline_reason == "Not a security concern."


def test_a_partners_queue_holds_what_she_may_triage(
    programme: Any, place: Any, users: dict, asti_partner: User, client_for: Any
) -> None:
    lap = make_concern(programme, place(VANJ), actor=users[Role.PARTNER], description="LAP recorded")
    nobody = make_concern(programme, place(VANJ), actor=None, description="Public", source="public")
    html = client_for(asti_partner).get(url("concern_triage_queue", programme)).content.decode()
    assert nobody.reference in html and lap.reference not in html
    html = client_for(users[Role.PARTNER]).get(url("concern_triage_queue", programme)).content.decode()
    assert nobody.reference in html and lap.reference in html


def test_duplicates_are_suggested_across_alphabets_and_merged_after_confirmation(
    programme: Any, place: Any, users: dict, vocabulary: dict, client_for: Any
) -> None:
    staff = users[Role.STAFF]
    cyrillic = make_concern(
        programme, place(VANJ), actor=staff, description="Кӯча ба мактаб шабона торик аст, кӯдакон метарсанд"
    )
    unrelated = make_concern(
        programme, place(VANJ), actor=staff, description="Ҷавонон кор надоранд ва ба муҳоҷират мераванд"
    )
    elsewhere = make_concern(
        programme, place(ISFARA), actor=staff, description="Кӯча ба мактаб шабона торик аст, кӯдакон метарсанд"
    )
    latin = make_concern(
        programme,
        place(VANJ),
        actor=staff,
        description="Kucha ba maktab shabona torik ast, kudakon metarsand",
        language="other",
        drivers=[vocabulary["drivers"]["recruitment"]],
    )
    suggested = [c for c, _score in selectors.similar_concerns(latin, user=staff)]
    assert suggested == [cyrillic]
    client = client_for(staff)
    page = client.get(url("concern_triage", programme, latin.pk)).content.decode()
    similar = page.split('id="similar"', 1)[1].split("</section>", 1)[0]
    assert cyrillic.reference in similar
    assert unrelated.reference not in similar and elsewhere.reference not in similar
    merge = url("concern_merge", programme, latin.pk)
    confirm = client.get(merge + f"?into={cyrillic.pk}")
    assert confirm.status_code == 200 and "кӯдакон" in confirm.content.decode()
    assert client.post(merge, {"into": cyrillic.pk}).status_code == 422  # not confirmed
    assert Concern.objects.get(pk=latin.pk).status == Status.REPORTED
    assert client.get(merge + "?into=99999999").status_code == 404
    assert client.get(merge + "?into=abc").status_code == 404
    response = client.post(merge, {"into": cyrillic.pk, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == url("concern_detail", programme, cyrillic.pk)
    latin.refresh_from_db()
    assert latin.status == Status.MERGED and latin.merged_into == cyrillic
    assert vocabulary["drivers"]["recruitment"] in cyrillic.drivers.all()
    # A merged concern is no longer suggested.
    assert latin not in [c for c, _s in selectors.similar_concerns(cyrillic, user=staff)]


# --- Vocabulary ------------------------------------------------------------------------------------
def test_an_admin_adds_renames_and_retires_drivers(
    programme: Any, users: dict, vocabulary: dict, client_for: Any
) -> None:
    admin = client_for(users[Role.ADMIN])
    address = url("concern_vocabulary", programme)
    assert admin.get(address).status_code == 200
    response = admin.post(
        address,
        {
            "kind": "driver",
            "driver-new-code": "dark_roads",
            "driver-new-name_ru": "Тёмные улицы",
            "driver-new-order": 5,
        },
    )
    assert response.status_code == 302
    driver = Driver.objects.get(programme=programme, code="dark_roads")
    assert driver.name_ru == "Тёмные улицы"
    # The same code again is refused with a clear error.
    again = admin.post(
        address, {"kind": "driver", "driver-new-code": "dark_roads", "driver-new-name_en": "x", "driver-new-order": 1}
    )
    assert again.status_code == 422 and "already used" in again.content.decode()
    prefix = f"driver-{driver.pk}"
    response = admin.post(
        address,
        {"kind": "driver", "term": driver.pk, f"{prefix}-name_ru": "Неосвещённые улицы", f"{prefix}-order": 7},
    )
    assert response.status_code == 302
    driver.refresh_from_db()
    assert driver.name_ru == "Неосвещённые улицы" and not driver.active and driver.order == 7
    assert AuditEvent.objects.filter(action="concern.vocabulary.update", object_id=str(driver.pk)).exists()
    criterion = admin.post(
        address,
        {
            "kind": "criterion",
            "criterion-new-code": "trust",
            "criterion-new-name_en": "Trust",
            "criterion-new-order": 1,
            "criterion-new-weight": 11,
        },
    )
    assert criterion.status_code == 422
    for role in (Role.STAFF, Role.PARTNER):
        client = client_for(users[role])
        assert client.get(address).status_code == 403
        assert (
            client.post(
                address, {"kind": "driver", "driver-new-code": "x", "driver-new-name_en": "x", "driver-new-order": 1}
            ).status_code
            == 403
        )
    assert not Driver.objects.filter(code="x").exists()


# --- Query counts ------------------------------------------------------------------------------------
def _queries(client: Any, address: str) -> int:
    client.get(address)  # warm-up (session, caches)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _add(programme: Any, place: Any, users: dict, vocabulary: dict, n: int) -> None:
    drivers = list(vocabulary["drivers"].values())
    stages = [Status.REPORTED, Status.TRIAGED, Status.PRIORITISED, Status.PLANNED, Status.IN_PROGRESS, Status.RESOLVED]
    for i in range(n):
        made = make_concern(
            programme,
            place(VANJ),
            actor=users[Role.PARTNER],
            description=f"Concern number {i}",
            drivers=drivers[: 1 + i % 3],
            sensitivity="restricted" if i % 7 == 0 else "internal",
        )
        Concern.objects.filter(pk=made.pk).update(status=stages[i % len(stages)])
        if i % 4 == 0:
            Action.objects.create(
                programme=programme,
                district=made.district,
                concern=made,
                title="Fix the lights",
                due_on=dt.date(2020, 1, 1),
            )


def test_list_and_board_need_the_same_queries_for_5_or_60_concerns(
    programme: Any, place: Any, users: dict, vocabulary: dict, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    pages = {
        "list": url("concern_list", programme),
        "list filtered": url("concern_list", programme) + f"?district={VANJ}&driver=opportunities&status=triaged",
        "board": url("concern_board", programme) + f"?district={VANJ}",
        "triage": url("concern_triage_queue", programme),
    }
    _add(programme, place, users, vocabulary, 5)
    small = {
        (role, name): _queries(client_for(users[role]), address)
        for role in (Role.STAFF, Role.PARTNER)
        for name, address in pages.items()
    }
    _add(programme, place, users, vocabulary, 55)
    large = {
        (role, name): _queries(client_for(users[role]), address)
        for role in (Role.STAFF, Role.PARTNER)
        for name, address in pages.items()
    }
    assert small == large
    staff = client_for(users[Role.STAFF])
    staff.get(pages["board"])
    with django_assert_max_num_queries(24):  # 8 columns of cards: a query each, then their rows and drivers
        staff.get(pages["board"])
    # The list shows fifty, then the next page.
    html = client_for(users[Role.STAFF]).get(pages["list"]).content.decode()
    assert "60 concerns" in html and html.count('data-label="Reference"') == 50
    assert "Page 1 of 2" in html


def test_bad_input_is_a_clear_answer_never_a_500(
    programme: Any, concern: Concern, users: dict, vocabulary: dict, client_for: Any
) -> None:
    staff = client_for(users[Role.STAFF])
    admin = client_for(users[Role.ADMIN])
    before = state(concern)
    gets = [
        url("concern_list", programme) + "?page=abc&district=%00&status=<x>&driver=" + "d" * 500 + "&q=" + "%" * 300,
        url("concern_list", programme) + "?page=99999",
        url("concern_board", programme) + "?district=nowhere",
        url("concern_triage_queue", programme) + "?page=-1&district=x",
        url("concern_detail", programme, concern.pk) + "?contact=1",
        url("concern_merge", programme, concern.pk) + f"?into={concern.pk}",
    ]
    for address in gets:
        assert staff.get(address).status_code == 200, address
    posts = [
        (url("concern_move", programme, concern.pk), {"to_status": "merged"}),
        (url("concern_move", programme, concern.pk), {"to_status": "reviewed"}),
        (url("concern_merge", programme, concern.pk), {"into": concern.pk, "confirm": "on"}),
        (url("concern_edit", programme, concern.pk), {"district": "abc", "drivers": ["x", "99999"], "place": "-1"}),
        (url("concern_triage", programme, concern.pk), {"drivers": ["abc"], "sensitivity": "secret", "group": "0"}),
        (url("concern_note", programme, concern.pk), {"text": "x" * 5000}),
        (url("concern_publish_note", programme, concern.pk), {"text": "y" * 5000, "do_no_harm_checked": "on"}),
    ]
    for address, data in posts:
        response = staff.post(address, data)
        assert response.status_code == 422, (address, response.status_code)
    assert state(concern) == before
    vocab = url("concern_vocabulary", programme)
    assert admin.post(vocab, {"kind": "nonsense"}).status_code == 404
    assert admin.post(vocab, {"kind": "driver", "term": "abc"}).status_code == 422
    assert admin.post(vocab, {"kind": "driver", "term": "999999"}).status_code == 404
