"""The access matrix: every URL pattern's view declares who may reach it, and each role gets exactly
that (200 / 403 / 404 / sign-in).

A programme page declares an action (``@programme_view(action=...)``); the expected answer for each
role is generated from the permission registry (``decide(user, action, programme)``), so the page and
the registry cannot disagree (docs/adr/0007-layers.md)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from hamkori.access.policy import decide, registered_actions
from hamkori.core.roles import Role
from hamkori.core.views_access import LIBRARY_VIEWS, SELF_AUTHORISING_NAMESPACES, ViewAccess


def all_patterns(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> list[tuple[str, str, Any]]:
    found = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            found += all_patterns(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            found.append(
                (prefix + str(p.pattern), f"{namespace}:{p.name}" if namespace else (p.name or ""), p.callback)
            )
    return found


def declared(name: str, callback: Any) -> ViewAccess | None:
    return getattr(callback, "hamkori_access", None) or LIBRARY_VIEWS.get(name)


def test_every_view_is_declared_in_the_access_matrix() -> None:
    undeclared = [
        (route, name)
        for route, name, callback in all_patterns()
        if declared(name, callback) is None and name.split(":")[0] not in SELF_AUTHORISING_NAMESPACES
    ]
    assert undeclared == [], f"views missing from the access matrix: {undeclared}"


def test_matrix_has_no_stale_library_entries() -> None:
    names = {name for _route, name, _cb in all_patterns()}
    assert set(LIBRARY_VIEWS) - names == set()


#: Pages under /p/<code>/ reachable with GET and no object id (those are covered per app).
PROGRAMME_PAGES = [
    (name, callback.hamkori_access, route)
    for route, name, callback in all_patterns()
    if getattr(callback, "hamkori_access", None) is not None
    and callback.hamkori_access.programme
    and "<int:" not in route
]
EXAMPLE_ARGS = {"fmt": "csv"}


def url_for(name: str, route: str, code: str) -> str:
    extra = [EXAMPLE_ARGS[p] for p in re.findall(r"<(?:\w+:)?(\w+)>", route) if p != "code"]
    return reverse(name, args=[code, *extra])


@pytest.mark.parametrize(("name", "access", "route"), PROGRAMME_PAGES, ids=[n for n, _a, _r in PROGRAMME_PAGES])
@pytest.mark.parametrize("who", [*Role.values, "outsider", "anonymous"])
def test_each_role_gets_what_the_matrix_says(
    name: str, access: ViewAccess, route: str, who: str, users: dict, programme: Any, client_for: Any
) -> None:
    client = client_for(None if who == "anonymous" else users[who])
    response = client.get(url_for(name, route, programme.code))
    if who == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif who == "outsider":
        assert response.status_code == 404
    else:
        decision = decide(users[who], access.action, programme)
        if decision:
            assert response.status_code == 200, response.content[:500]
        else:
            assert response.status_code == 403
            assert str(decision.reason) in response.content.decode()  # the registry's reason, shown


def test_programme_pages_declare_a_registered_action() -> None:
    unknown = [
        (name, access.action) for name, access, _route in PROGRAMME_PAGES if access.action not in registered_actions()
    ]
    assert unknown == []
    objects = [
        (name, callback.hamkori_access.action)
        for route, name, callback in all_patterns()
        if getattr(callback, "hamkori_access", None) is not None
        and callback.hamkori_access.programme
        and callback.hamkori_access.action not in registered_actions()
    ]
    assert objects == []


def test_programme_pages_of_an_unknown_code_answer_404(users: dict, client_for: Any) -> None:
    client = client_for(users[Role.ADMIN])
    for name, _access, route in PROGRAMME_PAGES:
        assert client.get(url_for(name, route, "no-such-programme")).status_code == 404


def test_public_pages_answer_anonymous(client: Any, db: Any) -> None:
    for route, name, callback in all_patterns():
        access = declared(name, callback)
        if access and access.public and "<" not in route and "(?P" not in route and name not in {"account_logout"}:
            response = client.get("/" + route)
            assert response.status_code in (200, 302, 405), (route, response.status_code)


#: Example values of the parameters of public pages (what each page shows is tested with the page).
PUBLIC_EXAMPLE_ARGS = {
    "token": "no-such-invitation",
    "code": "TJ-GB-VANJ",
    "programme_code": "test-prog",
    "district_code": "TJ-GB-VANJ",
    "secret": "no-such-calendar-address",
    "key": "00000000-0000-4000-8000-000000000000",  # a call's public key (grants: /apply/<key>/)
}


def test_public_pages_with_parameters_answer_anonymous(client: Any, programme: Any) -> None:
    """Public pages whose address carries values (a place, a programme's public page): answered
    to anyone, never a sign-in page or a server error (404 for what is not published, 410 for an
    invitation that is gone)."""
    for route, name, callback in all_patterns():
        access = declared(name, callback)
        if not (access and access.public and "<" in route) or "(?P" in route:
            continue
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        missing = [p for p in params if p not in PUBLIC_EXAMPLE_ARGS]
        assert not missing, f"give {route} example values in PUBLIC_EXAMPLE_ARGS: {missing}"
        response = client.get(reverse(name, kwargs={p: PUBLIC_EXAMPLE_ARGS[p] for p in params}))
        assert response.status_code in (200, 302, 404, 410), (route, response.status_code)
        if response.status_code == 302:
            assert "/accounts/login/" not in response["Location"], route


def test_signed_in_pages_send_anonymous_to_sign_in(client: Any, db: Any) -> None:
    for route, name, callback in all_patterns():
        access = declared(name, callback)
        if access and not access.public and not access.programme and "<" not in route and "(?P" not in route:
            response = client.get("/" + route)
            assert response.status_code == 302 and "login" in response["Location"], (route, response.status_code)
