"""The ``hamkori`` console script.

``hamkori demo`` and ``hamkori serve`` are management commands like any other; every other word is
passed through to Django (``hamkori migrate``, ``hamkori rotate-keys``: dashes become underscores).

The settings refuse to start without ``HAMKORI_ENV``. Only the demo's commands (``demo``,
``totp-code``) mean development when it is unset, so ``uv run hamkori demo`` works on a fresh clone;
``serve``, ``migrate`` and every other command need it set.
"""

from __future__ import annotations

import os
import sys

#: Commands that mean HAMKORI_ENV=development when it is unset (they refuse production themselves).
DEVELOPMENT_COMMANDS = {"demo", "totp_code"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hamkori.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    if args and args[0] in DEVELOPMENT_COMMANDS:
        os.environ.setdefault("HAMKORI_ENV", "development")
    execute_from_command_line(["hamkori", *args])


if __name__ == "__main__":  # pragma: no cover
    main()
