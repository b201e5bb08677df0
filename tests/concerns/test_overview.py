"""The programme overview across districts: who sees exact counts and who sees protected ones, the
charts drawn from the tables (and only on pages that have charts), and a constant query count.

Actions are built through their services; statuses past triage are set directly here (reaching them
through rounds, plans and sign-offs would only slow the tests: counting does not depend on how a
concern got where it is).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hamkori.concerns import actions
from hamkori.concerns.models import Action, Concern, Driver, Status
from hamkori.core.roles import Role

from .conftest import make_concern

VANJ, ISFARA = "TJ-GB-VANJ", "TJ-SU-ISFARA"
SECRET = "Зарина Раҳимова гуфт"  # a description that must never reach a donor


def overview_url(programme: Any) -> str:
    return reverse("concern_overview", args=[programme.code])


def add_concerns(programme: Any, place: Any, vocabulary: dict, where: str, status: str, n: int, **values: Any) -> None:
    driver = values.pop("driver", "opportunities")
    for _ in range(n):
        concern = make_concern(
            programme, place(where), drivers=[vocabulary["drivers"][driver]], description=SECRET, **values
        )
        Concern.objects.filter(pk=concern.pk).update(status=status)


def add_action(programme: Any, place: Any, where: str, *, due: dt.date, state: str = "open") -> Action:
    """An action of the district, owned by the lead organisation, brought to ``state``."""
    action = actions.action_create(
        actor=None,
        programme=programme,
        district=place(where),
        title="Чароғҳо",
        due_on=due,
        owners=[programme.lead_organisation],
    )
    if state != Action.State.OPEN:
        note = "Дигар лозим нест" if state == Action.State.DROPPED else ""
        action = actions.action_update(actor=None, action=action, state=state, note=note)
    return action


@pytest.fixture
def world(programme: Any, place: Any, vocabulary: dict) -> dict[str, Any]:
    """Vanj: 7 new, 2 in progress, 1 resolved (recruitment), 1 merged; Isfara: 3 new, 6 resolved.
    Actions: Vanj 2 late + 1 on time + 6 done, Isfara 1 late; a dropped one not counted."""
    add_concerns(programme, place, vocabulary, VANJ, Status.REPORTED, 7)
    add_concerns(programme, place, vocabulary, VANJ, Status.IN_PROGRESS, 2, driver="police_mistrust")
    add_concerns(programme, place, vocabulary, VANJ, Status.RESOLVED, 1, driver="recruitment")
    add_concerns(programme, place, vocabulary, VANJ, Status.MERGED, 1)
    add_concerns(programme, place, vocabulary, ISFARA, Status.TRIAGED, 3)
    add_concerns(programme, place, vocabulary, ISFARA, Status.REVIEWED, 6, driver="police_mistrust")
    today = timezone.localdate()
    for _ in range(2):
        add_action(programme, place, VANJ, due=today - dt.timedelta(days=3))
    add_action(programme, place, VANJ, due=today + dt.timedelta(days=3), state="in_progress")
    for _ in range(6):
        add_action(programme, place, VANJ, due=today - dt.timedelta(days=30), state="done")
    add_action(programme, place, ISFARA, due=today - dt.timedelta(days=1))
    add_action(programme, place, ISFARA, due=today - dt.timedelta(days=1), state="dropped")
    return {}


def chart_data(html: str, chart_id: str) -> dict[str, Any]:
    match = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no data for {chart_id}"
    return json.loads(match.group(1))


def table(html: str, chart_id: str) -> str:
    match = re.search(rf'<table class="table[^"]*" id="{chart_id}-table">.*?</table>', html, re.S)
    assert match, f"no table for {chart_id}"
    return match.group(0)


def row(table_html: str, label: str) -> list[str]:
    """The cells of the row headed ``label``, as text ("<5" and "x" for hidden cells)."""
    match = re.search(rf'<tr[^>]*><th scope="row">{re.escape(label)}</th>(.*?)</tr>', table_html, re.S)
    assert match, f"no row {label}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    hidden = r'<span class="visually-hidden">.*?</span>'
    return [unescape(re.sub(r"<[^>]+>", "", re.sub(hidden, "", c))).strip() for c in cells]


# --- adversaries first -------------------------------------------------------------------------------
def test_anonymous_is_sent_to_sign_in_and_outsiders_get_404(
    client: Any, users: dict, programme: Any, client_for: Any
) -> None:
    response = client.get(overview_url(programme))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(users["outsider"]).get(overview_url(programme)).status_code == 404


@pytest.mark.parametrize("role", [Role.LIAISON, Role.GROUP_MEMBER])
def test_liaison_and_member_are_refused_with_the_reason(
    role: str, users: dict, programme: Any, client_for: Any
) -> None:
    response = client_for(users[role]).get(overview_url(programme))
    assert response.status_code == 403
    assert "Your role in this programme does not allow this." in response.content.decode()


def test_another_programmes_admin_gets_404(
    programme: Any, orgs: dict, place: Any, make_user: Any, client_for: Any
) -> None:
    from tests import factories

    other = factories.programme(
        code="other-prog",
        title_en="Other",
        title_ru="Другая",
        title_tg="Дигар",
        lead=orgs["lead"],
        locations=[place(VANJ)],
    )
    admin_b = make_user("b-admin@test.example", programme=other, role=Role.ADMIN, organisation=orgs["lead"])
    assert client_for(admin_b).get(overview_url(programme)).status_code == 404


def test_donor_gets_protected_counts_and_never_a_row(users: dict, programme: Any, client_for: Any, world: dict) -> None:
    html = client_for(users[Role.DONOR]).get(overview_url(programme)).content.decode()
    assert SECRET not in html and "C-0" not in html, "no description, no reference: counts only"
    stages = table(html, "all-stages")
    # Vanj: 2 in progress and 1 resolved are small ("<5"); 7 new hidden to protect them ("x").
    vanj = row(stages, "Vanj")
    assert vanj == ["x", "0", "0", "<5", "<5", "0", "10"], vanj
    for chart_id in ("all-stages", "all-drivers", "all-actions"):
        drawn = [v for s in chart_data(html, chart_id)["series"] for v in s["data"]]
        assert not [v for v in drawn if v is not None and 1 <= v <= 4], (chart_id, drawn)
    # Most stage counts are hidden: the drawing shows the districts' published totals instead.
    data = chart_data(html, "all-stages")
    assert data["series"] == [{"label": "Total", "color": "#0072B2", "data": [10, 9]}]
    assert "the drawing shows each row's total" in html
    assert "disclosure-legend" in html
    # Actions: Vanj 6 done published, 2 late hidden.
    actions = table(html, "all-actions")
    assert "&lt;5" in actions


def test_staff_see_exact_counts_with_totals(users: dict, programme: Any, client_for: Any, world: dict) -> None:
    html = client_for(users[Role.STAFF]).get(overview_url(programme)).content.decode()
    stages = table(html, "all-stages")
    assert "&lt;5" not in html.split('id="all-stages-table"')[1].split("</table>")[0]
    assert re.search(r">7</td>", stages)
    data = chart_data(html, "all-stages")
    assert data["stacked"] is True
    assert [s["label"] for s in data["series"]][:2] == ["New", "Prioritised"]
    new = data["series"][0]["data"]
    assert new == [7, 3], "new: Vanj 7 (merged one not counted), Isfara 3"
    resolved = next(s for s in data["series"] if s["label"] == "Resolved")["data"]
    assert resolved == [1, 6], "reviewed counts as resolved"
    actions = chart_data(html, "all-actions")
    by = {s["label"]: s["data"] for s in actions["series"]}
    assert by == {"On time": [1, 0], "Late": [2, 1], "Done": [6, 0]}, "the dropped action is not counted"
    drivers = chart_data(html, "all-drivers")
    assert drivers["labels"][:3] == ["Lack of opportunities", "Mistrust of police", "Violent-group recruitment"]
    assert drivers["series"][0]["data"][:3] == [10, 8, 1]
    assert "Hidden counts" not in html


def test_partner_sees_her_districts_exactly_and_the_others_protected(
    users: dict, programme: Any, client_for: Any, world: dict
) -> None:
    html = client_for(users[Role.PARTNER]).get(overview_url(programme)).content.decode()
    assert "Your districts" in html and "The programme&#x27;s other districts" in html
    mine = chart_data(html, "mine-stages")
    assert mine["labels"] == ["Vanj"]
    assert mine["series"][0]["data"] == [7]
    assert next(s for s in mine["series"] if s["label"] == "In progress")["data"] == [2], "exact in her district"
    others = chart_data(html, "others-stages")
    assert others["labels"] == ["Isfara"]
    assert others["series"] == [{"label": "Total", "color": "#0072B2", "data": [9]}], "3 new in Isfara: not drawn"
    assert SECRET not in html


def test_query_count_is_the_same_with_few_or_many_concerns(
    users: dict, programme: Any, place: Any, client_for: Any, vocabulary: dict
) -> None:
    def count(role: str) -> int:
        client = client_for(users[role])
        client.get(overview_url(programme))  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(overview_url(programme)).status_code == 200
        return len(ctx.captured_queries)

    add_concerns(programme, place, vocabulary, VANJ, Status.REPORTED, 2)
    add_action(programme, place, VANJ, due=timezone.localdate())
    few = {role: count(role) for role in (Role.STAFF, Role.DONOR, Role.PARTNER)}
    add_concerns(programme, place, vocabulary, VANJ, Status.IN_PROGRESS, 25, driver="recruitment")
    add_concerns(programme, place, vocabulary, ISFARA, Status.RESOLVED, 25, driver="police_mistrust")
    for _ in range(20):
        add_action(programme, place, ISFARA, due=timezone.localdate() - dt.timedelta(days=2))
    many = {role: count(role) for role in (Role.STAFF, Role.DONOR, Role.PARTNER)}
    assert few == many
    assert max(many.values()) <= 25, many


# --- the charts -------------------------------------------------------------------------------------
def test_a_protected_chart_draws_published_cells_or_its_totals() -> None:
    from hamkori.core.disclosure import protect
    from hamkori.kit.charts import Chart

    few_hidden = protect([[20, 30, 2, 40], [25, 40, 12, 33], [30, 22, 18, 50]], ["A", "B", "C"], list("wxyz"))
    chart = Chart.from_table(id="c", title="t", corner="", table=few_hidden)
    assert not chart.draws_totals and chart.has_suppressed
    drawn = [s["data"] for s in chart.data["series"]]
    assert drawn[2] == [None, None, 18], "the small count and the one protecting it are not drawn"
    assert all(v is None or v >= 5 for series in drawn for v in series)
    mostly_hidden = protect([[3, 1, 2], [2, 4, 1]], ["A", "B"], ["x", "y", "z"])
    chart = Chart.from_table(id="c", title="t", corner="", table=mostly_hidden)
    assert chart.data["series"][0]["data"] == [c.value for c in mostly_hidden.row_totals]


def test_districts_that_share_a_name_are_told_apart(programme: Any, place: Any) -> None:
    from django.utils import translation

    from hamkori.places.models import place_labels

    with translation.override("tg"):  # both are "Исфара" in Tajik
        labels = place_labels([place("TJ-SU-ISFARA"), place("TJ-SU-ISFARA-ISFARA"), place(VANJ)])
    assert labels[2] == "Ванҷ" and labels[0] != labels[1] and labels[0].startswith("Исфара (")


def test_the_chart_script_loads_only_where_there_are_charts(
    users: dict, programme: Any, client_for: Any, world: dict
) -> None:
    client = client_for(users[Role.STAFF])
    html = client.get(overview_url(programme)).content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert any("vendor/chartjs-4.6.1/chart.umd.min.js" in s and "defer" in s for s in scripts)
    assert any("hamkori/charts.js" in s and "defer" in s for s in scripts)
    for tag in scripts:  # CSP: no inline script; data only as JSON
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert html.count("chart.umd.min.js") == 1
    # Each canvas points at its table, which is always there; the drawing's box waits for JavaScript.
    for chart_id in ("all-stages", "all-drivers", "all-actions"):
        assert f'aria-describedby="{chart_id}-table"' in html
        assert f'id="{chart_id}-table"' in html
        assert f'data-chart="{chart_id}-data" hidden' in html
    home = client.get(reverse("programme_overview", args=[programme.code])).content.decode()
    assert "chart.umd.min.js" not in home


def test_names_in_charts_are_escaped(users: dict, programme: Any, client_for: Any, world: dict) -> None:
    Driver.objects.filter(programme=programme, code="recruitment").update(name_en="<script>alert(1)</script>")
    html = client_for(users[Role.STAFF]).get(overview_url(programme)).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the table
    assert "\\u003Cscript\\u003Ealert(1)" in html  # the chart's JSON
    assert chart_data(html, "all-drivers")["labels"][2] == "<script>alert(1)</script>"


def test_the_overview_works_in_tajik_and_russian(users: dict, programme: Any, client_for: Any, world: dict) -> None:
    for language in ("tg", "ru"):
        client = client_for(users[Role.DONOR])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get(overview_url(programme))
        assert response.status_code == 200
        assert f'<html lang="{language}">' in response.content.decode()


def test_the_vendored_chart_library_is_the_one_recorded() -> None:
    folder = Path(settings.BASE_DIR) / "hamkori" / "static" / "vendor" / "chartjs-4.6.1"
    source = (folder / "SOURCE").read_text()
    digest = hashlib.sha256((folder / "chart.umd.min.js").read_bytes()).hexdigest()
    assert f"sha256 {digest} as stored" in source
    assert "npm pack chart.js@4.6.1" in source
    assert (folder / "LICENSE").read_text().startswith("The MIT License")
    assert "sourceMappingURL" not in (folder / "chart.umd.min.js").read_text()[-200:]


# --- the home page ---------------------------------------------------------------------------------
def test_donor_home_links_to_the_overview(users: dict, programme: Any, client_for: Any) -> None:
    html = client_for(users[Role.DONOR]).get(reverse("programme_overview", args=[programme.code])).content.decode()
    assert 'id="concerns-overview"' in html
    assert f'href="{overview_url(programme)}"' in html
    assert reverse("concern_publish", args=[programme.code]) not in html
    staff = client_for(users[Role.STAFF]).get(reverse("programme_overview", args=[programme.code])).content.decode()
    assert reverse("concern_publish", args=[programme.code]) in staff
    member = client_for(users[Role.GROUP_MEMBER]).get(reverse("programme_overview", args=[programme.code]))
    assert 'id="concerns-overview"' not in member.content.decode()
