"""Security review, finding 8: make a copy of the database say less.

- The vault stores a keyed hash of each subject key instead of the key itself, has random ids and
  no timestamps: nothing in it equals anything in the person table without the data key.
- The blind index becomes per programme (an HKDF-derived key each) and truncated to buckets.

Existing records are re-encrypted (the subject key and programme now travel inside the
ciphertext) and re-indexed here, in a random order, with the configured HAMKORI_DATA_KEY. A
record that none of the configured keys decrypts is still unlinked, but cannot be indexed again.
Reversible only while the vault is empty: the subject keys are no longer stored.
"""

import json
import random
import uuid

import hamkori.vault.fields
import hamkori.vault.models
from django.db import migrations, models


def reindex(apps, schema_editor):
    VaultRecord = apps.get_model("vault", "VaultRecord")
    NameToken = apps.get_model("vault", "NameToken")
    Person = apps.get_model("people", "Person")
    rows = list(VaultRecord.objects.values_list("pk", "subject_key", "ciphertext"))
    if not rows:
        return
    from hamkori.core import crypto
    from hamkori.vault.models import random_id
    from hamkori.vault.services import PersonalData, _digests, _seal

    subjects = {pk: uuid.UUID(str(raw)) for pk, raw, _ciphertext in rows}
    programme_of = {}
    keys = list(subjects.values())
    for start in range(0, len(keys), 500):
        found = Person.objects.filter(vault_key__in=keys[start : start + 500]).values_list("vault_key", "programme_id")
        programme_of.update({uuid.UUID(str(k)): p for k, p in found})
    NameToken.objects.all().delete()
    random.SystemRandom().shuffle(rows)  # rewritten rows must not keep the order they were made in
    current = crypto.current_key_id()
    unreadable = 0
    tokens = []
    for pk, _raw, ciphertext in rows:
        subject = subjects[pk]
        new_id = random_id()
        changes = {"id": new_id, "subject_key": crypto.subject_ref(subject)}
        try:
            values = json.loads(crypto.decrypt(ciphertext))
        except ValueError:
            unreadable += 1
        else:
            data = PersonalData(**{name: str(values.get(name, "")) for name in ("full_name", "phone", "email", "address")})
            programme_id = programme_of.get(subject)
            changes.update(ciphertext=_seal(data, subject, programme_id), key_id=current)
            tokens += [
                NameToken(id=random_id(), record_id=new_id, digest=digest)
                for digest in sorted(_digests(data.full_name, programme_id))
            ]
        VaultRecord.objects.filter(pk=pk).update(**changes)
    NameToken.objects.bulk_create(tokens, batch_size=1000)
    if unreadable:
        print(f"\n  {unreadable} vault record(s) could not be decrypted with HAMKORI_DATA_KEY and were not re-indexed.")


def only_if_empty(apps, schema_editor):
    if apps.get_model("vault", "VaultRecord").objects.exists():
        raise RuntimeError("vault.0002_blind_index cannot be undone: the vault no longer stores subject keys.")


class Migration(migrations.Migration):

    dependencies = [
        ('vault', '0001_initial'),
        ('people', '0003_person_list_index'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='vaultrecord',
            name='created_at',
        ),
        migrations.RemoveField(
            model_name='vaultrecord',
            name='updated_at',
        ),
        migrations.AlterField(
            model_name='nametoken',
            name='id',
            field=models.BigIntegerField(default=hamkori.vault.models.random_id, editable=False, primary_key=True, serialize=False),
        ),
        migrations.AlterField(
            model_name='vaultrecord',
            name='id',
            field=models.BigIntegerField(default=hamkori.vault.models.random_id, editable=False, primary_key=True, serialize=False),
        ),
        migrations.AlterField(
            model_name='vaultrecord',
            name='subject_key',
            field=hamkori.vault.fields.SubjectRefField(editable=False, max_length=64, unique=True, verbose_name='subject key'),
        ),
        migrations.RunPython(reindex, only_if_empty, elidable=False),
    ]
