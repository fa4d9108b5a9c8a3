"""allauth's account adapter, adjusted to the project's ``User`` model."""

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.utils.translation import gettext as _

from forum.models import User


class AccountAdapter(DefaultAccountAdapter):
    """allauth's default behaviour, with e-mail addresses held to the ``User.email`` column's length."""

    def clean_email(self, email: str) -> str:
        """Return ``email``; raises ``forms.ValidationError`` if it is longer than ``User.email`` holds
        (254 characters, RFC 5321's limit), which would otherwise be cut short when stored."""
        email = super().clean_email(email)
        limit = User._meta.get_field("email").max_length
        if len(email) > limit:
            raise forms.ValidationError(
                _("An e-mail address has at most %(limit)s characters.") % {"limit": limit}, code="too_long"
            )
        return email
