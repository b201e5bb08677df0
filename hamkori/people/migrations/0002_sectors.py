from django.db import migrations


def seed(apps, schema_editor):
    from hamkori.people.sectors import seed_sectors

    seed_sectors(apps.get_model("people", "Sector"))


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
