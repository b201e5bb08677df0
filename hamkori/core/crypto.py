"""Encryption at rest for personal data, with the key(s) in HAMKORI_DATA_KEY — never SECRET_KEY.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256), newest first: the first encrypts, every key
decrypts, so rows written under an old key still read while ``hamkori rotate-keys`` re-encrypts
them.
Blind indexes (keyed hashes of name tokens) use a key derived from each data key; rotation
recomputes them.

No function here ever puts a key or a plaintext into an exception message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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


def _blind_key(data_key: str) -> bytes:
    return hashlib.sha256(b"hamkori-blind-index:" + data_key.encode()).digest()


def blind_index(token: str) -> str:
    """A keyed hash of ``token`` under the newest key: equal tokens give equal hashes, and without
    the key nobody can test a guess against the stored hash."""
    return _blind_hash(_keys()[0], token)


def blind_indexes(token: str) -> list[str]:
    """The hashes of ``token`` under every configured key, for searching during a rotation."""
    return list(dict.fromkeys(_blind_hash(key, token) for key in _keys()))


@lru_cache(maxsize=8)
def _blind_hmac(data_key: str) -> hmac.HMAC:
    return hmac.new(_blind_key(data_key), digestmod=hashlib.sha256)


def _blind_hash(data_key: str, token: str) -> str:
    mac = _blind_hmac(data_key).copy()
    mac.update(token.encode("utf-8"))
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode("ascii").rstrip("=")


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
