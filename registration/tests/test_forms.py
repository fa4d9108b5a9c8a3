"""The registration form and the sign-up button, as they clean what a browser (or a
hand-crafted request) submits: consent, category lock, and the characters refused."""

import pytest
from django.core.exceptions import ValidationError

from forum.tests.factories import ForumFactory
from registration.forms import PlainTextField, RegistrationForm, SessionSignupForm, is_blank
from registration.models import Category, Registration
from registration.tests.factories import participant_details

pytestmark = [pytest.mark.unit]

CONTROL_MESSAGE = "Remove the invisible control characters."
BIDI_MESSAGE = "Remove the invisible characters that change the direction of the text."
REQUIRED_MESSAGE = "This field is required."
TEXT_FIELDS = ["printed_name", "organization", "position", "city", "accessibility_needs"]
ONE_LINE_FIELDS = ["printed_name", "organization", "position", "city"]


def posted(**overrides) -> dict:
    """What a browser posts for a new registration, with ``overrides`` (None leaves a field out)."""
    data = {key: value for key, value in participant_details().items() if key != "consent"}
    data["consent"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def new_form(**overrides) -> RegistrationForm:
    return RegistrationForm(posted(**overrides), forum=ForumFactory.build())


def edit_form(registration: Registration, **overrides) -> RegistrationForm:
    data = posted(consent=None, **overrides)
    return RegistrationForm(data, forum=registration.forum, instance=registration)


def saved_registration(**fields) -> Registration:
    """A registration that looks saved (has a primary key) without touching the database."""
    forum = ForumFactory.build()
    details = {key: value for key, value in participant_details().items() if key != "consent"}
    return Registration(pk=1, forum=forum, consent=True, status=Registration.Status.WAITLISTED, **{**details, **fields})


# Consent.


@pytest.mark.parametrize("value", ["on", "true", "1", "True", "ON"])
def test_consent_is_given_by_the_values_meaning_yes(value):
    form = new_form(consent=value)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["consent"] is True


@pytest.mark.parametrize("value", ["no", "0", "false", "off", "", "yes please", None])
def test_consent_is_missing_unless_the_value_means_yes(value):
    form = new_form(consent=value)

    assert not form.is_valid()
    assert form.errors["consent"] == ["Registration needs your consent to the processing of your data."]


def test_consent_checkbox_renders_unticked_after_a_refused_value():
    html = str(new_form(consent="no")["consent"])

    assert "checked" not in html


# The sign-up button.


@pytest.mark.parametrize(
    ("value", "joins"),
    [("1", True), ("on", True), ("true", True), ("0", False), ("no", False), ("false", False), ("yes", False)],
)
def test_join_waitlist_is_set_only_by_the_values_meaning_yes(value, joins):
    form = SessionSignupForm({"join_waitlist": value})

    assert form.is_valid()
    assert form.cleaned_data["join_waitlist"] is joins


def test_join_waitlist_is_unset_when_not_posted():
    form = SessionSignupForm({})

    assert form.is_valid()
    assert form.cleaned_data["join_waitlist"] is False


# Category lock when editing.


def test_editing_locks_the_category_and_says_whom_to_ask():
    registration = saved_registration(category=Category.LOCAL_GOVERNMENT)

    form = edit_form(registration, category=Category.YOUTH)

    assert form.fields["category"].disabled
    assert form.fields["category"].help_text == "Write to the organizers to change your category."
    assert "disabled" in str(form["category"])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["category"] == Category.LOCAL_GOVERNMENT
    assert "consent" not in form.fields


def test_a_new_registration_chooses_its_category():
    form = new_form(category=Category.YOUTH)

    assert not form.fields["category"].disabled
    assert form.is_valid(), form.errors
    assert form.cleaned_data["category"] == Category.YOUTH


# Characters refused.


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b"])
def test_control_characters_are_refused_in_every_text_field(field, control):
    form = new_form(**{field: f"Ana{control}Pérez"})

    assert not form.is_valid()
    assert form.errors[field] == [CONTROL_MESSAGE]


@pytest.mark.parametrize("field", ONE_LINE_FIELDS)
@pytest.mark.parametrize("control", ["\n", "\t", "\r"])
def test_line_breaks_and_tabs_are_refused_in_one_line_fields(field, control):
    form = new_form(**{field: f"Ana{control}Pérez"})

    assert not form.is_valid()
    assert form.errors[field] == [CONTROL_MESSAGE]


def test_control_characters_at_the_ends_are_refused_too():
    form = new_form(city="Quito\x1f")

    assert form.errors["city"] == [CONTROL_MESSAGE]


def test_accessibility_needs_keep_line_breaks_and_tabs():
    form = new_form(accessibility_needs="Step-free access\r\nSign language:\tLSE")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["accessibility_needs"] == "Step-free access\nSign language:\tLSE"


def test_accessibility_needs_refuse_other_control_characters():
    form = new_form(accessibility_needs="Step-free access\r\n\x0bSign language")

    assert form.errors["accessibility_needs"] == [CONTROL_MESSAGE]


@pytest.mark.parametrize("field", ONE_LINE_FIELDS)
@pytest.mark.parametrize(
    "char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
)
def test_bidirectional_controls_are_refused_in_one_line_fields(field, char):
    form = new_form(**{field: f"Ana {char}zeréP"})

    assert not form.is_valid()
    assert form.errors[field] == [BIDI_MESSAGE]


@pytest.mark.parametrize("field", ["printed_name", "organization", "city"])
@pytest.mark.parametrize("value", ["   ", "\u200b", "\ufeff", " \u200b\u00a0\u2060 ", "\u200c\u200d", "\u3000"])
def test_required_fields_of_invisible_characters_count_as_empty(field, value):
    form = new_form(**{field: value})

    assert not form.is_valid()
    assert form.errors[field] == [REQUIRED_MESSAGE]


def test_an_optional_field_of_invisible_characters_is_saved_empty():
    form = new_form(position="\u200b\ufeff", accessibility_needs=" \u200b ")

    assert form.is_valid(), form.errors
    assert (form.cleaned_data["position"], form.cleaned_data["accessibility_needs"]) == ("", "")


@pytest.mark.parametrize(
    "name",
    [
        "José Ñúñez-Çağlar",
        "Ana 👩🏽‍💻 Pérez",  # ZWJ sequence inside an emoji
        "Family 👨‍👩‍👧‍👦",
        "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Ewan",  # tag sequence (format characters) of a subdivision flag
        "محمد العلي",
        "יוסי כהן",
        "زهرا\u200cسادات می\u200cخواهد",  # Persian: ZWNJ inside words
        "Дмитрий Иванов",
        "李小龍",
        "Ana\u200ePérez",  # left-to-right mark: a format character, not an override
    ],
)
def test_legitimate_names_are_kept_as_typed(name):
    form = new_form(printed_name=name, organization=name, city=name)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["printed_name"] == form.cleaned_data["organization"] == name


def test_accessibility_needs_are_limited_to_2000_characters():
    too_long = new_form(accessibility_needs="x" * 2001)
    longest = new_form(accessibility_needs="x" * 2000)

    assert too_long.errors["accessibility_needs"] == ["Ensure this value has at most 2000 characters (it has 2001)."]
    assert longest.is_valid(), longest.errors
    assert 'maxlength="2000"' in str(too_long["accessibility_needs"])


def test_line_breaks_count_once_towards_the_limit():
    form = new_form(accessibility_needs="x\r\n" * 1000)

    assert form.is_valid(), form.errors


@pytest.mark.parametrize("text", ["\u3164", "\uffa0", "\u2800", "\u0301\u0301", "\ue000", "\u0378", "\u034f"])
def test_names_that_look_blank_count_as_empty(text):
    assert is_blank(text)


@pytest.mark.parametrize("text", ["Ana\u2028Test", "Q\u2029uito", "\uffff", "Qui\ufffeto", "\ufdd0"])
def test_separators_and_noncharacters_are_refused(text):
    with pytest.raises(ValidationError, match="Remove the invisible control characters."):
        PlainTextField().clean(text)
