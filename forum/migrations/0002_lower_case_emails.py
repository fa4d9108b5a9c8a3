"""Store every user's e-mail address lower-cased, as ``User.save`` now does.

The ``user_email_ci_unique`` constraint already kept addresses unique regardless of
case, so lower-casing cannot make two rows clash.
"""

from django.db import migrations
from django.db.models.functions import Lower


def lower_case_emails(apps, schema_editor):
    User = apps.get_model("forum", "User")
    User.objects.exclude(email=Lower("email")).update(email=Lower("email"))


class Migration(migrations.Migration):
    dependencies = [("forum", "0001_initial")]

    operations = [migrations.RunPython(lower_case_emails, migrations.RunPython.noop)]
