"""Public intake: ``/report/``, ``/report/status/`` and ``/api/public/concerns``.

Real database, real HTTP (Django's test client), no mocks. The adversary here is anonymous: a
person who sends the same form twice, a forged field, a robot, someone guessing codes, and the
text a reporter writes, which must come back escaped."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.translation import trans_real

from hamkori.concerns import intake, services
from hamkori.concerns.models import Concern, ConcernEvent, IntakeRate, PublicStatus, Source, Status
from hamkori.core.models import AuditEvent, Sensitivity
from hamkori.core.roles import Role
from hamkori.programmes.models import Programme
from hamkori.vault.models import VaultRecord
from hamkori.vault.services import PersonalData, vault_get
from tests import factories
from tests.core.test_i18n import english_left, visible_text

REPORT = "/report/"
STATUS = "/report/status/"
API = "/api/public/concerns"
API_STATUS = "/api/public/concerns/status"
CODE = re.compile(r'id="receipt-code">([2-9A-Z]{4}-[2-9A-Z]{4})<')
TEXT = "Кӯча ба мактаб шабона торик аст, чароғҳо кор намекунанд."


def accept_public_reports(programme: Programme) -> Programme:
    # The programme settings page gains this switch on another branch (programme_update's FIELDS);
    # until then the flag is set directly, as the settings service will.
    Programme.objects.filter(pk=programme.pk).update(public_reports=True)
    programme.refresh_from_db()
    return programme


@pytest.fixture
def public_programme(programme: Programme) -> Programme:
    return accept_public_reports(programme)


@pytest.fixture
def vanj(place: Callable[[str], Any]) -> Any:
    return place("TJ-GB-VANJ")


def submit(programme: Programme, district: Any, **values: Any) -> tuple[Concern, bool]:
    values.setdefault("description", TEXT)
    values.setdefault("language", "tg")
    values.setdefault("intake_key", uuid.uuid4())
    return intake.concern_submit_public(programme=programme, district=district, **values)


def form(programme: Programme, district: Any, /, **values: Any) -> dict[str, Any]:
    data = {
        "district": f"{programme.pk}:{district.pk}",
        "description": TEXT,
        "location_text": "",
        "client_id": str(uuid.uuid4()),
        "website": "",
    }
    return {**data, **values}


def code_on(response: Any) -> str:
    match = CODE.search(response.content.decode())
    assert match, response.content.decode()[:3000]
    return match.group(1)


# --- The service -------------------------------------------------------------------------------
def test_a_public_submission_is_recorded_as_public_internal_unowned_and_reported(
    public_programme: Programme, vanj: Any
) -> None:
    concern, created = submit(public_programme, vanj, location_text="  near the school ")
    assert created
    concern.refresh_from_db()
    assert (concern.source, concern.sensitivity, concern.status) == (Source.PUBLIC, Sensitivity.INTERNAL, "reported")
    assert concern.owner_id is None and concern.group_id is None and concern.reporter_key is None
    assert concern.reference == f"C-{concern.pk:06d}"
    assert concern.location_text == "near the school"
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", concern.receipt_code or "")
    assert list(concern.events.values_list("kind", "actor")) == [(ConcernEvent.Kind.CREATED, None)]
    assert intake.seal_public_submissions() == 1
    event = AuditEvent.objects.get(action=intake.SEAL_ACTION)
    assert event.actor_id is None and event.ip_address is None and event.programme_id == public_programme.pk
    assert (event.summary["from_id"], event.summary["through_id"], event.summary["count"]) == (
        concern.pk,
        concern.pk,
        1,
    )
    assert TEXT not in json.dumps(event.summary, ensure_ascii=False)
    assert intake.seal_public_submissions() == 0  # sealed once


def test_seals_read_past_concerns_recorded_by_staff_and_cover_every_programme(
    public_programme: Programme, vanj: Any, orgs: dict, place: Any
) -> None:
    """The seal reads public submissions in id order, every programme's at once: concerns recorded by
    staff in between do not hold the next submission back, each programme's submissions get their own
    event (also once the programme stops taking reports), and a seal goes on where the last one ended."""
    first, _created = submit(public_programme, vanj)
    assert intake.seal_public_submissions(limit=2) == 1
    for _i in range(5):
        services.concern_create(actor=None, programme=public_programme, district=vanj, description="staff record")
    other = accept_public_reports(
        factories.programme(
            code="other-prog",
            title_en="Other",
            title_ru="Другая",
            title_tg="Дигар",
            lead=orgs["lead"],
            locations=[place("TJ-SU-ISFARA")],
        )
    )
    second, _created = submit(public_programme, vanj)
    elsewhere, _created = submit(other, place("TJ-SU-ISFARA"))
    Programme.objects.filter(pk=other.pk).update(public_reports=False)
    assert [intake.seal_public_submissions(limit=1) for _i in range(3)] == [1, 1, 0]  # one at a time
    seals = {
        e.programme_id: e.summary
        for e in AuditEvent.objects.filter(action=intake.SEAL_ACTION).exclude(summary__through_id=first.pk)
    }
    assert (seals[public_programme.pk]["from_id"], seals[public_programme.pk]["count"]) == (second.pk, 1)
    assert (seals[other.pk]["from_id"], seals[other.pk]["count"]) == (elsewhere.pk, 1)
    assert (seals[public_programme.pk]["scanned_through"], seals[other.pk]["scanned_through"]) == (
        second.pk,
        elsewhere.pk,
    )
    # Concerns recorded by staff since are not read one window after another (one read, whatever their number).
    for _i in range(5):
        services.concern_create(actor=None, programme=public_programme, district=vanj, description="staff record")
    with CaptureQueriesContext(connection) as queries:
        assert intake.seal_public_submissions(limit=1) == 0
    assert len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) <= 3, queries.captured_queries


def test_sending_the_same_form_twice_creates_one_concern_with_the_same_code(
    public_programme: Programme, vanj: Any
) -> None:
    key = uuid.uuid4()
    first, created = submit(public_programme, vanj, intake_key=key)
    again, created_again = submit(public_programme, vanj, intake_key=key, description="edited after going back")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.receipt_code == first.receipt_code
    assert Concern.objects.count() == 1
    assert intake.seal_public_submissions() == 1


def test_the_database_constraint_decides_a_replay_not_a_check_in_python(public_programme: Programme, vanj: Any) -> None:
    """The replay really tries to insert (no look-up first) and the unique constraint refuses it
    (``ON CONFLICT DO NOTHING``: the insert returns no row, then the concern is found by its key)."""
    key = uuid.uuid4()
    submit(public_programme, vanj, intake_key=key)
    with CaptureQueriesContext(connection) as queries:
        _concern, created = submit(public_programme, vanj, intake_key=key)
    sql = [q["sql"].upper() for q in queries.captured_queries]
    inserts = [i for i, s in enumerate(sql) if s.startswith('INSERT INTO "CONCERNS_CONCERN"')]
    assert not created and len(inserts) == 1
    assert not any("INTAKE_KEY" in s for s in sql[: inserts[0]]), "looked the key up before inserting"
    assert "ON CONFLICT DO NOTHING" in sql[inserts[0]]
    assert any("INTAKE_KEY" in s for s in sql[inserts[0] + 1 :]), "found the concern by its key afterwards"
    with pytest.raises(IntegrityError), transaction.atomic():
        Concern.objects.create(
            programme=public_programme, district=vanj, reference="C-X", description="x", intake_key=key
        )


def _send_at_once(barrier: threading.Barrier, send: Callable[[], tuple[Concern, bool]], results: list[Any]) -> None:
    """One request of :func:`test_two_requests_at_once_with_one_client_id_make_one_concern`, on
    this thread's own database connection; what it answered (or raised) goes into ``results``."""
    from django.db import OperationalError
    from django.db import connection as own

    try:
        barrier.wait(timeout=10)
        for _attempt in range(100):  # SQLite's shared in-memory test database answers "locked" at once
            try:
                concern, created = send()
                results.append((concern.receipt_code, created))
                return
            except OperationalError:
                threading.Event().wait(0.02)
        raise AssertionError("the database stayed locked")
    except BaseException as exc:
        results.append(exc)
    finally:
        own.close()


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_client_id_make_one_concern(programme: Programme, place: Any) -> None:
    """Two threads (two database connections) send the same client id at the same moment: the
    unique constraint lets one insert through; the other answers with that concern and its code."""
    public = accept_public_reports(programme)
    vanj = place("TJ-GB-VANJ")
    for _round in range(3):
        key = uuid.uuid4()
        barrier = threading.Barrier(2)
        results: list[Any] = []
        threads = [
            threading.Thread(
                target=_send_at_once, args=(barrier, lambda k=key: submit(public, vanj, intake_key=k), results)
            )
            for _ in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert all(isinstance(r, tuple) for r in results) and len(results) == 2, results
        assert sorted(created for _code, created in results) == [False, True]
        assert len({code for code, _created in results}) == 1
        assert Concern.objects.filter(intake_key=key).count() == 1


@pytest.mark.parametrize("description", ["", "   \n ", "x" * 100_000])
def test_empty_or_huge_descriptions_are_refused_and_nothing_is_stored(
    public_programme: Programme, vanj: Any, description: str
) -> None:
    with pytest.raises(ValidationError) as error:
        submit(public_programme, vanj, description=description)
    assert "description" in error.value.message_dict
    assert not Concern.objects.exists() and intake.seal_public_submissions() == 0


def test_unknown_district_and_programmes_not_accepting_reports_are_refused(
    public_programme: Programme, programme: Programme, place: Any, orgs: dict
) -> None:
    with pytest.raises(ValidationError) as error:
        submit(public_programme, place("TJ-KT-HAMADONI"))
    assert "district" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        submit(public_programme, None)
    assert "district" in error.value.message_dict
    closed = factories.programme(
        code="closed", title_en="Closed", title_ru="З", title_tg="З", lead=orgs["lead"], locations=[place("TJ-GB-VANJ")]
    )
    with pytest.raises(ValidationError) as error:
        submit(closed, place("TJ-GB-VANJ"))
    assert "programme" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        submit(None, place("TJ-GB-VANJ"))
    assert "programme" in error.value.message_dict
    assert not Concern.objects.exists()


def test_contact_details_without_consent_are_refused_with_the_reason(public_programme: Programme, vanj: Any) -> None:
    with pytest.raises(ValidationError) as error:
        submit(public_programme, vanj, contact=PersonalData(phone="+992 93 555 12 34"))
    assert "did not tick" in error.value.message_dict["contact_consent"][0]
    assert not Concern.objects.exists() and not VaultRecord.objects.exists()


def test_contact_details_with_consent_go_to_the_vault_not_the_concern(public_programme: Programme, vanj: Any) -> None:
    contact = PersonalData(full_name="Гулнора Раҳимова", phone="+992 93 555 12 34", email="gul@example.tj")
    concern, _created = submit(public_programme, vanj, contact=contact, contact_consent=True)
    concern.refresh_from_db()
    assert concern.reporter_key is not None
    assert vault_get(actor=None, subject_key=concern.reporter_key, purpose="test") == contact
    row = json.dumps(Concern.objects.filter(pk=concern.pk).values().get(), default=str, ensure_ascii=False)
    for value in ("Гулнора", "Раҳимова", "555 12 34", "gul@example.tj"):
        assert value not in row
    summaries = json.dumps(list(AuditEvent.objects.values_list("summary", flat=True)), ensure_ascii=False)
    assert "Гулнора" not in summaries and "555" not in summaries
    assert not AuditEvent.objects.exclude(ip_address=None).filter(action="vault.put")


def test_a_bad_phone_or_email_is_refused_by_its_field(public_programme: Programme, vanj: Any) -> None:
    with pytest.raises(ValidationError) as error:
        submit(public_programme, vanj, contact=PersonalData(phone="call me", email="nope"), contact_consent=True)
    assert {"contact_phone", "contact_email"} <= set(error.value.message_dict)
    assert not Concern.objects.exists() and not VaultRecord.objects.exists()


@pytest.mark.parametrize(
    "typed", ["{code}", "{lower}", " {a} {b} ", "{a}—{b}", "{a} - {b}", "{cyrillic}"], ids=lambda s: s.strip("{}")
)
def test_a_code_is_found_whatever_the_case_spaces_dashes_or_keyboard(
    public_programme: Programme, vanj: Any, typed: str
) -> None:
    concern, _created = submit(public_programme, vanj)
    code = intake.format_code(concern.receipt_code or "")
    cyrillic = code.translate(str.maketrans("ABEKMHPCTYX", "АВЕКМНРСТУХ"))
    text = typed.format(code=code, lower=code.lower(), a=code[:4], b=code[5:], cyrillic=cyrillic.lower())
    receipt = intake.public_receipt(text)
    assert receipt is not None and receipt.code == code
    assert (receipt.status, receipt.district, receipt.note) == (PublicStatus.RECEIVED, vanj.name, "")


def test_a_merged_concern_shows_the_status_and_note_of_the_one_it_joined(
    public_programme: Programme, vanj: Any, users: dict, vocabulary: dict
) -> None:
    duplicate, _created = submit(public_programme, vanj)
    kept, _created = submit(public_programme, vanj)
    staff = users[Role.STAFF]
    services.concern_merge(actor=staff, duplicate=duplicate, into=kept)
    Concern.objects.filter(pk=kept.pk).update(status=Status.PLANNED)
    services.concern_publish_note(actor=staff, concern=kept, text="Чароғҳо насб карда шуданд.", do_no_harm_checked=True)
    receipt = intake.public_receipt(duplicate.receipt_code)
    assert receipt is not None
    assert (receipt.status, receipt.note) == (PublicStatus.AGREED, "Чароғҳо насб карда шуданд.")
    assert receipt.code == intake.format_code(duplicate.receipt_code or "")


def test_unknown_and_malformed_codes_find_nothing(public_programme: Programme, vanj: Any) -> None:
    submit(public_programme, vanj)
    for typed in ("", "K7Q4-9MXP", "0000-0000", "' OR 1=1 --", "x" * 10_000, None):
        assert intake.public_receipt(typed) is None


def test_rates_are_read_as_count_per_period() -> None:
    assert intake.parse_rate("30/10m") == intake.Rate(30, 600)
    assert intake.parse_rate("60/m") == intake.Rate(60, 60)
    assert intake.parse_rate("5/s") == intake.Rate(5, 1)
    assert intake.parse_rate("1000/3600") == intake.Rate(1000, 3600)
    with pytest.raises(ValueError):
        intake.parse_rate("lots")


# --- The pages ---------------------------------------------------------------------------------
def test_the_form_offers_only_accepting_programmes_with_a_fresh_client_id_and_no_script(
    client: Client, public_programme: Programme, orgs: dict, place: Any, django_assert_max_num_queries: Any
) -> None:
    factories.programme(
        code="closed",
        title_en="Closed",
        title_ru="З",
        title_tg="З",
        lead=orgs["lead"],
        locations=[place("TJ-KT-HAMADONI")],
    )
    with django_assert_max_num_queries(6):
        response = client.get(REPORT)
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert f'value="{public_programme.pk}:{place("TJ-GB-VANJ").pk}"' in html
    assert f':{place("TJ-KT-HAMADONI").pk}"' not in html  # the other programme does not accept reports
    assert "<optgroup" not in html  # one programme: no grouping
    ids = re.findall(r'name="client_id" value="([0-9a-f-]{36})"', html)
    assert len(ids) == 1 and uuid.UUID(ids[0]).version == 4
    assert ids[0] not in client.get(REPORT).content.decode()  # a fresh id for every form rendered
    assert "<script" not in html
    assert 'name="website"' in html and 'class="visually-hidden"' in html
    assert 'name="sensitivity"' not in html and 'name="status"' not in html


def test_several_accepting_programmes_are_grouped(
    client: Client, public_programme: Programme, orgs: dict, place: Any
) -> None:
    other = factories.programme(
        code="second",
        title_en="Second",
        title_ru="Вторая",
        title_tg="Дуюм",
        lead=orgs["lead"],
        locations=[place("TJ-GB-VANJ")],
    )
    accept_public_reports(other)
    html = client.get(REPORT).content.decode()
    assert html.count("<optgroup") == 2
    assert f'value="{other.pk}:{place("TJ-GB-VANJ").pk}"' in html
    assert f'value="{public_programme.pk}:{place("TJ-GB-VANJ").pk}"' in html


def test_submitting_shows_the_receipt_and_the_code_is_in_no_address(
    client: Client, public_programme: Programme, vanj: Any
) -> None:
    response = client.post(REPORT, form(public_programme, vanj))
    assert response.status_code == 200 and "Location" not in response
    assert "no-store" in response["Cache-Control"]
    code = code_on(response)
    concern = Concern.objects.get()
    assert intake.format_code(concern.receipt_code or "") == code
    html = response.content.decode()
    for address in re.findall(r'(?:href|action|src)="([^"]*)"', html):
        assert code not in address and code.replace("-", "") not in address
    assert TEXT not in html  # the description is not sent back
    lookup = client.post(STATUS, {"code": code.lower()})
    assert lookup.status_code == 200 and "Location" not in lookup
    assert str(PublicStatus.RECEIVED.label) in lookup.content.decode()
    assert vanj.name in lookup.content.decode()
    assert TEXT not in lookup.content.decode()


def test_the_status_page_never_reads_a_code_from_the_address(
    client: Client, public_programme: Programme, vanj: Any
) -> None:
    concern, _created = submit(public_programme, vanj)
    response = client.get(STATUS, {"code": concern.receipt_code})
    assert response.status_code == 200
    assert str(PublicStatus.RECEIVED.label) not in response.content.decode()
    assert 'method="post"' in response.content.decode()


def test_a_double_submit_of_one_form_is_one_concern_with_one_code(
    client: Client, public_programme: Programme, vanj: Any
) -> None:
    data = form(public_programme, vanj)
    first = client.post(REPORT, data)
    second = client.post(REPORT, data)  # the back button and "send" again, or a double tap
    assert code_on(first) == code_on(second)
    assert "already received" in second.content.decode()
    assert Concern.objects.count() == 1


def test_forged_fields_on_the_form_are_ignored(
    client: Client, public_programme: Programme, vanj: Any, orgs: dict
) -> None:
    forged = form(
        public_programme,
        vanj,
        sensitivity="public",
        status="resolved",
        owner=str(orgs["lap"].pk),
        source="police",
        reference="C-999999",
        receipt_code="AAAAAAAA",
        public_note="all fixed",
        language="en",
    )
    assert client.post(REPORT, forged).status_code == 200
    concern = Concern.objects.get()
    assert (concern.sensitivity, concern.status, concern.owner_id, concern.source) == (
        "internal",
        "reported",
        None,
        "public",
    )
    assert concern.reference != "C-999999" and concern.receipt_code != "AAAAAAAA" and concern.public_note == ""


@pytest.mark.parametrize("description", ["", "x" * 100_000])
def test_the_page_answers_a_bad_description_with_an_error_and_stores_nothing(
    client: Client, public_programme: Programme, vanj: Any, description: str
) -> None:
    response = client.post(REPORT, form(public_programme, vanj, description=description))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'id="id_description_error"' in html
    assert not Concern.objects.exists()


@pytest.mark.parametrize("district", ["999999:999999", "nonsense", "", "{other}"])
def test_an_unknown_district_or_a_programme_not_accepting_is_refused(
    client: Client, public_programme: Programme, orgs: dict, place: Any, district: str
) -> None:
    closed = factories.programme(
        code="closed", title_en="Closed", title_ru="З", title_tg="З", lead=orgs["lead"], locations=[place("TJ-GB-VANJ")]
    )
    value = district.format(other=f"{closed.pk}:{place('TJ-GB-VANJ').pk}")
    response = client.post(REPORT, form(public_programme, place("TJ-GB-VANJ"), district=value))
    assert response.status_code == 422
    assert 'id="id_district_error"' in response.content.decode()
    assert not Concern.objects.exists()


def test_contact_without_consent_is_refused_on_the_page(client: Client, public_programme: Programme, vanj: Any) -> None:
    response = client.post(REPORT, form(public_programme, vanj, contact_phone="+992 93 555 12 34"))
    assert response.status_code == 422
    assert 'id="id_contact_consent_error"' in response.content.decode()
    assert not Concern.objects.exists() and not VaultRecord.objects.exists()
    done = client.post(REPORT, form(public_programme, vanj, contact_phone="+992 93 555 12 34", contact_consent="on"))
    assert done.status_code == 200
    assert Concern.objects.get().reporter_key is not None and VaultRecord.objects.count() == 1


def test_reporter_text_comes_back_escaped(client: Client, public_programme: Programme, vanj: Any) -> None:
    evil = '<script>alert("x")</script><b onmouseover=alert(1)>bold</b>'
    response = client.post(REPORT, form(public_programme, vanj, description=evil, location_text=evil, district=""))
    html = response.content.decode()
    assert response.status_code == 422
    assert "<script>alert" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    concern, _created = submit(public_programme, vanj, description=evil)
    Concern.objects.filter(pk=concern.pk).update(
        public_note=evil, public_note_published_at="2026-01-01T00:00:00Z", status=Status.RESOLVED
    )
    shown = client.post(STATUS, {"code": concern.receipt_code}).content.decode()
    assert "<script>alert" not in shown and "&lt;script&gt;" in shown
    assert str(PublicStatus.CLOSED.label) in shown


def test_a_wrong_code_says_not_found_and_nothing_else(client: Client, public_programme: Programme, vanj: Any) -> None:
    submit(public_programme, vanj)
    wrong = client.post(STATUS, {"code": "K7Q4-9MXP"})
    malformed = client.post(STATUS, {"code": "<b>hello</b>"})
    for response in (wrong, malformed):
        html = response.content.decode()
        assert response.status_code == 422
        assert "No concern was found with this code" in html
        assert vanj.name not in html and "<b>hello" not in html


def test_the_honeypot_answers_like_success_and_stores_nothing(
    client: Client, public_programme: Programme, vanj: Any
) -> None:
    data = form(public_programme, vanj, website="http://spam.example")
    response = client.post(REPORT, data)
    assert response.status_code == 200
    code = code_on(response)
    assert code_on(client.post(REPORT, data)) == code  # the same form: the same (false) code
    assert not Concern.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="concern.").exists()
    assert client.post(STATUS, {"code": code}).status_code == 422


@override_settings(HAMKORI_INTAKE_RATE="3/10m", HAMKORI_INTAKE_STATUS_RATE="2/10m")
def test_the_rate_limit_answers_429_and_is_shared_by_the_page_and_the_api(
    client: Client, public_programme: Programme, vanj: Any
) -> None:
    assert client.post(REPORT, form(public_programme, vanj)).status_code == 200
    assert client.post(REPORT, form(public_programme, vanj, description="")).status_code == 422  # not counted
    assert client.post(REPORT, form(public_programme, vanj, website="spam")).status_code == 200  # not counted
    assert api_post(client, API, api_body(public_programme)).status_code == 201
    assert client.post(REPORT, form(public_programme, vanj)).status_code == 200
    refused = client.post(REPORT, form(public_programme, vanj))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0 and "Too many requests" in refused.content.decode()
    over = api_post(client, API, api_body(public_programme))
    assert over.status_code == 429 and over.json()["code"] == "throttled" and "Retry-After" in over
    assert Concern.objects.count() == 3
    # Another address (another village) is not affected; status look-ups have their own limit.
    assert client.post(REPORT, form(public_programme, vanj), REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.post(STATUS, {"code": "AAAA-AAAA"}).status_code == 422
    assert api_post(client, API_STATUS, {"code": "AAAA-AAAA"}).status_code == 404
    assert client.post(STATUS, {"code": "AAAA-AAAA"}).status_code == 429
    assert api_post(client, API_STATUS, {"code": "AAAA-AAAA"}).status_code == 429


def test_the_rate_limit_is_generous_for_a_village_behind_one_address(
    client: Client, public_programme: Programme, vanj: Any
) -> None:
    """The default: thirty reports in ten minutes from one address all go through."""
    assert intake.parse_rate(settings.HAMKORI_INTAKE_RATE).count >= 30
    for _i in range(30):
        assert client.post(REPORT, form(public_programme, vanj)).status_code == 200
    assert Concern.objects.count() == 30


# --- The API -----------------------------------------------------------------------------------
def api_body(programme: Programme, /, **values: Any) -> dict[str, Any]:
    return {
        "programme": programme.code,
        "district": "TJ-GB-VANJ",
        "description": TEXT,
        "language": "tg",
        "client_id": str(uuid.uuid4()),
        **values,
    }


def api_post(client: Client, path: str, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def test_the_api_takes_a_report_anonymously_without_csrf_and_replays_idempotently(public_programme: Programme) -> None:
    client = Client(enforce_csrf_checks=True)
    body = api_body(public_programme, sensitivity="public", status="resolved", owner=1, source="police")
    created = api_post(client, API, body)
    assert created.status_code == 201, created.content
    out = created.json()
    assert set(out) == {"receipt_code", "status", "status_label", "district", "received_on", "note"}
    assert out["status"] == "received" and out["note"] == ""
    replay = api_post(client, API, body)
    assert replay.status_code == 200 and replay.json()["receipt_code"] == out["receipt_code"]
    concern = Concern.objects.get()
    assert (concern.sensitivity, concern.status, concern.owner_id, concern.source) == (
        "internal",
        "reported",
        None,
        "public",
    )
    status = api_post(client, API_STATUS, {"code": out["receipt_code"].lower().replace("-", " ")})
    assert status.status_code == 200 and status.json() == out
    assert TEXT not in status.content.decode() and concern.reference not in status.content.decode()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 100_000}, "description"),
        ({"district": "TJ-KT-HAMADONI"}, "district"),
        ({"district": "nowhere"}, "district"),
        ({"programme": "no-such-programme"}, "programme"),
        ({"contact": {"phone": "+992 93 555 12 34"}}, "contact_consent"),
        ({"contact": {"email": "nope"}, "contact_consent": True}, "contact.email"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"language": "xx"}, "language"),
    ],
)
def test_the_api_refuses_bad_input_in_the_one_error_format(
    client: Client, public_programme: Programme, values: dict[str, Any], field: str
) -> None:
    response = api_post(client, API, api_body(public_programme, **values))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    assert not Concern.objects.exists() and not VaultRecord.objects.exists()


def test_the_api_status_of_an_unknown_code_is_a_plain_404(client: Client, public_programme: Programme) -> None:
    response = api_post(client, API_STATUS, {"code": "K7Q4-9MXP"})
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No concern was found with this code.", "errors": {}}


def test_contact_with_consent_through_the_api_lands_in_the_vault(client: Client, public_programme: Programme) -> None:
    body = api_body(public_programme, contact={"name": "Фарҳод", "phone": "+992 90 111 22 33"}, contact_consent=True)
    assert api_post(client, API, body).status_code == 201
    concern = Concern.objects.get()
    assert vault_get(actor=None, subject_key=concern.reporter_key, purpose="test") == PersonalData(
        full_name="Фарҳод", phone="+992 90 111 22 33"
    )


# --- Every answer is ready to be translated -------------------------------------------------------
class PseudoTranslation(trans_real.DjangoTranslation):
    """Marks every string that goes through gettext: what is left unmarked on a page in this
    language was never offered to the translators."""

    def gettext(self, message: str) -> str:
        return f"⟦{message.split(chr(4))[-1]}⟧"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"⟦{singular if n == 1 else plural}⟧"


@pytest.fixture
def pseudo_languages() -> Iterator[None]:
    saved = {lang: trans_real._translations.get(lang) for lang in ("tg", "ru")}
    for lang in saved:
        trans_real._translations[lang] = PseudoTranslation(lang)
    try:
        yield
    finally:
        for lang, value in saved.items():
            if value is None:
                trans_real._translations.pop(lang, None)
            else:
                trans_real._translations[lang] = value


def unmarked(html_or_text: str, *data: str, html: bool = True) -> list[str]:
    text = visible_text(html_or_text) if html else html_or_text
    text = re.sub(r"⟦[^⟧]*⟧|\b[2-9A-Z]{4}-[2-9A-Z]{4}\b", " ", text)  # marked strings; receipt codes are data
    return english_left(text, data)


@pytest.mark.parametrize("lang", ["tg", "ru"])
@override_settings(HAMKORI_INTAKE_RATE="2/10m", HAMKORI_INTAKE_STATUS_RATE="3/10m")
def test_every_answer_goes_through_gettext(
    pseudo_languages: None, public_programme: Programme, vanj: Any, orgs: dict, place: Any, lang: str
) -> None:
    other = factories.programme(
        code="second", title_en="Second", title_ru="Вторая", title_tg="Дуюм", lead=orgs["lead"], locations=[vanj]
    )
    accept_public_reports(other)
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    data = ("Hamkori",)
    pages = [client.get(REPORT), client.get(STATUS)]
    pages.append(client.post(REPORT, form(public_programme, vanj, description="", contact_email="x")))
    receipt = client.post(REPORT, form(public_programme, vanj))
    code = code_on(receipt)
    pages += [receipt, client.post(REPORT, form(public_programme, vanj, website="spam"))]
    pages += [client.post(STATUS, {"code": code}), client.post(STATUS, {"code": "2222"})]
    pages += [client.post(REPORT, form(public_programme, vanj)), client.post(REPORT, form(public_programme, vanj))]
    pages += [client.post(STATUS, {"code": code}), client.post(STATUS, {"code": code})]
    assert [p.status_code for p in pages] == [200, 200, 422, 200, 200, 200, 422, 200, 429, 200, 429]
    for page in pages:
        html = page.content.decode()
        assert f'<html lang="{lang}">' in html
        assert unmarked(html, code, *data) == [], visible_text(html)
    api = [
        api_post(
            client, API, api_body(public_programme, description="", contact={"phone": "1"}), REMOTE_ADDR="10.9.9.9"
        ),
        api_post(client, API_STATUS, {"code": "2222"}),
        api_post(client, API, api_body(public_programme)),
    ]
    assert [a.status_code for a in api] == [422, 429, 429]
    for answer in api:
        body = answer.json()
        words = " ".join([body["detail"], *(m for ms in body["errors"].values() for m in ms)])
        assert unmarked(words, html=False) == [], body
    with override_settings(HAMKORI_INTAKE_RATE="100/m", HAMKORI_INTAKE_STATUS_RATE="100/m"):
        ok = api_post(client, API, api_body(public_programme)).json()
        assert ok["status_label"].startswith("⟦")


def test_a_signed_in_user_reporting_publicly_is_still_anonymous(
    client_for: Callable[[Any], Client], public_programme: Programme, vanj: Any, users: dict
) -> None:
    """A partner who uses /report/ does not own the concern; the audit event names no one."""
    client = client_for(users[Role.PARTNER])
    assert client.post(REPORT, form(public_programme, vanj)).status_code == 200
    concern = Concern.objects.get()
    assert (concern.owner_id, concern.source) == (None, "public")
    intake.seal_public_submissions()
    event = AuditEvent.objects.get(action=intake.SEAL_ACTION)
    assert event.actor_id is None and event.actor_label == "system"


def test_rate_counters_keep_no_address(client: Client, public_programme: Programme, vanj: Any) -> None:
    from hamkori.concerns.models import IntakeRate

    client.post(REPORT, form(public_programme, vanj), REMOTE_ADDR="203.0.113.7")
    client.post(STATUS, {"code": "AAAA-AAAA"}, REMOTE_ADDR="203.0.113.7")
    keys = list(IntakeRate.objects.values_list("key", "hits"))
    assert len(keys) == 2 and all(hits == 1 for _key, hits in keys)
    assert {key.split(":")[0] for key, _hits in keys} == {"submit", "status"}
    assert not any("203.0.113.7" in key or "203-0-113" in key for key, _hits in keys)


def test_a_sealed_submission_that_is_changed_no_longer_matches_its_seal(public_programme: Programme, vanj: Any) -> None:
    """The seal's digest covers what was submitted: editing the description afterwards (an insider
    covering a report up) gives another digest than the one in the hash chain."""
    concern, _created = submit(public_programme, vanj)
    second, _created = submit(public_programme, vanj, intake_key=uuid.uuid4())
    intake.seal_public_submissions()
    event = AuditEvent.objects.get(action=intake.SEAL_ACTION)
    assert event.summary["count"] == 2
    fields = ("pk", "intake_key", "receipt_code", "created_at", "description")
    rows = list(Concern.objects.filter(pk__in=[concern.pk, second.pk]).order_by("pk").values_list(*fields))
    assert intake._digest(rows) == event.summary["digest"]
    Concern.objects.filter(pk=concern.pk).update(description="nothing happened")
    rows = list(Concern.objects.filter(pk__in=[concern.pk, second.pk]).order_by("pk").values_list(*fields))
    assert intake._digest(rows) != event.summary["digest"]


def test_the_rate_limit_counts_across_shards(
    client: Client, public_programme: Programme, vanj: Any, settings: Any
) -> None:
    """One address's submissions land on several counter rows; the limit is their sum."""
    settings.HAMKORI_INTAKE_RATE = "5/10m"
    answers = [
        client.post(REPORT, form(public_programme, vanj), REMOTE_ADDR="198.51.100.9").status_code for _ in range(7)
    ]
    assert answers[:5] == [200] * 5 and answers[5:] == [429, 429]
    assert Concern.objects.count() == 5


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        # Transaction control (the test's own transaction makes savepoints) and, 1 in 1000, old windows.
        if q["sql"] not in ("BEGIN", "COMMIT") and not q["sql"].startswith(("DELETE", "SAVEPOINT", "RELEASE"))
    ]


def test_an_api_submission_is_a_few_statements_and_writes_everything(
    public_programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The intake's hot path (issue 14's throughput target): on PostgreSQL the rate check, the
    programme and district, the concern, its reference, the first timeline row and the rate count are
    ONE prepared statement (prepared once per connection); on SQLite the rate count and the location
    are read in one statement, then the concern with its reference, the first timeline row and the count
    are written in one short transaction of three."""
    monkeypatch.setattr(intake, "seal_now_and_then", lambda: None)  # the batch seal, 1 in 50, is apart
    bodies = [api_body(public_programme), api_body(public_programme)]
    answers, statements = [], []
    for body in bodies:
        with CaptureQueriesContext(connection) as queries:
            answers.append(api_post(Client(), API, body))
        statements.append(_statements(queries))
    assert [a.status_code for a in answers] == [201, 201], answers[0].content
    if connection.vendor == "postgresql":
        assert [s.split()[0] for s in statements[1]] == ["EXECUTE"], statements[1]
        assert [s.split()[0] for s in statements[0]] in (["EXECUTE"], ["PREPARE", "EXECUTE"]), statements[0]
    else:
        assert len(statements[0]) == len(statements[1]) == 4, statements
    for body, answer in zip(bodies, answers, strict=True):
        concern = Concern.objects.get(intake_key=body["client_id"])
        assert concern.reference == f"C-{concern.pk:06d}"
        assert (concern.source, concern.status, concern.sensitivity, concern.owner_id) == (
            "public",
            "reported",
            "internal",
            None,
        )
        assert (concern.programme_id, concern.district.code) == (public_programme.pk, "TJ-GB-VANJ")
        assert concern.description == TEXT and concern.language == "tg" and concern.receipt_code
        assert list(concern.events.values_list("kind", "to_status", "actor_id")) == [("created", "reported", None)]
        assert answer.json()["receipt_code"].replace("-", "") == concern.receipt_code
        assert answer.json()["district"] == concern.district.name
    assert sum(IntakeRate.objects.values_list("hits", flat=True)) == 2


@pytest.mark.parametrize("language", ["tg", "ru"])
def test_the_form_tells_apart_two_districts_that_share_a_name(
    public_programme: Programme, place: Callable[[str], Any], client: Client, language: str
) -> None:
    """Isfara the city and Isfara the town are both "Исфара" in Tajik and Russian: the list a citizen
    picks from says which is which (a walk-through on a phone found two identical choices)."""
    from hamkori.programmes import services as programmes

    isfara, town = place("TJ-SU-ISFARA"), place("TJ-SU-ISFARA-ISFARA")
    programmes.programme_set_locations(
        actor=None, programme=public_programme, places=[place("TJ-GB-VANJ"), isfara, town]
    )
    html = client.get(REPORT, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    options = dict(re.findall(r'<option value="(\d+:\d+)"[^>]*>([^<]+)</option>', html))
    labels = [options[f"{public_programme.pk}:{p.pk}"].strip() for p in (isfara, town)]
    assert labels[0] != labels[1], labels
    assert all(label.startswith("Исфара (") for label in labels), labels
    answer = client.post(REPORT, form(public_programme, town), HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 200 and CODE.search(answer.content.decode())
    assert Concern.objects.get().district == town


def test_sqlite_intake_writers_wait_in_a_queue_and_the_next_goes_when_the_one_before_is_done(tmp_path: Any) -> None:
    """The queue in front of SQLite's write lock (``<database>-queue``): a second writer waits while the
    first is inside, and goes in once it has left; a database in memory has no queue."""
    name = str(tmp_path / "hamkori.sqlite3")
    inside, leave, done = threading.Event(), threading.Event(), []

    def first() -> None:
        with intake._sqlite_writers_queue(name):
            inside.set()
            leave.wait(10)
            done.append("first left")

    def second() -> None:
        inside.wait(10)
        with intake._sqlite_writers_queue(name):
            done.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert inside.wait(10)
    threading.Event().wait(0.3)
    assert done == [], "the second writer went in while the first was inside"
    leave.set()
    for thread in threads:
        thread.join(10)
    assert done == ["first left", "second in"]
    assert (tmp_path / "hamkori.sqlite3-queue").exists()
    with intake._sqlite_writers_queue("file:memorydb_default?mode=memory&cache=shared"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hamkori.sqlite3-queue"]


@pytest.mark.django_db(transaction=True)
def test_the_api_path_counts_and_refuses_on_connections_that_prepared_it_and_new_ones(
    programme: Programme, place: Any, settings: Any
) -> None:
    """Outside a test transaction, as under gunicorn: each submission commits on its own, a new
    connection prepares the statement again, the limit is the sum of the shards, and what was refused
    (over the rate, an unknown district, a programme not taking reports) wrote nothing."""
    public = accept_public_reports(programme)
    place("TJ-GB-VANJ")
    settings.HAMKORI_INTAKE_RATE = "4/10m"
    client = Client()
    codes = [api_post(client, API, api_body(public)).status_code for _ in range(2)]
    connection.close()  # a new connection: prepared again
    codes += [api_post(client, API, api_body(public)).status_code for _ in range(3)]
    assert codes == [201, 201, 201, 201, 429]
    assert Concern.objects.count() == 4 and sum(IntakeRate.objects.values_list("hits", flat=True)) == 4
    other = api_post(client, API, api_body(public), REMOTE_ADDR="10.9.8.7")
    unknown = api_post(client, API, api_body(public, district="TJ-XX-NOWHERE"), REMOTE_ADDR="10.9.8.6")
    assert other.status_code == 201 and unknown.status_code == 422, unknown.content
    assert "district" in unknown.content.decode()
    Programme.objects.filter(pk=public.pk).update(public_reports=False)
    closed = api_post(client, API, api_body(public), REMOTE_ADDR="10.9.8.5")
    assert closed.status_code == 422 and "programme" in closed.content.decode()
    assert Concern.objects.count() == 5
    assert sum(IntakeRate.objects.values_list("hits", flat=True)) == 5


@pytest.mark.django_db(transaction=True)
def test_two_api_requests_at_once_with_one_client_id_make_one_concern(programme: Programme, place: Any) -> None:
    """The API's one-statement path: the same client id sent twice at the same moment, from two
    connections, makes one concern; both answers carry its code (201 and 200)."""
    public = accept_public_reports(programme)
    place("TJ-GB-VANJ")
    for _round in range(3):
        body = api_body(public)
        barrier = threading.Barrier(2)
        answers: list[Any] = []

        def send(
            body: dict[str, Any] = body, barrier: threading.Barrier = barrier, answers: list[Any] = answers
        ) -> None:
            try:
                barrier.wait(timeout=30)
                for _attempt in range(100):
                    answer = api_post(Client(), API, body)
                    # SQLite's shared in-memory test database answers "locked" at once (a 500 here).
                    if answer.status_code != 500 or connection.vendor != "sqlite":
                        break
                    threading.Event().wait(0.02)
                answers.append((answer.status_code, answer.json()["receipt_code"]))
            finally:
                connection.close()

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(status for status, _code in answers) == [200, 201], answers
        assert len({code for _status, code in answers}) == 1
        assert Concern.objects.filter(intake_key=body["client_id"]).count() == 1
