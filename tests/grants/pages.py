"""Helpers of the calls and applications page tests (test_call_pages, test_application_pages, test_public_apply)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from hamkori.core.roles import Role
from tests import factories


def url(name: str, programme: Any, *args: Any) -> str:
    return reverse(name, args=[programme.code, *args])


def make_adversaries(make_user: Any, programme: Any, orgs: dict, place: Any) -> dict[str, Any]:
    """Those who must neither read nor change LAP's Vanj applications or the lead's calls: ASTI's partner in
    Isfara, ASTI's partner given Vanj too (so only the organisation boundary holds her back), an admin of
    another programme (same lead organisation, same district), and an anonymous visitor."""
    other = factories.programme(
        code="other-prog",
        title_en="Other programme",
        title_ru="Другая программа",
        title_tg="Барномаи дигар",
        lead=orgs["lead"],
        locations=[place("TJ-GB-VANJ")],
        partners=[(orgs["lap"], [place("TJ-GB-VANJ")])],
    )
    return {
        "asti_isfara": make_user(
            "asti-isfara@test.example",
            programme=programme,
            role=Role.PARTNER,
            organisation=orgs["asti"],
            places=[place("TJ-SU-ISFARA")],
        ),
        "asti_vanj": make_user(
            "asti-vanj@test.example",
            programme=programme,
            role=Role.PARTNER,
            organisation=orgs["asti"],
            places=[place("TJ-GB-VANJ")],
        ),
        "other_admin": make_user(
            "other-admin@test.example", programme=other, role=Role.ADMIN, organisation=orgs["lead"]
        ),
        "other_programme": other,
    }


def errors_in(html: str) -> bool:
    return 'class="error-summary"' in html
