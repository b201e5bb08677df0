"""The ``hamkori`` console script.

``hamkori demo`` and ``hamkori serve`` are management commands like any other; every other word is
passed through to Django (``hamkori migrate``, ``hamkori rotate-keys``: dashes become underscores).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hamkori.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["hamkori", *args])


if __name__ == "__main__":  # pragma: no cover
    main()
