"""Every page a user sees is in Tajik or Russian when they choose it, library pages included.

The pages are fetched through real HTTP requests (Django's test client) on the real database; the
language is chosen the way a person chooses it, with the language switcher (``/i18n/setlang/``).
The visible text is then searched for English left over: any run of three or more Latin letters
that is not a name in the test data or in the small, explicit allowlist below fails the test.
"""

from __future__ import annotations

import gettext as gettext_module
import re
import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hamkori.accounts.models import User
from hamkori.core import library_strings
from hamkori.core.roles import Role
from hamkori.places.models import Place
from hamkori.programmes.models import Programme
from tests.conftest import PASSWORD

LANGS = ["tg", "ru"]
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])

# Names that stay in Latin letters in every language: the product, currency and standard codes,
# and the acronyms Tajik and Russian use as they are. Keep this list short and explicit.
ALLOWED_WORDS = frozenset({"Hamkori", "USD", "TJS", "TOTP", "API", "htmx", "XLSX", "CSV"}) | {
    # Authenticator apps named on the second-factor set-up page: product names, the same in every language.
    "Google", "Authenticator", "Microsoft", "Aegis", "FreeOTP",
    # File formats named where files are uploaded and downloaded (events: minutes, sheets, photos).
    "PDF", "JPEG", "PNG", "WebP", "Word", "OpenDocument", "docx", "odt", "txt", "ICS",
}  # fmt: skip
# Organisation names in the test data (conftest.py) that have no Tajik or Russian form.
DATA_NAMES = ("Lawyers Association of Pamir", "Lead NGO", "Test Donor", "Vanj Police", "ASTI")
# Place codes such as TJ-GB-VANJ and e-mail addresses and URLs are data, not language.
DATA_PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),
    re.compile(r"https?://\S+"),
    re.compile(r"\bTJ(-[A-Z0-9]+)+\b"),
)
LATIN_RUN = re.compile(r"[A-Za-z]{3,}")
TAJIK_LETTERS = "ғӣқӯҳҷ"
VISIBLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
# <input> types whose value a person sees (a radio button's or checkbox's value is not shown).
SHOWN_INPUT_TYPES = {"text", "search", "email", "tel", "url", "number", "date", "submit", "button", "reset"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """What a person sees or hears: text, a few attributes, and button/input values.

    Skipped: <script>, <style> and <code> (machine identifiers such as audit actions) and any
    element marked as being in English (``lang="en"``: the language switcher's "English", a
    place's English name shown as such)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []

    def _skipping(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        skip = tag in {"script", "style", "code"} or a.get("lang", "").startswith("en")
        if not skip and not self._skipping():
            self.parts.extend(v for k, v in a.items() if k in VISIBLE_ATTRIBUTES)
            shown = tag == "button" or (tag == "input" and a.get("type", "text") in SHOWN_INPUT_TYPES)
            if shown and "value" in a:
                self.parts.append(a["value"])
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def english_left(text: str, data: tuple[str, ...] = ()) -> list[str]:
    """The Latin words in ``text`` once data (names, codes, addresses, ``data``) is taken out."""
    for name in sorted((*DATA_NAMES, *data), key=len, reverse=True):
        text = text.replace(name, " ")
    for pattern in DATA_PATTERNS:
        text = pattern.sub(" ", text)
    return sorted({w for w in LATIN_RUN.findall(text) if w not in ALLOWED_WORDS})


def client_in(lang: str, user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.post(reverse("set_language"), {"language": lang, "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == lang
    return client


def get_page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    assert response["Content-Type"].lower().replace(" ", "") == "text/html;charset=utf-8"
    return response.content.decode("utf-8")


def assert_no_english(url: str, html: str, lang: str, data: tuple[str, ...] = ()) -> None:
    assert f'<html lang="{lang}">' in html, f"{url} is not served in {lang}"
    text = visible_text(html)
    left = english_left(text, data)
    assert not left, f"{url} in {lang} still shows English: {left}\n--- visible text ---\n{text}"


# --- (a) every page, in Tajik and in Russian ---------------------------------------------------
PUBLIC_PAGES: list[tuple[str, Callable[[], str]]] = [
    ("home", lambda: reverse("home")),
    ("sign-in", lambda: reverse("account_login")),
    ("password reset", lambda: reverse("account_reset_password")),
    ("password reset sent", lambda: reverse("account_reset_password_done")),
    ("places", lambda: reverse("place_list")),
    ("place (district)", lambda: reverse("place_detail", args=["TJ-GB-VANJ"])),
    ("place search, nothing found", lambda: reverse("place_list") + "?q=Ҷҷҷғғғ"),
]


def place_aliases(*codes: str) -> tuple[str, ...]:
    """A place's other and former names are data, in whatever script they were recorded."""
    return tuple(alias for place in Place.objects.filter(code__in=codes) for alias in place.aliases)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("name", "url"), PUBLIC_PAGES, ids=[n for n, _ in PUBLIC_PAGES])
def test_public_pages_have_no_english_left(db: Any, programme: Programme, lang: str, name: str, url: Any) -> None:
    client = client_in(lang)
    assert_no_english(url(), get_page(client, url()), lang, place_aliases("TJ-GB-VANJ"))


ADMIN_PAGES: list[tuple[str, Callable[[Programme], str]]] = [
    ("home", lambda p: reverse("home") + "?stay=1"),
    ("programme overview", lambda p: reverse("programme_overview", args=[p.code])),
    ("account settings", lambda p: reverse("account_settings")),
    ("change password", lambda p: reverse("account_change_password")),
    ("sign out", lambda p: reverse("account_logout")),
    ("two-factor authentication", lambda p: reverse("mfa_index")),
    ("audit log", lambda p: reverse("audit_list", args=[p.code])),
    ("users", lambda p: reverse("user_list", args=[p.code])),
    ("places", lambda p: reverse("place_list")),
    ("place (region)", lambda p: reverse("place_detail", args=["TJ-GB"])),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("name", "url"), ADMIN_PAGES, ids=[n for n, _ in ADMIN_PAGES])
def test_signed_in_pages_have_no_english_left(
    users: dict[str, User], programme: Programme, lang: str, name: str, url: Any
) -> None:
    client = client_in(lang, users[Role.ADMIN])
    # The programme's code and its title as it was recorded (test data, in English) show in the audit log's details.
    data = (*place_aliases("TJ-GB"), programme.code, programme.title_en)
    assert_no_english(url(programme), get_page(client, url(programme)), lang, data)


@pytest.mark.parametrize("lang", LANGS)
def test_totp_activation_page_has_no_english_left(users: dict[str, User], lang: str) -> None:
    """allauth's page, rendered in our layout: a user without a second factor sets one up."""
    client = client_in(lang, users["outsider"])
    url = reverse("mfa_activate_totp")
    response = client.get(url)
    if response.status_code == 302:  # allauth asks for the password again first: that page too
        reauth_url = response["Location"]
        assert_no_english(reauth_url, get_page(client, reauth_url), lang)
        done = client.post(reauth_url, {"password": PASSWORD})
        assert done.status_code == 302, done.content.decode()
    html = get_page(client, url)
    # The key is shown in blocks of four (typed by hand on a phone) and inside the otpauth:// link.
    secret = re.search(r"otpauth://totp/[^\"]*[?&](?:amp;)?secret=([A-Z2-7]+)", html)
    assert secret, "the TOTP activation page shows no secret"
    blocks = tuple(secret.group(1)[i : i + 4] for i in range(0, len(secret.group(1)), 4))
    assert_no_english(url, html, lang, data=(secret.group(1), *blocks))


# --- (b), (c) messages from the libraries, in Tajik --------------------------------------------
def tajik(message: str) -> str:
    with translation.override("tg"):
        translated = translation.gettext(message)
    assert translated != message and any(ch in translated for ch in "аеиоуӯӣ"), f"no Tajik for {message!r}"
    return translated


def test_wrong_password_shows_the_tajik_message(users: dict[str, User]) -> None:
    client = client_in("tg")
    response = client.post(reverse("account_login"), {"login": "member@test.example", "password": "not-the-password"})
    assert response.status_code == 200
    html = response.content.decode("utf-8")
    expected = tajik("The email address and/or password you specified are not correct.")
    assert expected == "Суроғаи почтаи электронӣ ва/ё пароле, ки шумо ворид кардед, нодуруст аст."
    assert expected in html
    assert "not correct" not in html
    assert_no_english("sign-in with a wrong password", html, "tg")


def test_empty_sign_in_form_shows_django_errors_in_tajik(db: Any) -> None:
    client = client_in("tg")
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    assert response.status_code == 200
    html = response.content.decode("utf-8")
    required = tajik("This field is required.")
    assert html.count(required) >= 2, visible_text(html)  # e-mail address and password
    assert "This field is required." not in html
    assert_no_english("empty sign-in form", html, "tg")


def test_invalid_email_shows_django_error_in_tajik(db: Any) -> None:
    client = client_in("tg")
    response = client.post(reverse("account_login"), {"login": "почта", "password": "x"})
    html = response.content.decode("utf-8")
    assert tajik("Enter a valid email address.") in html
    assert_no_english("sign-in with an invalid address", html, "tg")


# --- (d) the Tajik letters survive the whole way to the browser --------------------------------
def test_tajik_letters_arrive_intact(db: Any) -> None:
    client = client_in("tg")
    html = get_page(client, reverse("home")) + get_page(client, reverse("account_login"))
    for letter in TAJIK_LETTERS:
        assert letter in html, f"{letter!r} (U+{ord(letter):04X}) is missing from the Tajik pages"
    assert unicodedata.normalize("NFC", html) == html
    assert "\u0304" not in html and "\u0306" not in html, "a Tajik letter is written with a combining mark"
    assert "Ворид шудан" in html and "Суроғаи почтаи электронӣ" in html and "Парол" in html


# --- the catalogues themselves ---------------------------------------------------------------
def catalogue(lang: str) -> dict[Any, str]:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo").open("rb") as fh:
        return gettext_module.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", LANGS)
def test_every_library_string_is_translated(lang: str) -> None:
    """Each msgid listed in hamkori/core/library_strings.py has our translation (ours comes first)."""
    missing = [s for s in library_strings.LIBRARY_STRINGS if not catalogue(lang).get(s)]
    assert not missing, f"not translated in {lang}: {missing}"
    with translation.override(lang):
        assert translation.gettext("This field is required.") == catalogue(lang)["This field is required."]


GLOSSARY = {
    "Sign in": ("Ворид шудан", "Войти"),
    "Sign out": ("Баромадан", "Выйти"),
    "Email address": ("Суроғаи почтаи электронӣ", "Адрес электронной почты"),
    "Password": ("Парол", "Пароль"),
    "Code": ("Рамз", "Код"),
    "Two-factor sign-in": ("Воридшавии дуомила", "Двухфакторный вход"),
    "Overview": ("Шарҳи умумӣ", "Обзор"),
    "Places": ("Маҳалҳо", "Населённые пункты"),
    "Audit log": ("Феҳристи аудит", "Журнал аудита"),
    "Country": ("Кишвар", "Страна"),
    "Region": ("Вилоят", "Область"),
    "District": ("Ноҳия", "Район"),
    "City": ("Шаҳр", "Город"),
    "Jamoat": ("Ҷамоат", "Джамоат"),
    "Town": ("Шаҳрак", "Посёлок"),
    "Village": ("Деҳа", "Село"),
    "Mahalla": ("Маҳалла", "Махалля"),
    "Programme administrator": ("Маъмури барнома", "Администратор программы"),
    "Programme staff": ("Кормандони барнома", "Сотрудник программы"),
    "Partner facilitator": ("Фасилитатори шарик", "Фасилитатор партнёра"),
    "Working-group member": ("Аъзои гурӯҳи корӣ", "Член рабочей группы"),
    "Police or authority liaison": ("Намояндаи милитсия ё мақомот", "Контактное лицо милиции или власти"),
    "Donor or evaluator": ("Донор ё арзёб", "Донор или оценщик"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_glossary_terms(lang: str) -> None:
    """Browser tests and documentation rely on these exact words."""
    cat = catalogue(lang)
    wrong = {k: cat.get(k) for k, v in GLOSSARY.items() if cat.get(k) != v[LANGS.index(lang)]}
    assert not wrong, wrong


# Latin words a translation may keep: product, format and technical names, and what HTTP requires
# verbatim. Example codes written in the message (``tj-community-security``) are data.
ALLOWED_IN_TRANSLATIONS = ALLOWED_WORDS | {"Django", "KoboToolbox", "Authorization", "Bearer", "Excel", "CSV", "UTF"}
EXAMPLE_CODE = re.compile(r"\.xlsx|\.csv|\b[a-z0-9]+(?:-[a-z0-9]+)+\b")


@pytest.mark.parametrize("lang", LANGS)
def test_translations_are_not_english(lang: str) -> None:
    """No msgstr is an English string copied over: placeholders and markup aside, Latin words
    are only the allowed names."""
    offenders = {}
    for msgid, msgstr in catalogue(lang).items():
        if not msgid:
            continue
        text = EXAMPLE_CODE.sub(" ", re.sub(r"%\(\w+\)[sd]|%[sd]|\{\w+\}|<[^>]+>", " ", msgstr))
        left = [w for w in LATIN_RUN.findall(text) if w not in ALLOWED_IN_TRANSLATIONS]
        if left:
            offenders[msgid] = left
    assert not offenders, offenders
