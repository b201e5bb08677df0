from __future__ import annotations

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value


def current_code(secret: str, at: float | None = None) -> str:
    """The 6-digit TOTP code for ``secret`` now (or at ``at``), as an authenticator app shows it."""
    counter = int(time.time() if at is None else at) // 30
    return format_hotp_value(hotp_value(secret, counter))
