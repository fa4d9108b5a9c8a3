"""Forms of the participant's pages: the registration form and the session sign-up button.

Forms only clean what was typed; the rules (open days, places, quotas) are checked by
``registration.services``, whose refusals the views put on the form.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Hidden, Layout, Submit
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from forum.models import Forum
from registration.models import Language, Registration
from registration.services import DETAIL_FIELDS


class RegistrationForm(forms.ModelForm):
    """A participant's details for one forum, and their consent to the processing of personal data.

    On a new registration ``consent`` is a required checkbox whose label links to the
    forum's privacy notice. When editing a registration (``instance`` saved before) the
    consent was given already and is not asked again. The form never saves: the view
    hands ``cleaned_data`` to ``services.register`` or ``services.update_details``.
    """

    consent = forms.BooleanField(required=True)

    class Meta:
        model = Registration
        fields = DETAIL_FIELDS
        widgets = {
            "language": forms.RadioSelect,
            "accessibility_needs": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "accessibility_needs": _(
                "Anything that would help you take part: step-free access, sign language, dietary needs…"
            ),
        }

    def __init__(self, *args, forum: Forum, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        if editing:
            del self.fields["consent"]
        else:
            privacy_url = reverse("registration:privacy", kwargs={"forum_slug": forum.slug})
            self.fields["consent"].label = format_html(
                gettext(
                    'I agree to the processing of my personal data as the <a href="{}">privacy notice</a> describes.'
                ),
                privacy_url,
            )
            self.fields["consent"].error_messages["required"] = _(
                "Registration needs your consent to the processing of your data."
            )
            language = (get_language() or "")[:2]
            if language in Language.values:
                self.initial.setdefault("language", language)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(_("About you"), "printed_name", "organization", "position", "category"),
            Fieldset(_("Where you come from"), "country", "city"),
            Fieldset(_("At the forum"), "language", "accessibility_needs"),
            *([] if editing else ["consent"]),
            Hidden("intent", "edit" if editing else "register"),
            Submit("submit", _("Save my details") if editing else _("Register"), css_class="mt-2"),
        )


class SessionSignupForm(forms.Form):
    """The sign-up button of a parallel session: ``join_waitlist`` is set when the session is full."""

    join_waitlist = forms.BooleanField(required=False)
