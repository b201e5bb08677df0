"""The database cache table (settings.CACHES): rate limits and the API throttle are shared between
worker processes. ``createcachetable`` run here so that ``migrate`` (the demo, CI, deployments) is
all it takes; it does nothing when the table exists or no database cache is configured."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    from django.conf import settings

    for cache in settings.CACHES.values():
        if cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
            table = schema_editor.quote_name(cache["LOCATION"])
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_apitoken_invitation")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
