from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hamkori.places.loader import DATA_FILE, PlacesFileError
from hamkori.places.services import places_import


class Command(BaseCommand):
    help = "Load or update places from a CSV file in the format of hamkori/places/data/tajikistan.csv."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DATA_FILE))

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        try:
            result = places_import(actor=None, source=path, label=path.name)
        except PlacesFileError as exc:
            raise CommandError("Nothing was loaded:\n" + "\n".join(f"  row {n}: {m}" for n, m in exc.errors)) from exc
        self.stdout.write(f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged.")
