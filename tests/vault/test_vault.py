"""The personal-data vault: encryption at rest, blind-index search, key rotation, audit."""

from __future__ import annotations

import base64
import io
import json
import uuid
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hamkori.accounts.models import User
from hamkori.accounts.totp import current_code
from hamkori.core import crypto
from hamkori.core.models import AuditEvent
from hamkori.core.text import name_tokens
from hamkori.vault.models import NameToken, VaultRecord
from hamkori.vault.services import (
    PersonalData,
    vault_erase,
    vault_get,
    vault_get_many,
    vault_key_status,
    vault_put,
    vault_rotate,
    vault_search,
)

pytestmark = pytest.mark.django_db

KEY_A = base64.urlsafe_b64encode(b"A" * 32).decode()
KEY_B = base64.urlsafe_b64encode(b"B" * 32).decode()

TAJIK = PersonalData(
    full_name="Ғуломҷон Қурбонов Ӯрунбоевич Ҳакимӣ",
    phone="+992 (93) 555-12-34",
    email="ghulomjon.qurbonov@example.tj",
    address="ноҳияи Рӯдакӣ, деҳаи Ғозималик, кӯчаи Ҳофизи Шерозӣ 45",
)


def _put(name: str, **extra: str) -> uuid.UUID:
    key = uuid.uuid4()
    vault_put(actor=None, subject_key=key, data=PersonalData(full_name=name, **extra))
    return key


def _needles(data: PersonalData) -> list[str]:
    """Every piece of ``data`` that must not appear in storage (long enough not to turn up by
    chance inside base64 or a UUID)."""
    pieces = [data.full_name, data.phone, data.email, data.address]
    pieces += data.full_name.split() + name_tokens(data.full_name)
    pieces += [w.strip(",") for w in data.address.split()]
    pieces += ["".join(c for c in data.phone if c.isdigit()), data.email.split("@")[0]]
    return [p for p in pieces if len(p) >= 5]


def _assert_absent(haystack: str, data: PersonalData) -> None:
    folded = haystack.casefold()
    for needle in _needles(data):
        assert needle not in haystack, needle
        assert needle.casefold() not in folded, needle


def _dump(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        rows = cursor.fetchall()
    assert rows, f"{table} is empty"
    return "\n".join(" | ".join(str(cell) for cell in row) for row in rows)


# --- Round trip and storage -------------------------------------------------------------------


def test_round_trip_keeps_tajik_letters() -> None:
    key = uuid.uuid4()
    record = vault_put(actor=None, subject_key=key, data=TAJIK)
    assert record.subject_key == key
    assert record.key_id == crypto.current_key_id()
    got = vault_get(actor=None, subject_key=key, purpose="test")
    assert got == TAJIK
    assert got is not None
    for letter in "ғӣқӯҳҷ":
        assert letter in (got.full_name + got.address).casefold()


def test_raw_sql_read_shows_no_plaintext() -> None:
    vault_put(actor=None, subject_key=uuid.uuid4(), data=TAJIK)
    records = _dump(VaultRecord._meta.db_table)
    tokens = _dump(NameToken._meta.db_table)
    _assert_absent(records, TAJIK)
    _assert_absent(tokens, TAJIK)
    # One digest per distinct name token, and the ciphertext is a Fernet token of padded JSON.
    assert NameToken.objects.count() == len(set(name_tokens(TAJIK.full_name))) == 4
    ciphertext = VaultRecord.objects.get().ciphertext
    assert ciphertext.startswith("gAAAAA")
    # 57 bytes of Fernet framing + the JSON padded to 128 bytes + 16 of PKCS7 padding.
    assert len(base64.urlsafe_b64decode(ciphertext)) % 128 == 57 + 16


def test_ciphertext_length_hides_small_differences() -> None:
    short = vault_put(actor=None, subject_key=uuid.uuid4(), data=PersonalData(full_name="Ali"))
    longer = vault_put(actor=None, subject_key=uuid.uuid4(), data=PersonalData(full_name="Умед Саидов"))
    assert len(short.ciphertext) == len(longer.ciphertext)


def test_values_are_stripped_and_repr_hides_them() -> None:
    key = uuid.uuid4()
    vault_put(
        actor=None,
        subject_key=key,
        data=PersonalData(full_name="  Зарина   Қодирова ", email=" zarina@example.tj "),
    )
    got = vault_get(actor=None, subject_key=key, purpose="test")
    assert got == PersonalData(full_name="Зарина Қодирова", email="zarina@example.tj")
    assert "Зарина" not in repr(got)
    assert repr(got) == "PersonalData(full_name=<set>, phone=<empty>, email=<set>, address=<empty>)"


def test_get_of_unknown_subject_is_none_and_audited() -> None:
    key = uuid.uuid4()
    assert vault_get(actor=None, subject_key=key, purpose="case review") is None
    event = AuditEvent.objects.get(action="vault.read")
    assert event.object_id == str(key)
    assert event.summary == {"purpose": "case review", "found": False}


def test_get_needs_a_purpose() -> None:
    with pytest.raises(ValueError, match="purpose"):
        vault_get(actor=None, subject_key=uuid.uuid4(), purpose="  ")


# --- Validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (PersonalData(full_name="Умед", email="not-an-email"), "email"),
        (PersonalData(full_name="Ҷ" * 201), "full_name"),
        (PersonalData(full_name="Умед", phone="+992 93 ABC"), "phone"),
        (PersonalData(full_name="Умед", phone="+-()"), "phone"),
        (PersonalData(full_name="Умед", phone="1" * 41), "phone"),
        (PersonalData(full_name="Умед", address="x" * 501), "address"),
    ],
)
def test_invalid_input_raises_and_writes_nothing(data: PersonalData, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        vault_put(actor=None, subject_key=uuid.uuid4(), data=data)
    assert list(info.value.message_dict) == [field]
    assert VaultRecord.objects.count() == 0
    assert NameToken.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_invalid_replacement_keeps_the_old_record() -> None:
    key = _put("Умед Саидов")
    with pytest.raises(ValidationError):
        vault_put(actor=None, subject_key=key, data=PersonalData(full_name="Умед", email="@@"))
    assert vault_get(actor=None, subject_key=key, purpose="t") == PersonalData(full_name="Умед Саидов")
    assert vault_search("Саидов") == {key}


# --- Search ------------------------------------------------------------------------------------


def test_cyrillic_search_finds_latin_record_and_vice_versa() -> None:
    latin = _put("Jamshed Rakhimov")
    cyrillic = _put("Зарина Қодирова")
    assert vault_search("Ҷамшед Раҳимов") == {latin}
    assert vault_search("Джамшед") == {latin}
    assert vault_search("Zarina Qodirova") == {cyrillic}
    assert vault_search("kodirova") == {cyrillic}


def test_search_requires_every_token() -> None:
    jamshed_rahimov = _put("Jamshed Rakhimov")
    jamshed_karimov = _put("Ҷамшед Каримов")
    zarina_rahimova = _put("Зарина Раҳимова")
    assert vault_search("Jamshed") == {jamshed_rahimov, jamshed_karimov}
    assert vault_search("Раҳимов Ҷамшед") == {jamshed_rahimov}
    assert vault_search("Zarina Rahimova") == {zarina_rahimova}
    assert vault_search("Jamshed Nazarov") == set()
    assert vault_search("Rahimov") == {jamshed_rahimov}  # whole tokens: not Rahimova
    assert vault_search("") == set()
    assert vault_search(" -- ") == set()


def test_search_is_one_query(django_assert_num_queries: Any) -> None:
    for i in range(5):
        _put(f"Jamshed Rakhimov{'a' * i}")
    with django_assert_num_queries(1):
        found = vault_search("Ҷамшед Раҳимов Ҳасанович Азизович")
    assert found == set()


def test_replacing_a_name_reindexes_it() -> None:
    key = _put("Юсуф Назаров")
    vault_put(actor=None, subject_key=key, data=PersonalData(full_name="Умед Назаров"))
    assert vault_search("Yusuf") == set()
    assert vault_search("Umed Nazarov") == {key}
    assert VaultRecord.objects.count() == 1
    assert NameToken.objects.count() == 2
    put_events = AuditEvent.objects.filter(action="vault.put").order_by("id")
    assert [e.summary for e in put_events] == [
        {"created": True, "fields": ["full_name"]},
        {"created": False, "fields": ["full_name"]},
    ]


def test_putting_the_same_data_again_writes_nothing() -> None:
    key = _put("Юсуф Назаров")
    before = VaultRecord.objects.get().ciphertext
    vault_put(actor=None, subject_key=key, data=PersonalData(full_name="Юсуф  Назаров "))
    assert VaultRecord.objects.get().ciphertext == before
    assert AuditEvent.objects.filter(action="vault.put").count() == 1


# --- Many, erase -------------------------------------------------------------------------------


def test_get_many_reads_in_one_query_and_one_event() -> None:
    keys = [_put(name) for name in ("Умед Саидов", "Юсуф Назаров", "Иззатулло Шарипов")]
    missing = uuid.uuid4()
    with CaptureQueriesContext(connection) as ctx:
        found = vault_get_many(actor=None, subject_keys=[*keys, missing, keys[0]], purpose="list")
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    assert len([sql for sql in reads if VaultRecord._meta.db_table in sql]) == 1
    assert set(found) == set(keys)
    assert found[keys[1]].full_name == "Юсуф Назаров"
    event = AuditEvent.objects.get(action="vault.read")
    assert event.summary["count"] == 3
    assert event.summary["requested"] == 4
    assert event.summary["purpose"] == "list"
    assert sorted(event.summary["subject_keys"]) == sorted(str(k) for k in keys)


def test_erase_removes_record_and_tokens() -> None:
    key = _put("Шоҳона Мирзоева", phone="+992 900 11 22 33")
    other = _put("Шоҳона Каримова")
    assert NameToken.objects.count() == 4
    assert vault_erase(actor=None, subject_key=key) is True
    assert not VaultRecord.objects.filter(subject_key=key).exists()
    assert NameToken.objects.count() == 2
    assert vault_search("Shohona") == {other}
    assert vault_get(actor=None, subject_key=key, purpose="t") is None
    assert vault_erase(actor=None, subject_key=key) is False
    assert [e.summary for e in AuditEvent.objects.filter(action="vault.erase").order_by("id")] == [
        {"found": True},
        {"found": False},
    ]


# --- Audit -------------------------------------------------------------------------------------


def test_audit_events_name_fields_never_values() -> None:
    user = User.objects.create_user(email="officer@example.org", password="x-long-password-1")
    key = uuid.uuid4()
    vault_put(actor=user, subject_key=key, data=TAJIK)
    vault_get(actor=user, subject_key=key, purpose="follow-up call")
    vault_get_many(actor=user, subject_keys=[key], purpose="export")
    vault_rotate(actor=user)
    vault_erase(actor=user, subject_key=key)
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == [
        "vault.put", "vault.read", "vault.read", "vault.rotate", "vault.erase",
    ]  # fmt: skip
    assert all(e.actor == user for e in events)
    assert events[0].summary == {
        "created": True,
        "fields": ["full_name", "phone", "email", "address"],
    }
    assert events[0].object_id == str(key)
    assert events[1].summary == {"purpose": "follow-up call", "found": True}
    dump = json.dumps([[e.object_type, e.object_id, e.object_repr, e.summary] for e in events], ensure_ascii=False)
    _assert_absent(dump, TAJIK)


# --- Rotation ----------------------------------------------------------------------------------


def test_rotation_reencrypts_records_and_two_factor_secrets(settings: Any) -> None:
    settings.HAMKORI_DATA_KEYS = [KEY_A]
    latin = _put("Jamshed Rakhimov", email="jamshed@example.tj")
    cyrillic = _put("Зарина Қодирова", phone="+992 93 000 00 01")
    user = User.objects.create_user(email="staff@example.org", password="x-long-password-1")
    totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    totp = TOTP.activate(user, totp_secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    old_cipher = VaultRecord.objects.get(subject_key=latin).ciphertext
    assert vault_key_status() == {crypto.key_id(KEY_A): 2}

    # New key first, old key still configured: everything still reads and searches.
    settings.HAMKORI_DATA_KEYS = [KEY_B, KEY_A]
    assert vault_get(actor=None, subject_key=latin, purpose="t") == PersonalData(
        full_name="Jamshed Rakhimov", email="jamshed@example.tj"
    )
    assert vault_search("Ҷамшед") == {latin}
    assert vault_search("Zarina Kodirova") == {cyrillic}
    written_under_b = _put("Умед Саидов")  # new writes use the new key already

    result = vault_rotate(actor=None, batch_size=1)
    assert (result.reencrypted, result.reindexed) == (2, 2)
    assert (result.totp_secrets, result.recovery_codes) == (1, 1)
    assert vault_key_status() == {crypto.key_id(KEY_B): 3}
    assert VaultRecord.objects.get(subject_key=latin).ciphertext != old_cipher
    again = vault_rotate(actor=None)
    assert (again.reencrypted, again.reindexed, again.totp_secrets, again.recovery_codes) == (
        0,
        0,
        0,
        0,
    )

    # The old key removed: still everything reads, searches and signs in.
    settings.HAMKORI_DATA_KEYS = [KEY_B]
    assert vault_get(actor=None, subject_key=cyrillic, purpose="t") == PersonalData(
        full_name="Зарина Қодирова", phone="+992 93 000 00 01"
    )
    assert vault_search("Jamshed Rakhimov") == {latin}
    assert vault_search("Қодирова") == {cyrillic}
    assert vault_search("Umed") == {written_under_b}
    auth = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert auth.pk == totp.instance.pk
    assert crypto.decrypt(auth.data["secret"]) == totp_secret
    assert TOTP(auth).validate_code(current_code(totp_secret)) is True
    recovery = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert RecoveryCodes(recovery).generate_codes() == codes

    # And the old key alone can no longer read what was rotated.
    settings.HAMKORI_DATA_KEYS = [KEY_A]
    with pytest.raises(ValueError, match="no longer configured"):
        vault_get(actor=None, subject_key=latin, purpose="t")
    assert vault_search("Jamshed") == set()


def test_without_rotation_removing_the_old_key_breaks_reads(settings: Any) -> None:
    settings.HAMKORI_DATA_KEYS = [KEY_A]
    key = _put("Jamshed Rakhimov")
    settings.HAMKORI_DATA_KEYS = [KEY_B]
    assert vault_search("Jamshed") == set()
    with pytest.raises(ValueError):
        vault_get(actor=None, subject_key=key, purpose="t")
    with pytest.raises(ValueError):
        vault_rotate(actor=None)


def test_reindex_recomputes_tokens_of_current_records(settings: Any) -> None:
    settings.HAMKORI_DATA_KEYS = [KEY_A]
    key = _put("Jamshed Rakhimov")
    NameToken.objects.all().delete()  # as if the name-matching rules had changed
    assert vault_search("Jamshed") == set()
    assert vault_rotate(actor=None).reindexed == 0
    result = vault_rotate(actor=None, reindex_all=True)
    assert (result.reencrypted, result.reindexed) == (0, 1)
    assert vault_search("Jamshed") == {key}


def test_rotate_keys_command(settings: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_keys", "--generate", stdout=out, stderr=err)
    new_key = out.getvalue().strip()
    Fernet(new_key.encode())  # a valid key
    assert "HAMKORI_DATA_KEY" in err.getvalue()

    settings.HAMKORI_DATA_KEYS = [KEY_A]
    _put("Jamshed Rakhimov")
    settings.HAMKORI_DATA_KEYS = [new_key, KEY_A]
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    text = out.getvalue()
    assert "Vault records re-encrypted: 1" in text
    assert f"Records under key {crypto.key_id(new_key)} (newest): 1" in text
    assert "3. run `hamkori rotate-keys`" in text
    assert AuditEvent.objects.get(action="vault.rotate").summary["reencrypted"] == 1
