"""Campaign products and their reach: the services, then the pages over real HTTP. The adversaries first (a
partner of another organisation given the same district, one of another district, another programme's admin,
a liaison, a group member, a donor, an anonymous visitor), then a partner recording a product for her grant
and its distributions in Tajik, bad input (translated errors, nothing saved), the grant page's panel and
constant query counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events import services as events
from hamkori.events.models import EventKind
from hamkori.grants import awards, calls, campaigns
from hamkori.grants.models import CampaignFormat, CampaignProduct, GrantFile, Reach, ReachCount, ScreeningQuestion
from hamkori.grants.panels import grant_panels
from hamkori.grants.product_panels import product_panel
from hamkori.places.models import Place
from tests import factories
from tests.grants.campaign_helpers import DAY, jpeg, make_product, make_reach, pdf
from tests.grants.conftest import ISFARA, VANJ, approve, make_application, make_call

pytestmark = pytest.mark.django_db

SELECT_VALID = "Select a valid choice. That choice is not one of the available choices."


@pytest.fixture(autouse=True)
def files_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "grant-files"
    settings.HAMKORI_GRANT_FILES_DIR = str(folder)
    return folder


def url(name: str, programme: Any, *args: Any) -> str:
    return reverse(name, args=[programme.code, *args])


@pytest.fixture
def product(programme: Any, grant: Any, users: dict, django_capture_on_commit_callbacks: Any) -> CampaignProduct:
    """LAP's leaflet for its Vanj grant, recorded by LAP's partner, with a photo of it."""
    with django_capture_on_commit_callbacks(execute=True):
        return make_product(
            programme, actor=users[Role.PARTNER], grant=grant, upload=campaigns_upload("варақа.jpg", jpeg())
        )


def campaigns_upload(name: str, data: bytes) -> Any:
    from hamkori.grants.uploads import Upload

    return Upload(name, [data])


@pytest.fixture
def reach(product: CampaignProduct, users: dict) -> Reach:
    return make_reach(product, actor=users[Role.PARTNER], copies=120, feedback="Саволҳо дар бораи муҳоҷират")


@pytest.fixture
def adversaries(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    """ASTI's partner given Vanj too (only the organisation boundary holds her back), ASTI's partner in Isfara
    only, and an admin of another programme in Vanj."""
    other = factories.programme(
        code="other-prog",
        title_en="Other programme",
        title_ru="Другая программа",
        title_tg="Барномаи дигар",
        lead=orgs["lead"],
        locations=[place(VANJ)],
        partners=[(orgs["lap"], [place(VANJ)])],
    )
    return {
        "asti_vanj": make_user(
            "asti-vanj@test.example",
            programme=programme,
            role=Role.PARTNER,
            organisation=orgs["asti"],
            places=[place(VANJ)],
        ),
        "asti_isfara": make_user(
            "asti-isfara@test.example",
            programme=programme,
            role=Role.PARTNER,
            organisation=orgs["asti"],
            places=[place(ISFARA)],
        ),
        "other_admin": make_user(
            "other-admin@test.example", programme=other, role=Role.ADMIN, organisation=orgs["lead"]
        ),
        "other_programme": other,
    }


def state() -> tuple[Any, ...]:
    """Everything a write could change."""
    return (
        list(CampaignProduct.objects.order_by("pk").values()),
        list(Reach.objects.order_by("pk").values()),
        list(ReachCount.objects.order_by("pk").values()),
        list(GrantFile.objects.order_by("pk").values()),
        AuditEvent.objects.filter(action__startswith="campaign.", outcome="ok")
        .exclude(action="campaign.file.download")
        .count(),
    )


def product_data(product_format: CampaignFormat, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "grant": "",
        "district": "",
        "format": product_format.pk,
        "title": "Варақа: ба кӣ занг задан",
        "language": "tg",
        "quantity": "300",
        "link": "",
        "description": "Рақамҳои телефони ёрӣ",
    }
    data.update(more)
    return data


def reach_data(place: Any, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "on": DAY.isoformat(),
        "place": place.pk,
        "channel": "distribution",
        "event": "",
        "copies": "150",
        "feedback": "Занон дар бораи хушунати хонаводагӣ пурсиданд",
        "c-female-18-24": "14",
        "c-female-25-35": "9",
        "c-male-25-35": "6",
        "c-male-65+": "2",
    }
    data.update(more)
    return data


def pages(programme: Any, product: CampaignProduct, reach: Reach) -> list[str]:
    return [
        url("product_detail", programme, product.pk),
        url("product_edit", programme, product.pk),
        url("product_file", programme, product.pk),
        url("reach_create", programme, product.pk),
        url("reach_edit", programme, product.pk, reach.pk),
    ]


def writes(programme: Any, product: CampaignProduct, reach: Reach, place: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            url("product_edit", programme, product.pk),
            product_data(product.format, title="Changed", grant=product.grant_id),
        ),
        (url("reach_create", programme, product.pk), reach_data(place(VANJ))),
        (url("reach_edit", programme, product.pk, reach.pk), reach_data(place(VANJ), copies="1")),
    ]


# --- Services ------------------------------------------------------------------------------------------
def test_a_partner_records_a_product_of_her_grant_in_its_district(
    programme: Any, grant: Any, users: dict, orgs: dict, place: Any, grant_vocab: dict
) -> None:
    made = make_product(programme, actor=users[Role.PARTNER], grant=grant, district=place(ISFARA))
    assert made.owner == orgs["lap"] and made.district == place(VANJ) and made.grant == grant  # the grant's district
    assert AuditEvent.objects.filter(action="campaign.product", object_id=str(made.pk)).exists()
    reach = make_reach(made, actor=users[Role.PARTNER], counts={("female", "u18"): "7", ("male", "u18"): ""})
    assert reach.district == place(VANJ) and reach.programme_id == programme.pk
    assert {(c.sex, c.age_band, c.count) for c in reach.counts.all()} == {("female", "u18", 7)}
    # Corrected: one save replaces the counts.
    campaigns.reach_save(
        actor=users[Role.PARTNER],
        product=made,
        reach=reach,
        on=reach.on,
        place=place("TJ-GB-VANJ-ROVAND"),
        channel="performance",
        counts={("male", "36-50"): 3},
    )
    assert {(c.sex, c.age_band, c.count) for c in reach.counts.all()} == {("male", "36-50", 3)}


def test_another_organisations_partner_changes_nothing_through_the_services(
    programme: Any, product: CampaignProduct, reach: Reach, adversaries: dict, place: Any
) -> None:
    asti = adversaries["asti_vanj"]
    before = state()
    with pytest.raises(PermissionDenied):
        campaigns.product_save(
            actor=asti,
            programme=programme,
            product=product,
            grant=product.grant,
            district=product.district,
            format=product.format,
            title="ASTI's now",
            language="ru",
        )
    with pytest.raises(PermissionDenied):
        make_reach(product, actor=asti)
    with pytest.raises(PermissionDenied):  # nor a product of LAP's grant
        make_product(programme, actor=asti, grant=product.grant)
    assert state() == before


@pytest.fixture
def foreign_grant(adversaries: dict, place: Any, make_user: Any, orgs: dict) -> Any:
    """A grant of the other programme (in Vanj, supported by LAP there too)."""
    other = adversaries["other_programme"]
    calls.vocabulary_ensure(actor=None, programme=other)
    vocab = {
        "formats": {f.code: f for f in CampaignFormat.objects.filter(programme=other)},
        "questions": {q.code: q for q in ScreeningQuestion.objects.filter(programme=other)},
    }
    call = make_call(other, place, districts=[place(VANJ)])
    application = make_application(call, place, vocab)
    staff = make_user("other-staff@test.example", programme=other, role=Role.STAFF, organisation=orgs["lead"])
    approve(application, vocab, staff)
    application.refresh_from_db()
    return awards.agreement_sign(actor=None, grant=application.grant, signed_on=timezone.localdate())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"counts": {("female", "18-24"): "-3"}}, "counts"),
        ({"counts": {("other", "18-24"): "3"}}, "counts"),
        ({"counts": {("female", "18-99"): "3"}}, "counts"),
        ({"counts": {("female", "18-24"): "2.5"}}, "counts"),
        ({"on": "future"}, "on"),
        ({"place": "isfara"}, "place"),
        ({"channel": "pigeon"}, "channel"),
        ({"copies": "-1"}, "copies"),
    ],
)
def test_bad_reach_is_refused_with_nothing_saved(
    programme: Any, product: CampaignProduct, users: dict, place: Any, change: dict, field: str
) -> None:
    values: dict[str, Any] = {
        "on": DAY,
        "place": product.district,
        "channel": "distribution",
        "counts": {("male", "25-35"): "4"},
    }
    values.update(change)
    if values["on"] == "future":
        values["on"] = timezone.localdate() + dt.timedelta(days=3)
    if values["place"] == "isfara":
        values["place"] = place("TJ-SU-ISFARA")
    before = state()
    with pytest.raises(ValidationError) as refused:
        campaigns.reach_save(actor=users[Role.PARTNER], product=product, **values)
    assert field in refused.value.message_dict
    assert state() == before


def test_a_grant_of_another_programme_is_refused(
    programme: Any, foreign_grant: Any, users: dict, grant_vocab: dict
) -> None:
    before = state()
    with pytest.raises(ValidationError) as refused:
        make_product(programme, actor=None, grant=foreign_grant)
    assert "grant" in refused.value.message_dict
    assert state() == before


# --- Pages: adversaries ---------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(
    programme: Any, product: CampaignProduct, reach: Reach, client_for: Any, place: Any
) -> None:
    client = client_for(None)
    listing = [
        url("campaign_list", programme),
        url("product_create", programme),
        url("campaign_summary", programme),
        url("campaign_summary_export", programme, "csv"),
        url("campaign_gallery", programme),
    ]
    for page in [*listing, *pages(programme, product, reach)]:
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], page
    before = state()
    for address, data in [*writes(programme, product, reach, place), (url("product_create", programme), {})]:
        response = client.post(address, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], address
    assert state() == before


def test_another_programmes_admin_gets_404_and_changes_nothing(
    programme: Any, product: CampaignProduct, reach: Reach, adversaries: dict, client_for: Any, place: Any
) -> None:
    client = client_for(adversaries["other_admin"])
    other = adversaries["other_programme"]
    before = state()
    for code_of in (programme, other):
        for page in pages(code_of, product, reach):
            assert client.get(page).status_code == 404, page
        for address, data in writes(code_of, product, reach, place):
            assert client.post(address, data).status_code == 404, address
    for page in (url("campaign_list", other), url("campaign_gallery", other), url("campaign_summary", other)):
        response = client.get(page)
        assert response.status_code == 200
        assert product.title not in response.content.decode()
    assert state() == before


def test_a_partner_of_another_organisation_in_the_district_sees_but_every_write_answers_403(
    programme: Any, product: CampaignProduct, reach: Reach, adversaries: dict, client_for: Any, place: Any
) -> None:
    client = client_for(adversaries["asti_vanj"])
    page = client.get(url("product_detail", programme, product.pk))
    assert page.status_code == 200  # ASTI also works in Vanj: it sees LAP's leaflet
    html = page.content.decode()
    assert "Only the lead organisation and the organisation that recorded this product can change it." in html
    assert url("product_edit", programme, product.pk) not in html
    assert url("reach_create", programme, product.pk) not in html
    assert url("reach_edit", programme, product.pk, reach.pk) not in html
    before = state()
    for address in (
        url("product_edit", programme, product.pk),
        url("reach_create", programme, product.pk),
        url("reach_edit", programme, product.pk, reach.pk),
    ):
        assert client.get(address).status_code == 403, address
    for address, data in writes(programme, product, reach, place):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            assert client.post(address, data, **headers).status_code == 403, address
    # Nor may she record a product for LAP's grant: it is not offered, and a forged id is refused.
    form = client.get(url("product_create", programme) + f"?grant={product.grant_id}").content.decode()
    assert 'name="grant"' not in form and product.grant.number not in form  # no grant she may report on
    forged = client.post(
        url("product_create", programme),
        product_data(product.format, grant=product.grant_id),
        HTTP_ACCEPT_LANGUAGE="tg",
    )
    assert forged.status_code == 422
    with translation.override("tg"):
        assert gettext(SELECT_VALID) in forged.content.decode()
    assert state() == before


def test_a_partner_of_another_district_does_not_see_the_product(
    programme: Any, product: CampaignProduct, reach: Reach, adversaries: dict, client_for: Any
) -> None:
    client = client_for(adversaries["asti_isfara"])
    for page in pages(programme, product, reach):
        assert client.get(page).status_code == 404, page
    for page in (url("campaign_list", programme), url("campaign_gallery", programme)):
        response = client.get(page)
        assert response.status_code == 200 and product.title not in response.content.decode(), page
    summary = client.get(url("campaign_summary", programme)).content.decode()
    assert "Ванҷ" not in summary and "Vanj" not in summary


def test_a_liaison_a_member_and_an_outsider_neither_read_nor_change(
    programme: Any, product: CampaignProduct, reach: Reach, users: dict, client_for: Any, place: Any
) -> None:
    before = state()
    for who in (Role.LIAISON, Role.GROUP_MEMBER, "outsider"):
        client = client_for(users[who])
        for page in [
            *pages(programme, product, reach),
            url("campaign_list", programme),
            url("campaign_gallery", programme),
            url("campaign_summary", programme),
        ]:
            assert client.get(page).status_code in (403, 404), (who, page)
        for address, data in writes(programme, product, reach, place):
            assert client.post(address, data).status_code in (403, 404), (who, address)
    assert state() == before


def test_a_donor_gets_the_picture_but_neither_the_product_nor_its_reach(
    programme: Any,
    product: CampaignProduct,
    reach: Reach,
    users: dict,
    client_for: Any,
    place: Any,
    grant: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(users[Role.DONOR])
    before = state()
    for page in (
        url("campaign_list", programme),
        url("product_create", programme),
        url("product_detail", programme, product.pk),
        url("product_edit", programme, product.pk),
        url("reach_create", programme, product.pk),
        url("reach_edit", programme, product.pk, reach.pk),
    ):
        assert client.get(page).status_code == 403, page
    for address, data in writes(programme, product, reach, place):
        assert client.post(address, data).status_code == 403, address
    assert state() == before
    gallery = client.get(url("campaign_gallery", programme)).content.decode()
    assert product.title in gallery and f'href="{url("product_detail", programme, product.pk)}"' not in gallery
    assert "Саволҳо" not in gallery  # feedback stays with the product
    picture = client.get(url("product_file", programme, product.pk) + "?size=small")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"
    # A document (a booklet as PDF) is not artwork shown in the gallery: not served to a donor.
    with django_capture_on_commit_callbacks(execute=True):
        booklet = make_product(
            programme,
            actor=users[Role.PARTNER],
            grant=grant,
            fmt="booklet",
            upload=campaigns_upload("китоб.pdf", pdf()),
        )
    assert client.get(url("product_file", programme, booklet.pk)).status_code == 404
    assert client_for(users[Role.PARTNER]).get(url("product_file", programme, booklet.pk)).status_code == 200


# --- Pages: recording ------------------------------------------------------------------------------------
def test_a_partner_records_a_product_for_her_grant_with_a_photo_in_tajik(
    programme: Any,
    grant: Any,
    users: dict,
    orgs: dict,
    client_for: Any,
    grant_vocab: dict,
    django_capture_on_commit_callbacks: Any,
    files_dir: Path,
) -> None:
    client = client_for(users[Role.PARTNER])
    form = client.get(url("product_create", programme) + f"?grant={grant.pk}", HTTP_ACCEPT_LANGUAGE="tg")
    assert form.status_code == 200
    html = form.content.decode()
    assert f'<option value="{grant.pk}" selected>' in html and 'enctype="multipart/form-data"' in html
    with translation.override("tg"):
        assert gettext("Save") in html
    data = product_data(grant_vocab["formats"]["leaflet"], grant=grant.pk)
    data["file"] = SimpleUploadedFile("варақа.jpg", jpeg(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("product_create", programme), data, HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 302, response.content.decode()[:3000]
    made = CampaignProduct.objects.get()
    assert response["Location"] == url("product_detail", programme, made.pk)
    assert (made.owner, made.grant, made.district.code, made.quantity) == (orgs["lap"], grant, VANJ, 300)
    assert made.image is not None and made.image.extension == "jpg" and made.image.name == "варақа.jpg"
    assert set(AuditEvent.objects.filter(object_id=str(made.pk)).values_list("action", flat=True)) >= {
        "campaign.product",
        "campaign.file.upload",
    }
    detail = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="tg").content.decode()
    assert "Варақа: ба кӣ занг задан" in detail and grant.number in detail
    assert url("product_file", programme, made.pk) + "?size=small" in detail
    assert url("reach_create", programme, made.pk) in detail


def test_a_partner_records_and_corrects_a_distribution_with_the_grid(
    programme: Any, product: CampaignProduct, users: dict, client_for: Any, place: Any
) -> None:
    client = client_for(users[Role.PARTNER])
    address = url("reach_create", programme, product.pk)
    form = client.get(address, HTTP_ACCEPT_LANGUAGE="tg").content.decode()
    assert form.count('inputmode="numeric" pattern="[0-9]*" name="c-') == 12
    assert 'type="date"' in form and f'value="{timezone.localdate().isoformat()}"' in form
    assert f'value="{place("TJ-GB-VANJ-ROVAND").pk}"' in form and f'value="{place(ISFARA).pk}"' not in form
    response = client.post(address, reach_data(place("TJ-GB-VANJ-ROVAND")), HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Reach.objects.get()
    assert (saved.place.code, saved.copies, saved.on) == ("TJ-GB-VANJ-ROVAND", 150, DAY)
    assert sum(c.count for c in saved.counts.all()) == 31
    detail = client.get(response["Location"].split("#")[0]).content.decode()
    assert 'id="reach-people">31<' in detail and 'id="reach-copies">150<' in detail
    edit = url("reach_edit", programme, product.pk, saved.pk)
    assert 'value="14"' in client.get(edit).content.decode()
    corrected = reach_data(place(VANJ), **{"c-female-18-24": "", "c-female-25-35": "", "c-male-65+": "1"})
    assert client.post(edit, corrected).status_code == 302
    assert {(c.sex, c.age_band, c.count) for c in saved.counts.all()} == {("male", "25-35", 6), ("male", "65+", 1)}
    assert AuditEvent.objects.filter(action="campaign.reach_update", object_id=str(product.pk)).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"c-female-18-24": "-4"}, "%(sex)s, %(band)s: give a whole number of people from 0."),
        ({"c-other-18-24": "3"}, "Unknown sex or age band."),
        ({"c-female-18-99": "3"}, "Unknown sex or age band."),
        ({"on": "future"}, "Record reach once it has happened."),
        ({"place": "isfara"}, SELECT_VALID),
        ({"place": "isfara-village"}, SELECT_VALID),
        ({"event": "foreign"}, SELECT_VALID),
        ({"copies": "-2"}, "Ensure this value is greater than or equal to %(limit_value)s."),
        ({"on": "2026-13-40"}, "Enter a valid date."),
    ],
)
def test_bad_reach_on_the_page_shows_translated_errors_and_saves_nothing(
    programme: Any,
    product: CampaignProduct,
    users: dict,
    client_for: Any,
    place: Any,
    adversaries: dict,
    change: dict,
    message: str,
) -> None:
    data = reach_data(place(VANJ))
    for key, value in change.items():
        if value == "future":
            value = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
        elif value == "isfara":
            value = place(ISFARA).pk
        elif value == "isfara-village":
            isfara = place(ISFARA)
            value = Place.objects.filter(path__startswith=isfara.path).exclude(pk=isfara.pk).first().pk  # type: ignore[union-attr]
        elif value == "foreign":
            events.vocabulary_ensure(actor=None, programme=adversaries["other_programme"])
            other = adversaries["other_programme"]
            value = events.event_create(
                actor=None,
                programme=other,
                kind=EventKind.objects.get(programme=other, code="dialogue"),
                title="Муколама",
                place=place(VANJ),
                starts_at=events.local_datetime(other, DAY, dt.time(10)),
                ends_at=events.local_datetime(other, DAY, dt.time(12)),
            ).pk
        data[key] = value
    before = state()
    response = client_for(users[Role.PARTNER]).post(
        url("reach_create", programme, product.pk), data, HTTP_ACCEPT_LANGUAGE="tg"
    )
    assert response.status_code == 422
    html = response.content.decode()
    with translation.override("tg"):
        expected = gettext(message)
    if "%(limit_value)s" in expected:
        expected = expected % {"limit_value": 0}
    elif "%(sex)s" in expected:
        expected = expected.split("%(band)s")[-1]
    assert expected.replace("'", "&#x27;") in html or expected in html, expected
    assert 'class="error-summary"' in html
    if change.get("c-female-18-24") == "-4":
        assert 'aria-invalid="true" class="bad"' in html and 'value="-4"' in html
    assert state() == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"grant": "foreign"}, "grant", SELECT_VALID),
        ({"quantity": "0"}, "quantity", "Ensure this value is greater than or equal to %(limit_value)s."),
        ({"title": ""}, "title", "This field is required."),
        ({"format": "999999"}, "format", SELECT_VALID),
        ({"link": "javascript:alert(1)"}, "link", "Enter a web address starting with https:// or http://."),
        ({"grant": "", "district": "isfara"}, "district", SELECT_VALID),
        ({"grant": "", "district": ""}, "district", "Choose one of the programme's locations."),
    ],
)
def test_bad_products_show_translated_errors_and_save_nothing(
    programme: Any,
    grant: Any,
    users: dict,
    client_for: Any,
    place: Any,
    grant_vocab: dict,
    change: dict,
    field: str,
    message: str,
    request: Any,
) -> None:
    data = product_data(grant_vocab["formats"]["leaflet"], grant=grant.pk)
    for key, value in change.items():
        if value == "foreign":
            value = request.getfixturevalue("foreign_grant").pk
        elif value == "isfara":
            value = place(ISFARA).pk
        data[key] = value
    data["file"] = SimpleUploadedFile("варақа.jpg", jpeg(), content_type="image/jpeg")
    before = state()
    response = client_for(users[Role.PARTNER]).post(url("product_create", programme), data, HTTP_ACCEPT_LANGUAGE="tg")
    assert response.status_code == 422
    html = response.content.decode()
    with translation.override("tg"):
        expected = gettext(message)
    if "%(limit_value)s" in expected:
        expected = expected % {"limit_value": 1}
    assert expected.replace("'", "&#x27;") in html or expected in html, expected
    assert f'id="id_{field}_error"' in html
    assert state() == before


def test_a_partner_edits_her_product_and_removes_its_picture(
    programme: Any,
    product: CampaignProduct,
    users: dict,
    client_for: Any,
    files_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(users[Role.PARTNER])
    address = url("product_edit", programme, product.pk)
    form = client.get(address).content.decode()
    assert 'value="Варақа: амният дар деҳа"' in form and 'name="remove_file"' in form
    stored = [p for p in files_dir.rglob("*") if p.is_file()]
    assert len(stored) == 2  # the picture and its small copy
    data = product_data(product.format, grant=product.grant_id, title="Варақа (нашри дуюм)", remove_file="on")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(address, data).status_code == 302
    product.refresh_from_db()
    assert product.title == "Варақа (нашри дуюм)" and product.image is None
    assert not GrantFile.objects.exists() and [p for p in files_dir.rglob("*") if p.is_file()] == []
    assert AuditEvent.objects.filter(action="campaign.file.remove", object_id=str(product.pk)).exists()


# --- The grant page's panel ------------------------------------------------------------------------------
def test_the_grant_panel_lists_products_and_offers_to_add_one(
    programme: Any, grant: Any, product: CampaignProduct, reach: Reach, users: dict, adversaries: dict, rf: Any
) -> None:
    panels = grant_panels(users[Role.PARTNER], grant)
    mine = [p for p in panels if p.template == "grants/product_panel.html"]
    assert len(mine) == 1 and mine[0].context["may_add"] is True
    request = rf.get("/")
    request.user = users[Role.PARTNER]
    html = render_to_string(mine[0].template, {**mine[0].context, "grant": grant}, request=request)
    assert product.title in html and f"{url('product_create', programme)}?grant={grant.pk}" in html
    assert ">20<" in html and ">120<" in html  # people reached, copies handed out
    asti = product_panel(adversaries["asti_vanj"], grant)
    assert asti and asti[0].context["may_add"] is False
    assert product_panel(adversaries["asti_isfara"], grant)[0].context["products"] == []
    assert product_panel(users[Role.DONOR], grant) == []
    assert product_panel(users[Role.LIAISON], grant) == []


# --- Query counts -----------------------------------------------------------------------------------------
def test_the_list_and_a_product_page_keep_their_number_of_queries(
    programme: Any, grant: Any, users: dict, client_for: Any, place: Any, grant_vocab: dict
) -> None:
    client = client_for(users[Role.PARTNER])
    first = make_product(programme, actor=users[Role.PARTNER], grant=grant)
    make_reach(first, actor=users[Role.PARTNER])

    def count(address: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(address).status_code == 200
        return len(queries)

    lists = count(url("campaign_list", programme))
    detail = count(url("product_detail", programme, first.pk))
    for i in range(6):
        more = make_product(
            programme, actor=users[Role.PARTNER], grant=grant, fmt=["video", "poster"][i % 2], title=f"Маҳсул {i}"
        )
        for _ in range(3):
            make_reach(more, actor=users[Role.PARTNER])
        make_reach(first, actor=users[Role.PARTNER], place=place("TJ-GB-VANJ-ROVAND"))
    assert count(url("campaign_list", programme)) == lists
    assert count(url("campaign_list", programme) + "?format=video&language=tg&district=" + VANJ) == lists
    assert count(url("product_detail", programme, first.pk)) == detail
    page = client.get(url("campaign_list", programme) + "?format=video").content.decode()
    assert page.count('data-label="Product"') == 3


def test_unknown_filters_match_nothing(programme: Any, product: CampaignProduct, users: dict, client_for: Any) -> None:
    client = client_for(users[Role.STAFF])
    assert product.title in client.get(url("campaign_list", programme)).content.decode()
    for query in ("?district=TJ-NOWHERE", "?format=nothing", "?language=xx"):
        assert product.title not in client.get(url("campaign_list", programme) + query).content.decode(), query
