"""Generated documents: PENDING becomes QUEUED, RENDERING is added, with ``render_started_at``.

Rows stored as "pending" become "queued" (their render is still to be done). Going
back, "queued" and "rendering" rows become "pending" again.
"""

from django.db import migrations, models


def pending_to_queued(apps, schema_editor):
    """Existing "pending" rows are "queued"."""
    GeneratedDocument = apps.get_model("sessions_app", "GeneratedDocument")
    GeneratedDocument.objects.filter(status="pending").update(status="queued")


def queued_to_pending(apps, schema_editor):
    """Rows not yet rendered ("queued" or "rendering") are "pending" again."""
    GeneratedDocument = apps.get_model("sessions_app", "GeneratedDocument")
    GeneratedDocument.objects.filter(status__in=["queued", "rendering"]).update(status="pending")


class Migration(migrations.Migration):

    dependencies = [
        ("sessions_app", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="generateddocument",
            name="render_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="generateddocument",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("rendering", "Being rendered"),
                    ("ready", "Ready"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=10,
            ),
        ),
        migrations.RunPython(pending_to_queued, queued_to_pending, elidable=True),
    ]
