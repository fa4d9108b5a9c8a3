"""Forms of the participant's pages: the registration form and the session sign-up button.

Forms only clean what was typed; the rules (open days, places, quotas) are checked by
``registration.services``, whose refusals the views put on the form.

Text typed by participants ends up on badges, attendance lists and exports, so the text
fields refuse characters that print nothing or disguise what is printed: control
characters (a line break or tab only in the multi-line field) and, in the fields printed
on one line, the bidirectional embedding, override and isolate characters. A required
field holding only spaces or invisible format characters counts as empty. Letters of any
script, emoji sequences and the zero-width (non-)joiners inside words are kept.
"""

import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Hidden, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from forum.models import Forum
from registration.models import Language, Registration
from registration.services import DETAIL_FIELDS

YES_VALUES = frozenset({"on", "true", "1"})
"""The submitted values that tick a checkbox: ``on`` (what browsers send), ``true`` and ``1``."""

BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
"""U+202A–U+202E (embeddings, overrides, pop) and U+2066–U+2069 (isolates)."""

ONE_LINE_FIELDS = ("printed_name", "organization", "position", "city")
"""The details printed on one line: badges, attendance lists, exports."""


class YesCheckboxInput(forms.CheckboxInput):
    """A checkbox ticked only by a value of ``YES_VALUES`` (in any letter case).

    Django's ``CheckboxInput`` takes every string but ``"false"`` for a tick, so a
    hand-crafted ``consent=no`` or ``0`` would count as yes; here it counts as unticked.
    """

    def value_from_datadict(self, data, files, name) -> bool:
        """True only if ``name`` was submitted with one of ``YES_VALUES``."""
        value = data.get(name)
        return isinstance(value, str) and value.lower() in YES_VALUES


BLANK_LOOKING = frozenset("\u115f\u1160\u2800\u3164\uffa0")
"""Letters and symbols that print as blank space: Hangul fillers and the blank Braille pattern."""


def is_blank(text: str) -> bool:
    """True if ``text`` shows nothing readable: no letter, digit, punctuation or symbol other
    than ``BLANK_LOOKING`` ones (so spaces, format characters, lone combining marks, private-use
    and unassigned code points alone are blank)."""
    return not any(unicodedata.category(char)[0] in "LNPS" and char not in BLANK_LOOKING for char in text)


def is_refused(char: str) -> bool:
    """True for characters no printed text needs: controls (Cc), surrogates (Cs), line and
    paragraph separators (Zl, Zp) and Unicode noncharacters (U+FDD0–U+FDEF, U+xxFFFE/F),
    which XML, and so XLSX, cannot hold."""
    code = ord(char)
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


class PlainTextField(forms.CharField):
    """A one-line text typed by a participant.

    Refuses control characters and bidirectional controls (``BIDI_CONTROLS``) with a
    message saying what to remove, and treats a value that ``is_blank`` as empty.
    """

    allowed_controls: frozenset[str] = frozenset()
    allows_bidi_controls = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Null characters are control characters: to_python refuses them with the same message.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def to_python(self, value):
        """The stripped text, ``empty_value`` when it ``is_blank``; ``ValidationError`` for refused characters."""
        if isinstance(value, str):
            self.check_characters(value)
        value = super().to_python(value)
        if isinstance(value, str) and is_blank(value):
            return self.empty_value
        return value

    def check_characters(self, text: str) -> None:
        """Raise ``ValidationError`` if ``text`` holds a refused control or bidirectional character."""
        if any(is_refused(char) and char not in self.allowed_controls for char in text):
            raise ValidationError(_("Remove the invisible control characters."), code="control_characters")
        if not self.allows_bidi_controls and not BIDI_CONTROLS.isdisjoint(text):
            raise ValidationError(
                _("Remove the invisible characters that change the direction of the text."), code="bidi_controls"
            )


class MultiLineTextField(PlainTextField):
    """A text of several lines: line breaks (sent by browsers as CR LF, kept as LF) and tabs are allowed."""

    allowed_controls = frozenset("\n\t")
    allows_bidi_controls = True

    def to_python(self, value):
        """As ``PlainTextField.to_python``, with the browser's CR LF line breaks turned into LF."""
        if isinstance(value, str):
            value = value.replace("\r\n", "\n")
        return super().to_python(value)


class ParticipantDetailsForm(forms.ModelForm):
    """A registration's details with the text checks of ``PlainTextField`` and ``MultiLineTextField``.

    The base of the participant's form and of the organizers' admin form, so both refuse
    the same characters.
    """

    class Meta:
        model = Registration
        fields = DETAIL_FIELDS
        field_classes = {
            **dict.fromkeys(ONE_LINE_FIELDS, PlainTextField),
            "accessibility_needs": MultiLineTextField,
        }


class RegistrationForm(ParticipantDetailsForm):
    """A participant's details for one forum, and their consent to the processing of personal data.

    On a new registration ``consent`` is a required checkbox whose label links to the
    forum's privacy notice. When editing a registration (``instance`` saved before) the
    consent was given already and is not asked again, and the participant category is
    shown but locked (a change could jump a category's waitlist; organizers make it).
    The form never saves: the view hands ``cleaned_data`` to ``services.register`` or
    ``services.update_details``.
    """

    consent = forms.BooleanField(required=True, widget=YesCheckboxInput)

    class Meta(ParticipantDetailsForm.Meta):
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
            category = self.fields["category"]
            category.disabled = True
            category.help_text = _("Write to the organizers to change your category.")
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
    """The sign-up button of a parallel session: ``join_waitlist`` is set when the session is full.

    Only ``YES_VALUES`` set it; any other value signs up without joining the waitlist.
    """

    join_waitlist = forms.BooleanField(required=False, widget=YesCheckboxInput)
