"""On a 360 × 740 phone, in Tajik: LAP's partner records a leaflet her organisation's grant paid for, with a photo
of it taken on a phone (GPS and camera data in it), then records a distribution with the people reached by sex
and age band, typing each cell and watching the total follow; the roll-up shows it. Then the donor, also in
Tajik, sees the roll-up with the small cells hidden and the leaflet's picture in the gallery.
Screenshots in /tmp/shots/campaigns/.

The demo may hold campaigns of its own (in the last months): the distribution recorded here is dated in a year
without any, and both the partner and the donor choose that year on the roll-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hamkori.accounts.models import User
from hamkori.accounts.totp import current_code
from hamkori.demo.services import build_demo
from hamkori.grants import awards, calls
from hamkori.grants.models import CampaignFormat, CampaignProduct, Reach, ScreeningQuestion
from hamkori.grants.uploads import stored_path, thumb_path
from hamkori.places.models import Place
from tests.grants.campaign_helpers import exif_of, jpeg, with_gps
from tests.grants.conftest import approve, make_application, make_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/campaigns")
TITLE = "Варақа: ба кӣ муроҷиат кардан"


@pytest.fixture(autouse=True)
def files_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "grant-files"
    settings.HAMKORI_GRANT_FILES_DIR = str(folder)
    return folder


def world() -> dict[str, Any]:
    """The demo programme, and a signed grant of LAP's in Vanj (applied for by LAP's partner, approved)."""
    demo = build_demo()
    accounts = {a.role: a for a in demo.accounts}
    partner = User.objects.get(email=accounts["partner"].email)
    staff = User.objects.get(email=accounts["staff"].email)
    programme = demo.programme
    calls.vocabulary_ensure(actor=None, programme=programme)
    vocab = {
        "formats": {f.code: f for f in CampaignFormat.objects.filter(programme=programme)},
        "questions": {q.code: q for q in ScreeningQuestion.objects.filter(programme=programme)},
    }

    def place(code: str) -> Place:
        return Place.objects.get(code=code)

    call = make_call(programme, place)
    application = make_application(call, place, vocab, actor=partner)
    approve(application, vocab, staff)
    application.refresh_from_db()
    grant = awards.agreement_sign(actor=None, grant=application.grant, signed_on=timezone.localdate())
    return {"demo": demo, "accounts": accounts, "grant": grant, "formats": vocab["formats"]}


@pytest.fixture
def phone(browser: Browser, live_server: Any) -> Iterator[Any]:
    """New phone-sized browser contexts in Tajik; no request may leave the server."""
    contexts: list[BrowserContext] = []
    outside: list[str] = []

    def guard(route: Any) -> None:
        if not route.request.url.startswith(live_server.url):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def make() -> Page:
        context = browser.new_context(base_url=live_server.url, locale="tg-TJ", viewport={"width": 360, "height": 740})
        context.route("**/*", guard)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the server: {outside}"


def sign_in(page: Page, email: str, password: str, secret: str | None) -> None:
    """As a person does: Tajik chosen on the sign-in page, the address and password, the authenticator's code."""
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Тоҷикӣ").click()
    expect(page.locator("html")).to_have_attribute("lang", "tg")
    page.get_by_label("Суроғаи почтаи электронӣ").fill(email)
    page.get_by_label("Парол").fill(password)
    page.get_by_role("button", name="Ворид шудан").click()
    if secret:
        page.get_by_label("Рамз").fill(current_code(secret))
        page.get_by_role("button", name="Ворид шудан").click()
    expect(page.locator("html")).to_have_attribute("lang", "tg")


def fits(page: Page) -> None:
    """Nothing wider than the phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def big_enough(locator: Any) -> None:
    locator.page.wait_for_load_state("load")  # measured once the page and its stylesheet have loaded
    box = locator.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] <= 360, box


def choose_year(page: Page, year: int) -> None:
    """The roll-up's period: a year chosen in the list, then "Show"."""
    page.locator("#id_year").select_option(str(year))
    page.locator("#summary-filters button[type=submit]").click()
    expect(page.locator(".lead")).to_contain_text(str(year))
    expect(page.locator("#summary-districts")).to_be_visible()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_partner_records_a_leaflet_and_its_reach_and_a_donor_sees_the_protected_roll_up(
    phone: Any, live_server: Any, tmp_path: Path, files_dir: Path
) -> None:
    w = world()
    demo, accounts, grant = w["demo"], w["accounts"], w["grant"]
    code = demo.programme.code
    photo = tmp_path / "варақа.jpg"
    photo.write_bytes(with_gps(tmp_path, jpeg((1200, 900), "teal"), "camera.jpg"))
    assert any("GPS" in key for key in exif_of(photo))

    # --- The partner records the leaflet, with its photo -----------------------------------------------
    page = phone()
    sign_in(page, accounts["partner"].email, demo.password, accounts["partner"].totp_secret)
    page.goto(f"/p/{code}/campaigns/")
    shot(page, "01-products")
    fits(page)
    create = page.locator("#product-create")
    big_enough(create)
    create.click()
    expect(page.locator("#product-form")).to_be_visible()
    page.locator("#id_grant").select_option(str(grant.pk))
    page.locator("#id_format").select_option(str(w["formats"]["leaflet"].pk))
    page.locator("#id_title").click()
    page.locator("#id_title").press_sequentially(TITLE, delay=10)
    page.locator("#id_language").select_option("tg")
    page.locator("#id_quantity").fill("")
    page.locator("#id_quantity").press_sequentially("500")
    page.locator("#id_file").set_input_files(str(photo))
    shot(page, "02-product-form")
    fits(page)
    save = page.locator("#product-form button[type=submit]")
    big_enough(save)
    save.click()
    expect(page.locator(".messages")).to_be_visible()
    product = CampaignProduct.objects.get(title=TITLE)
    assert (product.grant_id, product.title, product.quantity, product.district.code) == (
        grant.pk,
        TITLE,
        500,
        "TJ-GB-VANJ",
    )
    assert product.image is not None
    for kept in (stored_path(product.image.key), thumb_path(product.image.key)):
        assert not [k for k in exif_of(kept) if "GPS" in k], kept
    picture = page.locator("#product-picture img")
    expect(picture).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('#product-picture img'); return i.complete && i.naturalWidth > 0; }"
    )
    box = picture.bounding_box()
    assert box is not None and box["width"] <= 360
    shot(page, "03-product-page")
    fits(page)

    # --- A distribution, with the people reached typed into the grid -------------------------------------
    record = page.locator("#reach-create")
    big_enough(record)
    record.click()
    expect(page.locator("#reach-form")).to_be_visible()
    day = dt.date(timezone.localdate().year - 2, 9, 14)
    page.locator("#id_on").fill(day.isoformat())
    rovand = Place.objects.get(code="TJ-GB-VANJ-ROVAND")
    page.locator("#id_place").select_option(str(rovand.pk))
    page.locator("#id_channel").select_option("distribution")
    page.locator("#id_copies").press_sequentially("150")
    shot(page, "04-reach-form-empty")
    fits(page)
    for name, value in (("c-female-18-24", "14"), ("c-female-36-50", "6"), ("c-male-25-35", "3")):
        cell = page.locator(f"input[name='{name}']")
        big_enough(cell)
        cell.click()
        cell.press_sequentially(value, delay=30)
    expect(page.locator("#tally-total")).to_have_text("23")
    expect(page.locator("[data-tally-col-total]").first).to_have_text("20")
    page.locator("#id_feedback").fill("Занон пурсиданд, ки ба кӣ занг зананд")
    shot(page, "05-reach-form-filled")
    fits(page)
    page.locator(".tally-save button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("23")
    expect(page.locator("#reach-people")).to_have_text("23")
    expect(page.locator("#reach-copies")).to_have_text("150")
    reach = Reach.objects.get(product=product)
    assert (reach.on, reach.place_id, reach.copies) == (day, rovand.pk, 150)
    assert sum(c.count for c in reach.counts.all()) == 23
    shot(page, "06-product-with-reach")
    fits(page)

    # --- The roll-up: exact for her ----------------------------------------------------------------------
    page.goto(f"/p/{code}/campaigns/")
    row = page.locator("#product-table tbody tr", has_text=TITLE)
    expect(row).to_contain_text("23")
    expect(row).to_contain_text("150")
    shot(page, "07-products")
    fits(page)
    page.locator("#summary-link").click()
    choose_year(page, day.year)
    vanj = page.locator("#summary-districts tbody tr", has_text="Ванҷ")
    expect(vanj.locator("td")).to_have_text(["20", "3", "23"])
    expect(page.locator("#reached")).to_have_text("23")
    shot(page, "08-summary-partner")
    fits(page)

    # --- The donor: the same roll-up with the small cells hidden, and the gallery -------------------------
    donor = phone()
    sign_in(donor, accounts["donor"].email, demo.password, accounts["donor"].totp_secret)
    donor.goto(f"/p/{code}/campaigns/summary/")
    expect(donor.locator("#protected-note")).to_be_visible()
    assert donor.locator("#id_start").count() == 0  # a donor chooses a year or a quarter, never free dates
    choose_year(donor, day.year)
    row = donor.locator("#summary-districts tbody tr", has_text="Ванҷ")
    expect(row.locator("td").nth(1)).to_contain_text("<5")
    expect(row.locator("td").nth(0)).to_contain_text("x")
    expect(row.locator("td").nth(2)).to_have_text("23")
    expect(donor.locator("#bands-withheld")).to_be_visible()
    expect(donor.locator(".disclosure-legend").first).to_be_visible()
    text = donor.locator("main").inner_text() if donor.locator("main").count() else donor.inner_text("body")
    assert "Занон пурсиданд" not in text and TITLE not in text
    shot(donor, "09-summary-donor")
    fits(donor)
    donor.locator("#gallery-link").click()
    figure = donor.locator(".gallery-item", has_text=TITLE)
    expect(figure).to_be_visible()
    expect(figure.locator("img")).to_be_visible()
    donor.wait_for_function(
        """title => [...document.querySelectorAll('.gallery-item')].some(li => li.textContent.includes(title)
            && li.querySelector('img').complete && li.querySelector('img').naturalWidth > 0)""",
        arg=TITLE,
    )
    assert figure.locator("a").count() == 0  # no way into the product's page
    shot(donor, "10-gallery-donor")
    fits(donor)
    assert donor.goto(f"/p/{code}/campaigns/{product.pk}/").status == 403
