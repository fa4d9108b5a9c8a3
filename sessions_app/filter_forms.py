"""Forms read from the query string of public programme pages: the programme's filters and
the preview time of the "now and next" screen.

Both are bound to ``request.GET`` and never stored; a value they refuse is reported on the
page and left out, the page still answers.
"""

from datetime import date, datetime, tzinfo

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from sessions_app.models import Session
from sessions_app.search import MAX_QUERY_LENGTH, FilterOptions, ProgrammeFilters

AT_FORMAT = "%Y-%m-%dT%H:%M"
"""How ``?at=`` gives a moment: forum-local date and time to the minute (HTML ``datetime-local``)."""


def _optional_int(value: str) -> int | None:
    return int(value) if value else None


def _optional_date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


class LongSelect(forms.Select):
    """A ``<select>`` printed in Python rather than through a template per ``<option>``.

    Django renders each option with its own template (``select_option.html``); the
    speaker filter of a 300-session forum has about 600 options, which made rendering
    them a fifth of the programme page's time. The markup is the same: the widget's
    attributes in their order (``True`` as a bare name, ``False`` left out, as
    ``django/forms/widgets/attrs.html``), then each option's value, ``selected`` and
    label, escaped.
    No option groups (the filters have none).
    """

    def render(self, name, value, attrs=None, renderer=None) -> str:
        """The ``<select>`` element for ``name`` with ``value`` selected; ``renderer`` is unused."""
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], mark_safe(" selected") if option["selected"] else "", option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        attributes = format_html_join(
            "",
            "{}",
            (
                (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
                for name, value in widget["attrs"].items()
                if value is not False
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', widget["name"], attributes, options)


def _id_field(label: str, unknown: str) -> forms.TypedChoiceField:
    """An optional choice among primary keys (set by the form), ``unknown`` the error for another value."""
    return forms.TypedChoiceField(
        label=label,
        required=False,
        coerce=_optional_int,
        empty_value=None,
        error_messages={"invalid_choice": unknown},
        widget=LongSelect,
    )


class ProgrammeFilterForm(forms.Form):
    """The programme's filters (GET ``q``, ``day``, ``kind``, ``theme``, ``room``,
    ``organization``, ``speaker``), each optional.

    Choices come from ``options`` (``search.FilterOptions``), so validating a value makes no
    query. An unknown value (a theme of another forum, ``day=2020-13-45``) or a search
    longer than ``MAX_QUERY_LENGTH`` is a field error; ``filters()`` then leaves that field
    out and keeps the others.
    """

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={
            "max_length": _("Search with at most %(limit_value)d characters (this search has %(show_value)d).")
        },
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title, objective, speaker, organization")}),
    )
    day = forms.TypedChoiceField(
        label=_("Day"),
        required=False,
        coerce=_optional_date,
        empty_value=None,
        error_messages={"invalid_choice": _("“%(value)s” is not a day of this forum.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[
            ("", _("Plenary and parallel")),
            (Session.Kind.PLENARY, _("Plenary sessions")),
            (Session.Kind.PARALLEL, _("Parallel sessions")),
        ],
        error_messages={"invalid_choice": _("“%(value)s” is not a kind of session.")},
    )
    theme = _id_field(_("Theme"), _("This theme is not one of this forum's."))
    room = _id_field(_("Room"), _("This room is not one of this forum's."))
    organization = _id_field(_("Organization"), _("This organization takes no part in this forum's sessions."))
    speaker = _id_field(_("Speaker"), _("This person does not speak in this forum's sessions."))

    def __init__(self, data, *, options: FilterOptions, **kwargs):
        """Bind ``data`` (the query string) with the choices of ``options``."""
        super().__init__(data, **kwargs)
        self.fields["day"].choices = [("", _("Every day"))] + [
            (day.isoformat(), date_format(day, "WEEKDAY_DAY_MONTH_FORMAT")) for day in options.days
        ]
        self.fields["theme"].choices = [("", _("Any theme"))] + [(str(t.pk), t.title) for t in options.themes]
        self.fields["room"].choices = [("", _("Any room"))] + [(str(r.pk), r.name) for r in options.rooms]
        self.fields["organization"].choices = [("", _("Any organization"))] + [
            (str(o.pk), str(o)) for o in options.organizations
        ]
        self.fields["speaker"].choices = [("", _("Anyone"))] + [(str(p.pk), p.name) for p in options.speakers]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.form_class = "programme-filters card card-body mb-3"
        self.helper.attrs = {"role": "search", "aria-label": _("Find a session")}
        narrow = "col-12 col-sm-6 col-lg-4"
        self.helper.layout = Layout(
            Row(Column("q", css_class="col-12")),
            Row(
                *(
                    Column(name, css_class=narrow)
                    for name in ("day", "kind", "theme", "room", "organization", "speaker")
                )
            ),
            StrictButton(_("Find sessions"), type="submit", css_class="btn-primary"),
        )

    def filters(self) -> ProgrammeFilters:
        """The valid filters given (call after ``is_valid()``); an invalid field filters nothing."""
        cleaned = self.cleaned_data
        return ProgrammeFilters(
            q=cleaned.get("q", ""),
            day=cleaned.get("day"),
            kind=cleaned.get("kind", ""),
            theme=cleaned.get("theme"),
            room=cleaned.get("room"),
            organization=cleaned.get("organization"),
            speaker=cleaned.get("speaker"),
        )


class NowNextForm(forms.Form):
    """``?at=YYYY-MM-DDTHH:MM``, a moment in the forum's time zone ``tz`` to preview the
    "now and next" screen at; empty means now. ``cleaned_data["at"]`` is an aware datetime
    or None."""

    at = forms.CharField(
        required=False,
        max_length=16,
        error_messages={"max_length": _("Give the time as YYYY-MM-DDTHH:MM, e.g. 2020-01-22T14:30.")},
    )

    def __init__(self, data, *, tz: tzinfo, **kwargs):
        """Bind ``data`` (the query string); times are read in ``tz``."""
        super().__init__(data, **kwargs)
        self.tz = tz

    def clean_at(self) -> datetime | None:
        """The moment as an aware datetime in ``tz``, or None when empty; a wall time skipped or
        repeated by a daylight-saving change takes the UTC offset in force before the change
        (``fold=0``). Raises ``ValidationError`` (code ``invalid``) if it does not follow
        ``AT_FORMAT``."""
        value = self.cleaned_data["at"]
        if not value:
            return None
        try:
            moment = datetime.strptime(value, AT_FORMAT)
        except ValueError:
            raise forms.ValidationError(
                _("“%(value)s” is not a time as YYYY-MM-DDTHH:MM, e.g. 2020-01-22T14:30."),
                code="invalid",
                params={"value": value},
            ) from None
        return moment.replace(tzinfo=self.tz)
