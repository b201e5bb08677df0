"""Encryption at rest for personal data, with the key(s) in HAMKORI_DATA_KEY — never SECRET_KEY.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256), newest first: the first encrypts, every key
decrypts, so rows written under an old key still read while ``hamkori rotate-keys`` re-encrypts
them.
Blind indexes (truncated keyed hashes of name tokens) and the vault's subject references use keys
derived from each data key with HKDF (one per programme for the index); rotation recomputes them.

No function here ever puts a key or a plaintext into an exception message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _keys() -> tuple[str, ...]:
    keys = tuple(settings.HAMKORI_DATA_KEYS)
    if not keys:
        raise ImproperlyConfigured("HAMKORI_DATA_KEY holds no key.")
    return keys


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode("ascii")))
        except (ValueError, UnicodeEncodeError) as exc:
            raise ImproperlyConfigured(
                f"Key number {position} in HAMKORI_DATA_KEY is not a Fernet key "
                "(32 url-safe base64-encoded bytes; `hamkori rotate-keys --generate` makes one)."
            ) from exc
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    return _fernet(_keys())


def _ascii(token: str) -> bytes:
    try:
        return token.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ValueError("This is not an encrypted value.") from exc


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(_ascii(token)).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("This value was encrypted under a key that is no longer configured.") from exc


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the newest key."""
    try:
        return fernet().rotate(_ascii(token)).decode("ascii")
    except InvalidToken as exc:
        raise ValueError("This value was encrypted under a key that is no longer configured.") from exc


def is_current(token: str) -> bool:
    """Whether ``token`` was made with the newest key (decrypts with it alone)."""
    try:
        _fernet(_keys()[:1]).decrypt(_ascii(token))
    except (InvalidToken, ValueError):
        return False
    return True


def key_id(key: str) -> str:
    """A short, non-secret fingerprint of a data key (8 hex digits of its SHA-256), to tell which
    key encrypted a row without revealing the key."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()[:8]


def current_key_id() -> str:
    """The fingerprint of the newest key: the one :func:`encrypt` and :func:`blind_index` use."""
    return key_id(_keys()[0])


# --- Keys derived from each data key (HKDF-SHA256): one per purpose, one per programme ----------
#: A blind-index digest keeps this many bits of the HMAC: 4,096 buckets per programme and key, so
#: different names share a bucket and equal digests do not prove equal names (the vault removes the
#: false positives after decrypting). Changing it requires ``hamkori rotate-keys --reindex``.
BUCKET_BITS = 12
_BUCKET_HEX = (BUCKET_BITS + 3) // 4


@lru_cache(maxsize=256)
def _derived(data_key: str, info: bytes) -> bytes:
    material = base64.urlsafe_b64decode(data_key.encode("ascii"))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hamkori-vault-v2", info=info).derive(material)


def _index_info(programme_id: int | None) -> bytes:
    scope = "-" if programme_id is None else str(int(programme_id))
    return b"hamkori/blind-index/programme:" + scope.encode("ascii")


def blind_bucket(data_key: str, token: str, programme_id: int | None = None) -> str:
    """The truncated keyed hash of ``token`` in ``programme_id``'s index under ``data_key``: the same
    name in two programmes (or under two keys) lands in unrelated buckets."""
    mac = hmac.new(_derived(data_key, _index_info(programme_id)), token.encode("utf-8"), hashlib.sha256)
    value = int.from_bytes(mac.digest()[:4], "big") >> (32 - BUCKET_BITS)
    return f"{value:0{_BUCKET_HEX}x}"


def blind_index(token: str, programme_id: int | None = None) -> str:
    """The bucket of ``token`` under the newest key: without the key nobody can test a guess, and
    with only :data:`BUCKET_BITS` bits many names share each bucket."""
    return blind_bucket(_keys()[0], token, programme_id)


def blind_indexes(token: str, programme_id: int | None = None) -> list[str]:
    """The buckets of ``token`` under every configured key, for searching during a rotation."""
    return list(dict.fromkeys(blind_bucket(key, token, programme_id) for key in _keys()))


def blind_bucket_sets(tokens: list[str], programme_id: int | None = None) -> list[set[str]]:
    """For each configured key, the set of buckets of ``tokens``."""
    return [{blind_bucket(key, token, programme_id) for token in tokens} for key in _keys()]


def subject_ref(subject: uuid.UUID, data_key: str | None = None) -> str:
    """What the vault stores instead of a subject key: a keyed hash of it (newest key unless given),
    so a database copy cannot join vault rows to the rows that hold the subject key."""
    key = _keys()[0] if data_key is None else data_key
    mac = hmac.new(_derived(key, b"hamkori/subject-ref"), subject.bytes, hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")


def subject_refs(subject: uuid.UUID) -> list[str]:
    """The references of ``subject`` under every configured key (records not yet rotated)."""
    return list(dict.fromkeys(subject_ref(subject, key) for key in _keys()))


def configured_key_ids() -> list[str]:
    return [key_id(key) for key in _keys()]


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
