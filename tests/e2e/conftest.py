from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from hamkori.accounts.totp import current_code
from tests.conftest import ensure_reference_data

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: Any) -> None:
    ensure_reference_data()


@pytest.fixture(scope="session")
def live_server(live_server: Any) -> Any:
    """pytest-django's live server, one request at a time when the test database is SQLite in memory.

    That database is one connection shared by the server's threads (an in-memory database cannot be opened
    twice), so two requests at once (a sum redrawn by a round trip while the form is sent) would both use it:
    "cannot start a transaction within a transaction" failed a CI run. A deployed server opens a connection per
    thread, and PostgreSQL tests keep the concurrency, so only this case is serialised."""
    if live_server.thread.connections_override:
        httpd = live_server.thread.httpd
        app = httpd.get_app()
        one_at_a_time = threading.Lock()

        def serialised(environ: dict, start_response: Callable) -> Iterable[bytes]:
            with one_at_a_time:
                response = app(environ, start_response)
                # Read the body (a file's, too) and finish the request (Django's request_finished) under the lock.
                body = list(response)
                response.close()
                return body

        httpd.set_app(serialised)
    return live_server


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    # Nothing may leave the server: fail any request to another host.
    outside: list[str] = []

    def guard(route: Any) -> None:
        if not route.request.url.startswith(live_server.url):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    yield page
    context.close()
    assert outside == [], f"requests left the server: {outside}"


#: Russian sign-in labels (allauth's translations): e-mail, password, the button, the one-time code.
RU_SIGN_IN = (re.compile("Адрес электронной почты|Эл. почта", re.I), "Пароль", "Войти", "Код")


def sign_in_ru(page: Page, email: str, password: str, totp_secret: str | None = None) -> None:
    """Sign in as a person does: the Russian switcher on the sign-in page, the address and password,
    then the authenticator's code when the account has one."""
    email_label, password_label, button, code_label = RU_SIGN_IN
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.get_by_label(email_label).fill(email)
    page.get_by_label(password_label).fill(password)
    page.get_by_role("button", name=button).click()
    if totp_secret:
        page.get_by_label(code_label).fill(current_code(totp_secret))
        page.get_by_role("button", name=button).click()
