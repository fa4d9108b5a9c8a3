"""``manage.py create_organizer``: an organizer (staff superuser) account for the admin."""

import secrets

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from forum.models import User


class Command(BaseCommand):
    help = (
        "Create the organizer account (or give it a new password) and print its e-mail and "
        "password. The address is marked verified so the organizer can sign in at once. "
        "A malformed address or a weak --password is refused."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", default="organizer@example.org")
        parser.add_argument("--password", help="Use this password instead of a random one.")

    @transaction.atomic
    def handle(self, *args, email: str, password: str | None, **options) -> None:
        password = password or secrets.token_urlsafe(12)
        user = User.objects.filter(email__iexact=email).first()
        try:
            validate_email(email)
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if user is None:
            user = User.objects.create_superuser(email=email, password=password)
        else:
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        self.stdout.write(f"Organizer account: {user.email}  password: {password}")
