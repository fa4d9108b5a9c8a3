"""Clean the texts stored before ``SanitizedTextField`` existed, as saving them again would.

Rows written before migrations forum 0008, sessions_app 0010 and registration 0006 keep
any markup they held until they are saved again; this passes every such column, both
language columns included, through ``forum.sanitize.strip_markup`` and writes back only
the rows that change, 500 at a time. Running it again changes nothing. Not reversible in
content (the removed markup is gone), so going back only leaves the texts as they are.
"""

from django.db import migrations

from forum.sanitize import SanitizedTextField, strip_markup

BATCH = 500


def strip_stored_markup(apps, schema_editor):
    """For every model of the three apps, rewrite the ``SanitizedTextField`` columns whose
    stored text ``strip_markup`` changes."""
    for model in apps.get_models():
        if model._meta.app_label not in {"forum", "sessions_app", "registration"}:
            continue
        names = [field.name for field in model._meta.concrete_fields if isinstance(field, SanitizedTextField)]
        if not names:
            continue
        changed = []
        for row in model._base_manager.only("pk", *names).iterator(chunk_size=BATCH):
            dirty = False
            for name in names:
                value = getattr(row, name)
                if isinstance(value, str) and strip_markup(value) != value:
                    setattr(row, name, strip_markup(value))
                    dirty = True
            if dirty:
                changed.append(row)
        model._base_manager.bulk_update(changed, names, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("forum", "0008_sanitized_texts"),
        ("sessions_app", "0010_sanitized_texts"),
        ("registration", "0006_sanitized_texts"),
    ]

    operations = [migrations.RunPython(strip_stored_markup, migrations.RunPython.noop, elidable=True)]
