"""Security review, findings 11 and 12: the audit log is append-only in the database and chained
by hashes; the API answers bad input with a 4xx in its one error format; an unset HAMKORI_ENV
refuses to start; the API schema needs a signed-in user.

Real database (SQLite and PostgreSQL), state built through the services, real HTTP through
Django's client; the start-up behaviour through a Python subprocess with a clean environment."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from hamkori.accounts.models import User
from hamkori.accounts.services import api_token_create
from hamkori.core.audit import record
from hamkori.core.models import AuditEvent
from hamkori.core.roles import Role
from hamkori.programmes.models import Programme

ROOT = Path(__file__).resolve().parents[2]
TABLE = "core_auditevent"
ERROR_KEYS = {"code", "detail", "errors"}


def bearer(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=user, name='t')[1]}")


def raw(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@contextmanager
def refused() -> Iterator[None]:
    """The statement inside fails in the database (in a savepoint, so the test goes on)."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        yield


@contextmanager
def triggers_dropped() -> Iterator[None]:
    """What someone with the database's owner rights could do: switch the guard off (inside the
    test's transaction, so it comes back afterwards)."""
    if connection.vendor == "postgresql":
        raw("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks may hold the table
        raw(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    else:
        raw("DROP TRIGGER core_auditevent_no_update")
        raw("DROP TRIGGER core_auditevent_no_delete")
    yield


def verify_chain() -> Any:
    from hamkori.core.audit import verify_chain

    return verify_chain()


def events(programme: Programme, n: int = 3) -> list[AuditEvent]:
    for i in range(n):
        record(actor=None, action=f"test.event{i}", obj=programme, summary={"i": i, "name": "Ҷамшед"})
    return list(AuditEvent.objects.order_by("id"))


# --- Finding 11: the audit log in the database ------------------------------------------------------
def test_the_database_refuses_to_change_or_delete_an_audit_event(programme: Programme, settings: Any) -> None:
    settings.HAMKORI_AUDIT_ALLOW_FLUSH = False  # as outside the test-suite
    event = events(programme)[1]
    with refused():
        raw("UPDATE core_auditevent SET action = %s WHERE id = %s", ["rewritten", event.pk])
    with refused():
        raw("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_the_database_refuses_to_empty_the_audit_table(programme: Programme, settings: Any) -> None:
    """TRUNCATE on PostgreSQL (allowed only to the test-suite's flush, by a session setting), a
    DELETE of every row on SQLite (allowed only while the test-suite's flush asks)."""
    events(programme)
    settings.HAMKORI_AUDIT_ALLOW_FLUSH = False
    if connection.vendor == "postgresql":
        raw("SET LOCAL hamkori.allow_audit_truncate = 'off'")
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        with refused():
            raw(f"TRUNCATE {TABLE} CASCADE")
    else:
        with refused():
            raw("DELETE FROM core_auditevent")
    assert AuditEvent.objects.count() >= 3


def test_each_event_carries_the_hash_of_the_one_before(programme: Programme) -> None:
    chain = events(programme)
    assert chain[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(chain):
        assert len(after.hash) == 64 and after.prev_hash == before.hash
    assert len({e.hash for e in chain}) == len(chain)


def test_audit_verify_passes_a_clean_chain(programme: Programme, capsys: Any) -> None:
    chain = events(programme)
    result = verify_chain()
    assert result.ok and result.checked == len(chain) and result.broken_at is None
    call_command("audit_verify")
    assert f"{len(chain)}" in capsys.readouterr().out


def test_audit_verify_finds_an_edited_event(programme: Programme) -> None:
    event = events(programme)[2]
    with triggers_dropped():
        raw("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["someone else", event.pk])
    result = verify_chain()
    assert not result.ok and result.broken_at == event.pk
    with pytest.raises(CommandError, match=f"#{event.pk}") as exc:
        call_command("audit_verify")
    assert exc.value.returncode != 0


def test_audit_verify_finds_a_deleted_event(programme: Programme) -> None:
    chain = events(programme)
    gone, following = chain[1], chain[2]
    with triggers_dropped():
        raw("DELETE FROM core_auditevent WHERE id = %s", [gone.pk])
    result = verify_chain()
    assert not result.ok and result.broken_at == following.pk
    with pytest.raises(CommandError, match=f"#{following.pk}"):
        call_command("audit_verify")


def test_audit_verify_finds_a_rewritten_hash(programme: Programme) -> None:
    """Recomputing one event's hash after editing it breaks the link to the next one."""
    chain = events(programme)
    with triggers_dropped():
        raw("UPDATE core_auditevent SET hash = %s WHERE id = %s", ["f" * 64, chain[1].pk])
    assert verify_chain().broken_at == chain[1].pk


def test_audit_writers_are_serialised(programme: Programme) -> None:
    """The chain head is read under a lock held to the end of the writer's transaction: on
    PostgreSQL a transaction-scoped advisory lock, on SQLite the write lock every transaction
    takes at BEGIN IMMEDIATE."""
    with transaction.atomic():
        record(actor=None, action="test.locked", obj=programme)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
                assert cursor.fetchone()[0] == 1
        else:
            assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
            assert connection.in_atomic_block
    assert verify_chain().ok


# --- Finding 12 (a): bounded integers, one error format ---------------------------------------------
HUGE = "14307131840111919104"


@pytest.mark.parametrize("path", ["/api/groups/", "/api/people/"])
@pytest.mark.parametrize("param", ["offset", "limit"])
def test_a_huge_offset_or_limit_answers_422_in_the_error_format(
    path: str, param: str, programme: Programme, users: dict[str, User]
) -> None:
    response = bearer(users[Role.STAFF]).get(path, {"programme": programme.code, param: HUGE})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == ERROR_KEYS and body["code"] == "invalid"
    assert list(body["errors"]) == [param] and all(isinstance(m, str) for m in body["errors"][param])


@pytest.mark.parametrize("path", ["/api/groups/99999999999999999999999", "/api/people/99999999999999999999"])
def test_a_huge_id_answers_422(path: str, users: dict[str, User]) -> None:
    response = bearer(users[Role.STAFF]).get(path)
    assert response.status_code == 422 and set(response.json()) == ERROR_KEYS


def test_a_nul_character_answers_400_on_both_databases(programme: Programme, users: dict[str, User]) -> None:
    """PostgreSQL cannot hold NUL in text (found by the fuzzer as a 500 on PostgreSQL)."""
    staff = bearer(users[Role.STAFF])
    answers = [
        staff.get("/api/groups/", {"programme": "test\x00prog"}),
        staff.get("/api/places/", {"q": "Ванҷ\x00"}),
        staff.post(
            "/api/people/",
            {"programme": programme.code, "sex": "male", "place": "TJ-GB-VANJ\x00"},
            content_type="application/json",
        ),
    ]
    for response in answers:
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "bad_request" and set(response.json()) == ERROR_KEYS


@pytest.mark.parametrize(
    "path", ["/api/groups/abc", "/api/nothing-here", "/api/people/1/x", "/api/docs", "/api/grants/%0A/reports"]
)
def test_api_paths_answer_json_404(path: str, users: dict[str, User]) -> None:
    response = bearer(users[Role.STAFF]).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["code"] == "not_found" and set(response.json()) == ERROR_KEYS


def test_every_api_error_has_the_same_shape(programme: Programme, users: dict[str, User]) -> None:
    staff, donor = bearer(users[Role.STAFF]), bearer(users[Role.DONOR])
    answers = {
        401: Client().get("/api/groups/", {"programme": programme.code}),
        403: donor.get("/api/people/", {"programme": programme.code}),
        404: staff.get("/api/groups/", {"programme": "no-such-programme"}),
        422: staff.post("/api/people/", {"programme": programme.code}, content_type="application/json"),
        400: staff.post("/api/people/", "{not json", content_type="application/json"),
    }
    codes = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 422: "invalid", 400: "bad_request"}
    for status, response in answers.items():
        assert response.status_code == status, (status, response.content)
        body = response.json()
        assert set(body) == ERROR_KEYS, (status, body)
        assert body["code"] == codes[status] and isinstance(body["detail"], str) and body["detail"]
        assert isinstance(body["errors"], dict)
    assert {"sex", "place"} <= set(answers[422].json()["errors"])


def test_choice_fields_are_enums_in_the_schema(users: dict[str, User]) -> None:
    schema = bearer(users[Role.STAFF]).get("/api/openapi.json").json()
    person_in = schema["components"]["schemas"]["PersonIn"]["properties"]
    assert set(_enum(schema, person_in["sex"])) == {"female", "male"}
    assert "restricted" in _enum(schema, person_in["sensitivity"])
    transition = schema["components"]["schemas"]["TransitionIn"]["properties"]
    assert "active" in _enum(schema, transition["to_status"])


def _enum(schema: dict[str, Any], prop: dict[str, Any]) -> list[str]:
    """The enum of a property, following a $ref or an anyOf with null."""
    for option in [prop, *prop.get("anyOf", []), *prop.get("allOf", [])]:
        if "enum" in option:
            return list(option["enum"])
        if "$ref" in option:
            return list(schema["components"]["schemas"][option["$ref"].rsplit("/", 1)[1]]["enum"])
    raise AssertionError(f"no enum in {prop}")


# --- Finding 12 (c): the schema needs a signed-in user ----------------------------------------------
def test_the_api_schema_needs_a_signed_in_user(users: dict[str, User], client_for: Any) -> None:
    anonymous = Client().get("/api/openapi.json")
    assert anonymous.status_code == 401
    assert set(anonymous.json()) == ERROR_KEYS and "paths" not in anonymous.json()
    assert Client().get("/api/docs").status_code in {401, 404}
    assert "paths" in bearer(users[Role.DONOR]).get("/api/openapi.json").json()
    assert "paths" in client_for(users["outsider"]).get("/api/openapi.json").json()
    bad = Client(HTTP_AUTHORIZATION="Bearer not-a-token").get("/api/openapi.json")
    assert bad.status_code == 401


# --- Finding 12 (b): an unset HAMKORI_ENV refuses to start ------------------------------------------
def run_python(code: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HAMKORI_", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DJANGO_", "DATABASE_URL"))
    }
    clean["HAMKORI_VAR_DIR"] = "/tmp/hamkori-test-var-env"  # never the checkout's var/
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "code",
    [
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'hamkori.config.settings'); django.setup()",
        "import hamkori.config.wsgi",
        "import hamkori.config.asgi",
        "from hamkori.cli import main; main(['migrate', '--check'])",
        "from hamkori.cli import main; main(['serve', '--help'])",
    ],
    ids=["settings", "wsgi", "asgi", "hamkori-migrate", "hamkori-serve"],
)
def test_an_unset_hamkori_env_refuses_to_start(code: str) -> None:
    result = run_python(f"{code}; print('started')")
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr and "HAMKORI_ENV" in result.stderr


def test_an_empty_hamkori_env_refuses_to_start_too() -> None:
    result = run_python("import hamkori.config.wsgi; print('started')", HAMKORI_ENV="")
    assert result.returncode != 0 and "HAMKORI_ENV" in result.stderr


@pytest.mark.parametrize(
    ("code", "args"),
    [
        ("from hamkori.cli import main; main(['demo', '--help'])", ()),
        ("from hamkori.cli import main; main(['totp-code', '--help'])", ()),
        ("", ("manage.py", "check")),
    ],
    ids=["hamkori-demo", "hamkori-totp-code", "manage.py"],
)
def test_the_demo_and_the_developer_tools_mean_development(code: str, args: tuple[str, ...]) -> None:
    result = run_python(code, *args)
    assert result.returncode == 0, result.stderr


def test_development_is_still_chosen_explicitly_for_a_server() -> None:
    result = run_python(
        "import hamkori.config.wsgi; from django.conf import settings; print(settings.HAMKORI_ENV, settings.DEBUG)",
        HAMKORI_ENV="development",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["development", "True"]
