"""Security headers on every page, for anonymous and signed-in users; cookie flags; HSTS in production."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from hamkori.core.roles import Role


def pages(programme: Any) -> list[str]:
    return [
        reverse("home"),
        reverse("account_login"),
        reverse("account_reset_password"),
        reverse("place_list"),
        reverse("place_detail", args=["TJ-GB-VANJ"]),
        reverse("programme_overview", args=[programme.code]),
        reverse("audit_list", args=[programme.code]),
        reverse("user_list", args=[programme.code]),
        reverse("user_invite", args=[programme.code]),
        reverse("account_settings"),
        reverse("api_tokens"),
        reverse("mfa_index"),
        "/api/openapi.json",
        "/no-such-page/",
    ]


def check_headers(response: Any) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()}
    assert directives.get("default-src") == "default-src 'self'", csp
    assert directives.get("object-src") == "object-src 'none'", csp
    assert directives.get("base-uri") == "base-uri 'none'", csp
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", csp
    assert directives.get("script-src") == "script-src 'self'", csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("who", ["anonymous", Role.ADMIN])
def test_every_page_sends_the_security_headers(who: str, users: dict, programme: Any, client_for: Any) -> None:
    client = client_for(None if who == "anonymous" else users[who])
    for url in pages(programme):
        response = client.get(url)
        check_headers(response)


def test_pages_have_no_inline_script(users: dict, programme: Any, client_for: Any) -> None:
    client = client_for(users[Role.ADMIN])
    for url in pages(programme):
        html = client.get(url).content.decode()
        for tag in html.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert "src=" in head, (url, head)


def test_cookies_are_httponly_and_samesite(users: dict, programme: Any) -> None:
    client = Client()
    client.get(reverse("account_login"))
    response = client.post(
        reverse("account_login"), {"login": "member@test.example", "password": "correct-horse-battery-staple-7"}
    )
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    response = client.post(reverse("set_language"), {"language": "tg", "next": "/"})
    assert response.cookies["django_language"]["samesite"] == "Lax"


def test_signed_in_pages_are_not_cached(users: dict, programme: Any, client_for: Any) -> None:
    response = client_for(users[Role.ADMIN]).get(reverse("programme_overview", args=[programme.code]))
    assert "no-store" in response.headers["Cache-Control"]


def test_production_sends_hsts_and_secure_cookies() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE']='hamkori.config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAMKORI_", "DJANGO_SETTINGS_MODULE"))}
    env.update(
        HAMKORI_ENV="production",
        SECRET_KEY="Q9w8E7r6T5y4U3i2O1pA0sDfGhJkLzXcVbNm1234567890qwertyuiop",
        ALLOWED_HOSTS="h.example.org",
        HAMKORI_DATA_KEY="dGVzdC1rZXktZm9yLXRoZS1oYW1rb3JpLXRlc3RzLTA=",
        HAMKORI_VAR_DIR="/tmp/hamkori-prod-test",
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )
    assert out.stdout.split() == ["31536000", "True", "True", "True"], out.stderr
