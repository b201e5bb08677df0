"""The programme's home page says, per role, what needs doing (programmes/home.py and its contributors),
and protected tables mark small cells and cells hidden to protect others differently."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.core.roles import Role
from hamkori.groups import services as groups
from hamkori.groups.models import WorkingGroup
from hamkori.people import services as people
from hamkori.people.models import Person, Sector
from hamkori.programmes.home import HomeItem, home_items, register_home_items

JOINED = dt.date(2019, 1, 1)  # before the programme's last reporting date (2019-12-31)
VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"


def make_person(programme: Any, place: Any, where: str, sex: str, *, year: int = 1960) -> Person:
    return people.person_create(actor=None, programme=programme, sex=sex, place=place(where), birth_year=year)


def fill(group: WorkingGroup, programme: Any, place: Any, where: str, women: int, men: int) -> list[Person]:
    members = [make_person(programme, place, where, "female") for _ in range(women)]
    members += [make_person(programme, place, where, "male") for _ in range(men)]
    for member in members:
        groups.membership_add(actor=None, group=group, person=member, joined_on=JOINED)
    return members


@pytest.fixture
def world(programme: Any, place: Any) -> dict[str, Any]:
    """ГКБ Ванҷ: 2 women of 15, nobody young, no journalist. ГКБ Исфара: 7 women of 13, no journalist."""
    groups.balance_policy_update(
        actor=None,
        programme=programme,
        women_target_percent=50,
        women_minimum_percent=40,
        youth_max_age=30,
        minimum_members=3,
        required_sectors=[Sector.objects.get(code="journalist")],
    )
    vanj = groups.group_create(actor=None, programme=programme, name="ГКБ Ванҷ", district=place(VANJ))
    isfara = groups.group_create(actor=None, programme=programme, name="ГКБ Исфара", district=place(ISFARA))
    return {
        "vanj": vanj,
        "isfara": isfara,
        "vanj_members": fill(vanj, programme, place, VANJ, 2, 13),
        "isfara_members": fill(isfara, programme, place, ISFARA, 7, 6),
    }


def home(client: Any, programme: Any) -> str:
    response = client.get(reverse("programme_overview", args=[programme.code]))
    assert response.status_code == 200
    return response.content.decode()


def todo(html: str) -> str:
    match = re.search(r'<section class="todo".*?</section>', html, re.S)
    assert match, "the page has a to-do panel"
    return match.group(0)


# --- field roles: what needs doing ---------------------------------------------------------------
def test_partner_home_says_what_her_vanj_group_lacks_and_nothing_of_isfara(
    users: dict, client_for: Any, programme: Any, world: dict
) -> None:
    html = home(client_for(users[Role.PARTNER]), programme)
    panel = todo(html)
    assert html.index('id="todo"') < html.index("Budget"), "the main action comes before the brochure"
    assert "ГКБ Ванҷ lacks:" in panel
    assert "women 2 of 15 (below 40%)" in panel and "no journalist" in panel and "no young people" in panel
    assert reverse("group_detail", args=[programme.code, world["vanj"].pk]) in panel
    assert "Исфара" not in html and "7 of 13" not in html, "nothing from the partner's other districts"


def test_admin_home_shows_every_district(users: dict, client_for: Any, programme: Any, world: dict) -> None:
    panel = todo(home(client_for(users[Role.ADMIN]), programme))
    assert "ГКБ Ванҷ lacks:" in panel and "ГКБ Исфара lacks:" in panel
    assert panel.index("ГКБ Ванҷ") < panel.index("ГКБ Исфара"), "a group below its minimums comes first"
    assert "women 7 of 13 (below" not in panel


def test_people_without_consent_are_counted_and_the_link_lists_them(
    users: dict, client_for: Any, programme: Any, world: dict
) -> None:
    admin = users[Role.ADMIN]
    consenting = world["vanj_members"][:3]
    for person in consenting:
        people.consent_record(
            actor=admin, person=person, purpose="participation", given_on=JOINED, method="written", language="tg"
        )
    client = client_for(users[Role.PARTNER])
    panel = todo(home(client, programme))
    assert "12 people have no recorded consent to take part" in panel, "Vanj only: 15 people, 3 consented"
    url = reverse("person_list", args=[programme.code]) + "?consent=missing"
    assert url in panel
    listed = client.get(url).content.decode()
    assert all(p.code in listed for p in world["vanj_members"][3:])
    assert not any(p.code in listed for p in consenting)
    assert "25 people" in todo(home(client_for(admin), programme))


# --- other roles -------------------------------------------------------------------------------
def test_group_member_sees_their_own_groups_balance(users: dict, client_for: Any, programme: Any, world: dict) -> None:
    people.person_link_account(actor=None, person=world["vanj_members"][0], account=users[Role.GROUP_MEMBER])
    html = home(client_for(users[Role.GROUP_MEMBER]), programme)
    assert 'id="my-groups"' in html and "ГКБ Ванҷ" in html
    assert "women 2 of 15 (below 40%)" in html and "no journalist" in html
    assert "Исфара" not in html and "person_detail" not in html
    assert not any(p.code in html for p in world["vanj_members"])


def test_liaison_home_says_no_referral_awaits_an_answer(
    users: dict, client_for: Any, programme: Any, world: dict
) -> None:
    html = home(client_for(users[Role.LIAISON]), programme)
    assert "No referral awaits your answer." in todo(html)
    assert "ГКБ" not in html and "consent" not in html


def test_donor_home_shows_protected_results_and_the_exports(
    users: dict, client_for: Any, programme: Any, world: dict
) -> None:
    html = home(client_for(users[Role.DONOR]), programme)
    results = html[html.index('id="results"') :]
    # Vanj 2 women (small), 13 men; Isfara 7 women, 6 men: Vanj's men and Isfara's cells protect the 2.
    row = re.search(r"<th scope=\"row\">Vanj</th>(.*?)</tr>", results, re.S)
    assert row and "&lt;5" in row.group(1) and "hidden to protect another cell" in row.group(1)
    assert ">15<" in row.group(1), "the row total is published"
    assert "x<span" in results
    assert "disclosure-legend" in results
    assert 'id="women-share">32%' in results, "9 women of 28, from the published totals"
    for name in ("people_export", "groups_export"):
        for fmt in ("xlsx", "csv"):
            assert reverse(name, args=[programme.code, fmt]) in results
    everyone = world["vanj_members"] + world["isfara_members"]
    assert not any(p.code in html for p in everyone), "no person code reaches a donor"
    assert "ГКБ" not in html, "no group names either: counts by district only"
    for link in re.findall(r'href="(/p/[^"]+)"', results):
        assert client_for(users[Role.DONOR]).get(link).status_code == 200, link


# --- secondary suppression: a mark of its own ---------------------------------------------------------
def test_balance_page_marks_cells_hidden_to_protect_others(
    users: dict, client_for: Any, programme: Any, world: dict
) -> None:
    url = reverse("programme_balance", args=[programme.code]) + "?on=2019-12-31"
    html = client_for(users[Role.DONOR]).get(url).content.decode()
    table = html[html.index('id="safe-balance"') : html.index("</table>", html.index('id="safe-balance"'))]
    truth = {"Vanj": [2, 13, 15], "Isfara": [7, 6, 13], "Total": [9, 19, 28]}
    for district, counts in truth.items():
        row = re.search(rf'<th scope="row">{district}</th>(.*?)</tr>', table, re.S)
        assert row, district
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
        for cell, true in zip(cells, counts, strict=True):
            shown = re.sub(r'<span class="visually-hidden">.*?</span>', "", cell)
            shown = re.sub(r"<[^>]+>", "", shown)
            if true >= 5:
                assert shown in (str(true), "x"), (district, cells)
                assert "&lt;5" not in cell, f"{district}: a count of {true} is never labelled <5"
            else:
                assert shown == "&lt;5", (district, cells)
        if district == "Isfara":
            assert all("hidden to protect another cell" in c for c in cells[:2]), cells
    assert "Counts from 1 to 4" not in table
    legend = html[html.index('class="muted disclosure-legend"') :]
    assert "&lt;5</strong>: a count from 1 to 4" in legend and "hidden to protect another cell" in legend


def test_donor_export_marks_secondary_cells_x(users: dict, client_for: Any, programme: Any, world: dict) -> None:
    response = client_for(users[Role.DONOR]).get(reverse("groups_export", args=[programme.code, "csv"]))
    text = response.content.decode("utf-8-sig")
    rows = {line.split(",")[0]: line.split(",")[1:] for line in text.splitlines() if line}
    assert rows["Vanj"] == ["<5", "x", "15"] and rows["Isfara"] == ["x", "x", "13"]


# --- the registry and the cost of the page ----------------------------------------------------------
def test_later_apps_register_items(users: dict, programme: Any) -> None:
    def overdue(user: Any, prog: Any) -> list[HomeItem]:
        return [HomeItem(priority=5, text="2 actions are overdue", url="/actions/", count=2)]

    register_home_items(overdue)
    register_home_items(overdue)  # idempotent
    try:
        items = home_items(users[Role.ADMIN], programme)
        assert [i.text for i in items].count("2 actions are overdue") == 1
        assert items[0].text == "2 actions are overdue", "by priority"
    finally:
        from hamkori.programmes import home as registry

        registry._ITEM_SOURCES.remove(overdue)


def _queries(client: Any, programme: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        home(client, programme)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PARTNER, Role.DONOR, Role.GROUP_MEMBER])
def test_home_queries_do_not_grow_with_groups(
    users: dict, client_for: Any, programme: Any, place: Any, world: dict, role: str
) -> None:
    people.person_link_account(actor=None, person=world["vanj_members"][0], account=users[Role.GROUP_MEMBER])
    client = client_for(users[role])

    def add_groups(first: int, n: int) -> None:
        for i in range(first, first + n):
            where = VANJ if i % 2 else ISFARA
            group = groups.group_create(actor=None, programme=programme, name=f"G{i}", district=place(where))
            fill(group, programme, place, where, 1, 2)
            if where == VANJ:  # the group member's person sits in more groups too
                groups.membership_add(actor=None, group=group, person=world["vanj_members"][0], joined_on=JOINED)

    add_groups(0, 1)  # three groups
    _queries(client, programme)  # warm caches (sessions, sites)
    few = _queries(client, programme)
    add_groups(1, 27)  # thirty groups
    many = _queries(client, programme)
    assert few == many, f"{few} queries with 3 groups, {many} with 30"
