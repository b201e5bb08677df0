"""Encryption at rest for personal data, with the key(s) in HAMKORI_DATA_KEY — never SECRET_KEY.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256), newest first: the first encrypts, every key
decrypts, so rows written under an old key still read while ``hamkori rotate-keys`` re-encrypts them.
Blind indexes (keyed hashes of name tokens) use a key derived from each data key; rotation
recomputes them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.HAMKORI_DATA_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("This value was encrypted under a key that is no longer configured.") from exc


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the newest key."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def is_current(token: str) -> bool:
    """Whether ``token`` was made with the newest key (decrypts with it alone)."""
    try:
        Fernet(settings.HAMKORI_DATA_KEYS[0].encode()).decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def _blind_key(data_key: str) -> bytes:
    return hashlib.sha256(b"hamkori-blind-index:" + data_key.encode()).digest()


def blind_index(token: str) -> str:
    """A keyed hash of ``token`` under the newest key: equal tokens give equal hashes, and without
    the key nobody can test a guess against the stored hash."""
    return _blind_hash(settings.HAMKORI_DATA_KEYS[0], token)


def blind_indexes(token: str) -> list[str]:
    """The hashes of ``token`` under every configured key, for searching during a rotation."""
    return [_blind_hash(key, token) for key in settings.HAMKORI_DATA_KEYS]


def _blind_hash(data_key: str, token: str) -> str:
    digest = hmac.new(_blind_key(data_key), token.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
