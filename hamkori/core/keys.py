"""The personal-data key for development machines: generated once, kept under var/ (mode 0600)."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet


def development_data_key(var_dir: Path) -> str:
    path = var_dir / "data.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode())
    return path.read_text().strip()
