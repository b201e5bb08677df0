import os
import shutil
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Hamkori: Django's server in development, gunicorn in production."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))

    def handle(self, *args, **options):
        addrport = options["addrport"]
        if settings.PRODUCTION:
            gunicorn = shutil.which("gunicorn") or "gunicorn"
            os.execvp(  # noqa: S606
                gunicorn,
                [
                    gunicorn,
                    "hamkori.config.wsgi",
                    "--bind",
                    addrport,
                    "--workers",
                    str(options["workers"]),
                    "--access-logfile",
                    "-",
                ],
            )
        sys.stdout.flush()
        call_command("runserver", addrport, use_reloader=False)
