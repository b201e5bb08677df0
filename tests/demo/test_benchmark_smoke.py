"""The scale benchmark (benchmarks/people_scale.py) at a tiny size, inside the test database: its
bulk build makes real vault rows that vault_search finds, list pages need the same number of
queries at both sizes, and the report has what the README describes."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.people_scale import (
    build,
    choose_targets,
    compare,
    measure,
    notes,
    other_script,
    pages,
    problems,
)
from hamkori.core.text import name_key
from hamkori.demo.services import build_demo
from hamkori.grants.models import Application
from hamkori.groups.models import Membership
from hamkori.people.models import Person
from hamkori.vault.models import NameToken, VaultRecord

pytestmark = pytest.mark.slow

PAGES = {
    "people_list",
    "people_list_page_200",
    "people_by_district",
    "people_by_sector",
    "people_by_group",
    "people_search",
    "group_list",
    "group_detail_large",
    "api_people",
    "api_groups",
}


def test_other_script_keeps_the_name_key() -> None:
    for name in ["Ҷамшед Раҳимов", "Джамшед Рахимов", "Jamshed Rakhimov", "Ғафурова Сурайё", "Ma'rufova Oysha"]:
        other, crossed = other_script(name)
        assert crossed and other != name
        assert name_key(other) == name_key(name)


def test_benchmark_build_and_measure_at_a_tiny_size(db: Any) -> None:
    build_demo()
    demo_people = Person.objects.count()

    first = build(people=30, groups=2)
    assert first["people"] == 30 and first["groups"] == 2 and first["memberships"] > 0
    targets = choose_targets()
    assert set(pages(targets, "staff")) == PAGES
    small = measure(targets, timings=False)

    second = build(people=270, groups=18)
    assert Person.objects.count() == demo_people + 300
    assert Membership.objects.filter(group__name__contains="№").count() == first["memberships"] + second["memberships"]
    # Every living person has a sealed record and a blind index, as vault_put would write them.
    # (The demo's grant applications keep their contact people in the vault too: only people's records count.)
    living = Person.objects.filter(deidentified_at__isnull=True).count()
    contacts = Application.objects.filter(contact_key__isnull=False).count()
    assert VaultRecord.objects.count() == living + contacts
    assert NameToken.objects.values("record").distinct().count() == living + contacts

    large = measure(targets, repeats=2, search_samples=40)
    assert set(large) == {"sizes", "query_counts", "timings_ms", "search", "api_groups"}
    assert large["sizes"]["people"] == demo_people + 300

    counts = compare(small["query_counts"], large["query_counts"])
    assert set(counts) == {"staff", "partner"}
    for role, rows in counts.items():
        assert set(rows) == PAGES, role
        assert set(large["timings_ms"][role]) == PAGES, role
        for page, row in rows.items():
            assert row["same"], (role, page, row)
            assert large["timings_ms"][role][page]["n"] >= 2

    search = large["search"]
    assert search["samples"] == 40
    assert search["searched_in_other_script"] >= 30  # demo names outside the lists stay as stored
    assert search["hit_rate"] == 1.0 and search["page_hit_rate"] == 1.0, search["missed"]
    for key in ("vault_search_ms", "people_page_ms", "people_rows_htmx_ms"):
        assert {"n", "median", "p95", "max"} <= set(search[key]), key
    assert set(search["median_under_limit"]) == {"vault_search", "people_page", "people_rows_htmx"}
    assert large["api_groups"]["of"] == 6 + 20 and 0 < large["api_groups"]["count"] <= 6 + 20

    report = {"query_counts": counts, **{k: large[k] for k in ("timings_ms", "search", "api_groups")}}
    assert problems(report) == []
    assert all(isinstance(note, str) for note in notes(report))
