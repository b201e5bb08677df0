"""The campaigns' roll-ups and the gallery: exact counts for the lead organisation and partners (a partner only
her districts), disclosure control for donors (small counts hidden with complementary suppression, a breakdown
withheld when it would lend another table a number it hid, whole years or quarters only, the same marks in the
export), the audited export and constant query counts; the gallery by district, shown to donors without
anything but the artwork, its title, format and language."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.events.summary import Period
from hamkori.grants import reach_summary, uploads
from hamkori.grants.models import CampaignProduct
from tests.grants.campaign_helpers import jpeg, make_product, make_reach
from tests.grants.conftest import ISFARA, VANJ

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def files_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "grant-files"
    settings.HAMKORI_GRANT_FILES_DIR = str(folder)
    return folder


def url(name: str, programme: Any, *args: Any) -> str:
    return reverse(name, args=[programme.code, *args])


@pytest.fixture
def world(
    programme: Any, grant: Any, users: dict, place: Any, grant_vocab: dict, django_capture_on_commit_callbacks: Any
) -> dict[str, Any]:
    """Two products this year: LAP's Tajik leaflet in Vanj (12 young women and 3 men reached) and the lead's
    Russian poster in Isfara (20 girls and 30 older men), with pictures; and last year's distribution in Vanj."""
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        leaflet = make_product(
            programme,
            actor=users[Role.PARTNER],
            grant=grant,
            quantity=400,
            upload=uploads.Upload("варақа.jpg", [jpeg()]),
        )
        poster = make_product(
            programme,
            actor=users[Role.STAFF],
            district=place(ISFARA),
            fmt="poster",
            language="ru",
            title="Плакат: телефон доверия",
            quantity=50,
            upload=uploads.Upload("плакат.png", [png()]),
        )
    make_reach(
        leaflet,
        actor=users[Role.PARTNER],
        on=today,
        counts={("female", "18-24"): 12, ("male", "25-35"): 3},
        copies=90,
        feedback="Занон пурсиданд: ба кӣ занг занем?",
    )
    make_reach(poster, actor=users[Role.STAFF], on=today, counts={("female", "u18"): 20, ("male", "36-50"): 30})
    old = make_reach(
        leaflet, actor=users[Role.PARTNER], on=today.replace(year=today.year - 1), counts={("male", "u18"): 7}
    )
    return {"leaflet": leaflet, "poster": poster, "old": old, "year": today.year}


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 128, 255, 200)).save(out, "PNG")
    return out.getvalue()


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each row of a table (header cells and data cells), marks of hidden cells as shown."""
    found = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', html, re.S)
    assert found is not None, f"no table {table_id}"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S):
        texts = []
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S):
            cell = re.sub(r'<span class="visually-hidden">.*?</span>', "", cell, flags=re.S)
            texts.append(re.sub(r"<[^>]+>", "", cell).strip().replace("&lt;", "<"))
        rows.append(texts)
    return rows


def text_of(html: str, element_id: str) -> str:
    """The visible text of a fact's value (up to the end of its box), a hidden cell's mark as shown."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</div>', html, re.S)
    assert found is not None, element_id
    text = re.sub(r'<span class="visually-hidden">.*?</span>', "", found.group(1), flags=re.S)
    return re.sub(r"<[^>]+>", "", text).strip().replace("&lt;", "<")


# --- Exact counts --------------------------------------------------------------------------------------
def test_the_lead_organisation_sees_every_count_exactly(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    html = client_for(users[Role.STAFF]).get(url("campaign_summary", programme) + f"?year={world['year']}").content
    page = html.decode()
    assert cells(page, "summary-districts") == [
        ["District", "Female", "Male", "Total"],
        ["Vanj", "12", "3", "15"],
        ["Isfara", "20", "30", "50"],
        ["Total", "32", "33", "65"],
    ]
    bands = cells(page, "summary-bands")
    assert bands[1] == ["under 18", "20", "0", "20"] and bands[3] == ["25–35", "0", "3", "3"]
    assert cells(page, "summary-by-format") == [
        ["", "People"],
        ["Leaflet", "15"],
        ["Poster", "50"],
        ["Total", "65"],
    ]
    assert cells(page, "summary-by-language")[1:] == [["Tajik", "15"], ["Russian", "50"], ["Total", "65"]]
    assert cells(page, "summary-formats")[1:] == [["Leaflet", "1", "400", "1", "90"], ["Poster", "1", "50", "1", "0"]]
    assert (text_of(page, "reached"), text_of(page, "women"), text_of(page, "men")) == ("65", "32", "33")
    assert (text_of(page, "distributions"), text_of(page, "copies")) == ("2", "90")
    assert 'id="protected-note"' not in page and "disclosure-legend" not in page
    # Last year's distribution counts in last year only.
    last = client_for(users[Role.STAFF]).get(url("campaign_summary", programme) + f"?year={world['year'] - 1}")
    assert text_of(last.content.decode(), "reached") == "7"
    # Free dates (not for donors) and a district.
    today = timezone.localdate().isoformat()
    one_day = client_for(users[Role.STAFF]).get(
        url("campaign_summary", programme) + f"?start={today}&end={today}&district={VANJ}"
    )
    assert cells(one_day.content.decode(), "summary-districts")[1:] == [
        ["Vanj", "12", "3", "15"],
        ["Total", "12", "3", "15"],
    ]


def test_a_partner_sees_exact_counts_of_her_districts_only(
    programme: Any, world: dict, users: dict, client_for: Any, make_user: Any, orgs: dict, place: Any
) -> None:
    lap = client_for(users[Role.PARTNER]).get(url("campaign_summary", programme) + f"?year={world['year']}")
    page = lap.content.decode()
    assert cells(page, "summary-districts")[1:] == [["Vanj", "12", "3", "15"], ["Total", "12", "3", "15"]]
    assert "Isfara" not in page and "Poster" not in page
    asti = make_user(
        "asti@test.example", programme=programme, role=Role.PARTNER, organisation=orgs["asti"], places=[place(ISFARA)]
    )
    other = client_for(asti).get(url("campaign_summary", programme) + f"?year={world['year']}&district={VANJ}")
    assert text_of(other.content.decode(), "reached") == "50"  # Vanj is not hers: the choice falls back to hers


# --- Disclosure control ----------------------------------------------------------------------------------
def test_a_donor_sees_small_cells_hidden_and_no_hidden_number_anywhere(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.DONOR])
    response = client.get(url("campaign_summary", programme) + f"?year={world['year']}")
    assert response.status_code == 200
    page = response.content.decode()
    districts = cells(page, "summary-districts")
    assert districts[1] == ["Vanj", "x", "<5", "15"] and districts[2] == ["Isfara", "x", "x", "50"]
    assert districts[3] == ["Total", "32", "33", "65"]
    assert 'class="suppressed small"' in page and 'class="suppressed secondary"' in page
    assert "disclosure-legend" in page and 'id="protected-note"' in page
    bands = cells(page, "summary-bands")
    assert bands[3][2] == "<5" and "3" not in [c for row in bands for c in row]
    for row in districts + bands:
        for value in row:
            assert value not in ("3", "12", "20", "30"), row
    # Nothing but counts: no feedback, no titles of products, no place below the district.
    assert "Занон пурсиданд" not in page and world["leaflet"].title not in page and "Rovand" not in page
    # Whole years or quarters only: free dates are not offered and are ignored.
    assert 'name="start"' not in page
    today = timezone.localdate().isoformat()
    narrowed = client.get(url("campaign_summary", programme) + f"?start={today}&end={today}&year={world['year']}")
    assert text_of(narrowed.content.decode(), "reached") == "65"


def test_a_breakdown_that_would_reveal_a_hidden_number_is_withheld(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    """Vanj alone: 12 women and 3 men. The main table hides both (the totals of women and men included); the
    table by age band would repeat those totals, so it is withheld; by format the total 15 is safe."""
    page = (
        client_for(users[Role.DONOR])
        .get(url("campaign_summary", programme) + f"?year={world['year']}&district={VANJ}")
        .content.decode()
    )
    assert cells(page, "summary-districts") == [
        ["District", "Female", "Male", "Total"],
        ["Vanj", "x", "<5", "15"],
        ["Total", "x", "<5", "15"],
    ]
    assert 'id="bands-withheld"' in page and 'id="summary-bands"' not in page
    assert (text_of(page, "women"), text_of(page, "men"), text_of(page, "reached")) == ("x", "<5", "15")
    assert cells(page, "summary-by-format")[1:] == [["Leaflet", "15"], ["Total", "15"]]


def test_the_breakdown_rules_are_exact_for_tiny_totals(programme: Any, users: dict, grant: Any, place: Any) -> None:
    """Four people in all: the grand total is hidden, so every table that repeats it is withheld."""
    product = make_product(programme, actor=users[Role.PARTNER], grant=grant)
    make_reach(product, actor=users[Role.PARTNER], on=timezone.localdate(), counts={("female", "u18"): 4})
    today = timezone.localdate()
    period = Period(today.replace(month=1, day=1), today.replace(month=12, day=31))
    summary = reach_summary.build_summary(users[Role.DONOR], programme, [place(VANJ), place(ISFARA)], period)
    assert summary.reached.suppressed and summary.bands is None
    assert summary.by_format.withheld and summary.by_language.withheld and summary.has_suppressed
    exact = reach_summary.build_summary(users[Role.STAFF], programme, [place(VANJ), place(ISFARA)], period)
    assert exact.reached.value == 4 and exact.bands is not None and not exact.by_format.withheld


def test_the_export_carries_the_same_marks_and_is_audited(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.DONOR])
    response = client.get(url("campaign_summary_export", programme, "csv") + f"?year={world['year']}")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    vanj_men = [r for r in rows if len(r) == 4 and r[1] == "Vanj" and r[2] == "Male"]
    assert vanj_men and vanj_men[0][3] == "<5"
    values = {r[3] for r in rows if len(r) == 4 and r[0].startswith("People reached by")}
    assert not values & {"3", "12", "20", "30"}
    event = AuditEvent.objects.get(action="campaign.summary.export")
    assert event.actor == users[Role.DONOR] and event.summary["aggregate"] is True and event.summary["format"] == "csv"
    xlsx = client.get(url("campaign_summary_export", programme, "xlsx") + f"?year={world['year']}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(url("campaign_summary_export", programme, "exe")).status_code == 404
    exact = client_for(users[Role.STAFF]).get(
        url("campaign_summary_export", programme, "csv") + f"?year={world['year']}"
    )
    staff_rows = list(csv.reader(io.StringIO(exact.content.decode("utf-8-sig"))))
    assert next(r for r in staff_rows if len(r) == 4 and r[1] == "Vanj" and r[2] == "Male")[3] == "3"


def test_the_summary_keeps_its_number_of_queries(
    programme: Any, world: dict, users: dict, client_for: Any, grant: Any, place: Any
) -> None:
    def count(user: Any) -> int:
        client = client_for(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("campaign_summary", programme) + f"?year={world['year']}").status_code == 200
        return len(queries)

    before = {role: count(users[role]) for role in (Role.STAFF, Role.PARTNER, Role.DONOR)}
    for i in range(5):
        more = make_product(programme, actor=users[Role.PARTNER], grant=grant, fmt="video", title=f"Видео {i}")
        for band in ("u18", "51-64", "65+"):
            make_reach(more, actor=users[Role.PARTNER], on=timezone.localdate(), counts={("female", band): 6})
    assert {role: count(users[role]) for role in before} == before


# --- The gallery ------------------------------------------------------------------------------------------
def test_the_gallery_shows_pictures_by_district_with_a_filter(
    programme: Any, world: dict, users: dict, client_for: Any, make_user: Any, orgs: dict, place: Any
) -> None:
    staff = client_for(users[Role.STAFF])
    page = staff.get(url("campaign_gallery", programme)).content.decode()
    assert page.index(">Vanj</h2>") < page.index(world["leaflet"].title) < page.index(">Isfara</h2>")
    assert page.index(">Isfara</h2>") < page.index(world["poster"].title)
    assert url("product_file", programme, world["leaflet"].pk) + "?size=small" in page
    assert f'href="{url("product_detail", programme, world["leaflet"].pk)}"' in page
    only = staff.get(url("campaign_gallery", programme) + f"?district={ISFARA}").content.decode()
    assert world["poster"].title in only and world["leaflet"].title not in only
    assert (
        world["leaflet"].title
        not in staff.get(url("campaign_gallery", programme) + "?district=TJ-NOWHERE").content.decode()
    )
    # A product without a picture is not in the gallery.
    bare = make_product(programme, actor=users[Role.STAFF], district=place(VANJ), title="Бе расм")
    assert bare.title not in staff.get(url("campaign_gallery", programme)).content.decode()
    # A partner sees her districts' pictures only.
    lap = client_for(users[Role.PARTNER]).get(url("campaign_gallery", programme)).content.decode()
    assert world["leaflet"].title in lap and world["poster"].title not in lap and ">Isfara</h2>" not in lap


def test_a_donor_sees_the_gallery_and_its_pictures_only(
    programme: Any, world: dict, users: dict, client_for: Any
) -> None:
    client = client_for(users[Role.DONOR])
    page = client.get(url("campaign_gallery", programme)).content.decode()
    assert world["leaflet"].title in page and world["poster"].title in page
    assert 'href="' + url("product_detail", programme, world["leaflet"].pk) not in page
    assert "Занон пурсиданд" not in page and world["leaflet"].grant.number not in page
    for product in (world["leaflet"], world["poster"]):
        picture = client.get(url("product_file", programme, product.pk) + "?size=small")
        assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"
        assert picture["X-Content-Type-Options"] == "nosniff"
    assert client.get(url("product_detail", programme, world["poster"].pk)).status_code == 403


def test_the_gallery_keeps_its_number_of_queries(
    programme: Any, world: dict, users: dict, client_for: Any, grant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def count(user: Any) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_for(user).get(url("campaign_gallery", programme)).status_code == 200
        return len(queries)

    before = {role: count(users[role]) for role in (Role.STAFF, Role.DONOR)}
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(4):
            make_product(
                programme,
                actor=users[Role.PARTNER],
                grant=grant,
                fmt="poster",
                title=f"Плакат {i}",
                upload=uploads.Upload(f"p{i}.jpg", [jpeg()]),
            )
    assert {role: count(users[role]) for role in before} == before
    assert CampaignProduct.objects.filter(image__isnull=False).count() == 6
