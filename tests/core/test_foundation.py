"""The foundation: settings modes, the console script, the places tree, programmes and the shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hamkori.core.models import AuditEvent
from hamkori.places import loader
from hamkori.places.models import Place
from hamkori.places.services import places_import
from hamkori.programmes import services as programmes

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("HAMKORI_", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"))
    }
    clean.pop("DATABASE_URL", None)
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


SETUP = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','hamkori.config.settings'); django.setup(); print('started')"
GOOD_PROD = {
    "HAMKORI_ENV": "production",
    "SECRET_KEY": "x7Gq2vN9pL4mR8sT1wY6zB3cD5fH0jK7aE2iO9uQ4rS6tV8xZ1nM3bC5dF7gH9jL",
    "ALLOWED_HOSTS": "hamkori.example.org",
    "HAMKORI_DATA_KEY": "dGVzdC1rZXktZm9yLXRoZS1oYW1rb3JpLXRlc3RzLTA=",
    "HAMKORI_VAR_DIR": "/tmp/hamkori-prod-test",
}


@pytest.mark.parametrize(
    ("missing", "message"),
    [("SECRET_KEY", "SECRET_KEY"), ("ALLOWED_HOSTS", "ALLOWED_HOSTS"), ("HAMKORI_DATA_KEY", "HAMKORI_DATA_KEY")],
)
def test_production_refuses_to_start_without_real_secrets(missing: str, message: str) -> None:
    env = {k: v for k, v in GOOD_PROD.items() if k != missing}
    result = run_python(SETUP, **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_the_development_secret_key() -> None:
    result = run_python(SETUP, **{**GOOD_PROD, "SECRET_KEY": "django-insecure-hamkori-development-only"})
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_passes_check_deploy_without_warnings() -> None:
    result = run_python(
        "import sys; from hamkori.cli import main; sys.argv=['hamkori','check','--deploy','--fail-level','WARNING']; main()",
        **GOOD_PROD,
        DATABASE_URL="sqlite:////tmp/hamkori-prod-test/db.sqlite3",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_console_script_passes_commands_through() -> None:
    result = run_python("from hamkori.cli import main; main(['load-places', '--help'])", HAMKORI_ENV="test")
    assert result.returncode == 0, result.stderr
    assert "tajikistan.csv" in result.stdout


def test_sqlite_runs_in_wal_with_full_sync(db: object) -> None:
    if connection.vendor != "sqlite":
        assert connection.vendor == "postgresql"
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


# --- Places --------------------------------------------------------------------------------------
def test_places_cover_regions_districts_and_programme_jamoats(db: object) -> None:
    regions = set(Place.objects.filter(level="region").values_list("name_en", flat=True))
    assert regions == {
        "Sughd Region",
        "Khatlon Region",
        "Gorno-Badakhshan Autonomous Region",
        "Districts of Republican Subordination",
        "Dushanbe",
    }
    vanj = Place.objects.get(code="TJ-GB-VANJ")
    assert (vanj.name_tg, vanj.name_ru, vanj.name_en) == ("Ванҷ", "Ванч", "Vanj")
    jamoats = set(Place.objects.within(vanj).filter(level="jamoat").values_list("code", flat=True))
    assert "TJ-GB-VANJ-ROVAND" in jamoats and len(jamoats) == 6
    for code in ["TJ-KT-HAMADONI", "TJ-SU-ISFARA", "TJ-KT-KUSHONIYON", "TJ-RA-NUROBOD"]:
        assert Place.objects.within(Place.objects.get(code=code)).exclude(code=code).exists(), code
    kushoniyon = Place.objects.get(code="TJ-KT-KUSHONIYON")
    assert "Bokhtar District (until 2018)" in kushoniyon.aliases
    assert kushoniyon.valid_from_display == "2018"


def test_place_search_meets_former_names_and_scripts(client: object, db: object) -> None:
    response = client.get(reverse("place_list"), {"q": "Bokhtar District"})  # type: ignore[attr-defined]
    assert "TJ-KT-KUSHONIYON" in response.content.decode()
    response = client.get(reverse("place_list"), {"q": "Ванҷ"})  # type: ignore[attr-defined]
    assert "TJ-GB-VANJ" in response.content.decode()
    response = client.get(reverse("place_list"), {"q": "Vanch"})  # type: ignore[attr-defined]
    assert "TJ-GB-VANJ" in response.content.decode()


def test_another_countrys_places_load_from_the_same_format(db: object) -> None:
    csv = (
        "code,level,parent_code,name_tg,name_ru,name_en,aliases,valid_from,valid_to,source\n"
        "KG,country,,Қирғизистон,Киргизия,Kyrgyzstan,Kyrgyz Republic,,,general\n"
        "KG-B,region,KG,Вилояти Боткен,Баткенская область,Batken Region,,1999,,general\n"
        "KG-B-LEYLEK,district,KG-B,Лайлак,Лейлекский район,Leylek,,,,general\n"
    )
    result = places_import(actor=None, source=csv, label="kg.csv")
    assert (result.created, result.updated) == (3, 0)
    assert Place.objects.get(code="KG-B-LEYLEK").path == "/KG/KG-B/KG-B-LEYLEK/"
    again = places_import(actor=None, source=csv, label="kg.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.filter(action="places.import").count() == 2


def test_a_bad_places_file_loads_nothing_and_says_which_rows(db: object) -> None:
    before = Place.objects.count()
    csv = (
        "code,level,parent_code,name_tg,name_ru,name_en,aliases,valid_from,valid_to,source\n"
        "XX,country,,Иксия,Иксия,Xland,,,,\n"
        "XX-A,planet,XX,А,А,A,,,,\n"
        "XX-B,region,NOPE,Б,Б,B,,,,\n"
        "XX-C,region,XX,В,В,C,,31-12-2000,,\n"
    )
    with pytest.raises(loader.PlacesFileError) as excinfo:
        places_import(actor=None, source=csv)
    rows = {n for n, _ in excinfo.value.errors}
    assert rows == {3, 4, 5}
    assert Place.objects.count() == before
    assert not Place.objects.filter(code="XX").exists()


# --- Programmes ----------------------------------------------------------------------------------
def test_programme_dates_and_budget_are_validated(programme: object, orgs: dict) -> None:
    import datetime as dt
    from decimal import Decimal

    with pytest.raises(ValidationError) as excinfo:
        programmes.programme_create(
            actor=None,
            code="bad",
            title_en="Bad",
            lead_organisation=orgs["lead"],
            budget=Decimal("-1"),
            start_date=dt.date(2020, 1, 2),
            end_date=dt.date(2020, 1, 1),
        )
    assert set(excinfo.value.message_dict) == {"budget", "end_date"}
    from hamkori.programmes.models import Programme

    assert not Programme.objects.filter(code="bad").exists()


def test_partner_can_only_cover_programme_locations(programme: object, orgs: dict, place: object) -> None:
    with pytest.raises(ValidationError):
        programmes.programme_set_partner(
            actor=None,
            programme=programme,
            organisation=orgs["lap"],
            places=[place("TJ-KT-HAMADONI")],  # type: ignore[operator]
        )


def test_overview_shows_locations_partners_budget_and_time(users: dict, client_for: object, programme: object) -> None:
    client = client_for(users["donor"])  # type: ignore[operator]
    url = reverse("programme_overview", args=[programme.code])  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vanj" in html and "Isfara" in html
    assert "Lawyers Association of Pamir" in html
    assert "1,000 USD" in html or "1 000 USD" in html
    assert "The programme ended on" in html
    # 14 for the facts, and the donor's results on the home (groups, balance rules): constant in
    # the number of groups (tests/test_home.py).
    assert len(queries) <= 15, [q["sql"] for q in queries.captured_queries]


def test_overview_query_count_does_not_grow_with_locations(
    users: dict, client_for: object, programme: object, place: object
) -> None:
    client = client_for(users["admin"])  # type: ignore[operator]
    url = reverse("programme_overview", args=[programme.code])  # type: ignore[attr-defined]
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    codes = ["TJ-GB-VANJ", "TJ-SU-ISFARA", "TJ-KT-HAMADONI", "TJ-RA-NUROBOD", "TJ-KT-KUSHONIYON", "TJ-SU-ISFARA-ISFARA"]
    programmes.programme_set_locations(actor=None, programme=programme, places=[place(c) for c in codes])  # type: ignore[operator]
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.content.decode().count('<th scope="row">') == 6
    assert len(large) == len(small)


def test_outsider_gets_404_for_a_programme(users: dict, client_for: object, programme: object) -> None:
    response = client_for(users["outsider"]).get(reverse("programme_overview", args=[programme.code]))  # type: ignore[operator, attr-defined]
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="programme.view.denied", actor=users["outsider"]).exists()


def test_anonymous_is_sent_to_sign_in(client: object, programme: object) -> None:
    response = client.get(reverse("programme_overview", args=[programme.code]))  # type: ignore[attr-defined]
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_services_write_audit_events(programme: object) -> None:
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"programme.create", "programme.locations", "programme.partner", "organisation.create"} <= actions


def test_audit_events_cannot_be_changed(programme: object) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
