"""The audit log's hash chain, filled for the events already written, and the database triggers
that refuse UPDATE, DELETE and TRUNCATE of the audit table (see hamkori/core/audit_chain.py)."""

from django.db import migrations, models

from hamkori.core import audit_chain


def fill_chain(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    prev = audit_chain.GENESIS
    for event in AuditEvent.objects.using(schema_editor.connection.alias).order_by("id").iterator():
        values = {name: getattr(event, name) for name in audit_chain.FIELDS}
        digest = audit_chain.chain_hash(values, prev)
        AuditEvent.objects.using(schema_editor.connection.alias).filter(pk=event.pk).update(
            prev_hash=prev, hash=digest
        )
        prev = digest


def guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(audit_chain.POSTGRESQL_GUARD, params=None)
    elif vendor == "sqlite":
        for statement in audit_chain.SQLITE_GUARD:
            schema_editor.execute(statement)


def unguard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(audit_chain.POSTGRESQL_UNGUARD, params=None)
    elif vendor == "sqlite":
        for statement in audit_chain.SQLITE_UNGUARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="hash of the previous event"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_chain, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
