"""Inline formset behaviour shared by the admin of every app."""

from django import forms
from django.forms.models import BaseInlineFormSet


class LiveFormsInlineFormSet(BaseInlineFormSet):
    """An inline formset that can list the forms it is about to save."""

    def live_forms(self) -> list[forms.ModelForm]:
        """Forms that will be saved: filled in (or shown from the database), valid, not marked for deletion."""
        return [
            form
            for form in self.forms
            if form.has_changed() or form in self.initial_forms
            if form.is_valid() and not self._should_delete_form(form)
        ]
