"""Spreadsheet exports of registrations for organizers (django-import-export), safe to open.

Participants type most of the values, and two kinds of them could hurt the file:

* A value could start like a spreadsheet formula (``=HYPERLINK(…)``, ``+1``,
  ``@SUM(A1)``) and run when an organizer opens the file. ``neutralize`` gives every
  such cell a leading apostrophe, as OWASP's CSV injection guidance recommends, so it
  is read as text in CSV and stored as a plain string (never a formula) in XLSX.
  django-import-export's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` only strips a
  leading ``=``, which is not enough.
* A control character (``\\x01``, an escape sequence, a backspace) cannot be written to
  XLSX at all (openpyxl raises ``IllegalCharacterError`` and the export fails for
  everyone) and is garbage in CSV. ``neutralize`` strips them, all but tab, line feed
  and carriage return (the line breaks of a text area); rows stored before the forms
  refused them still export.

CSV files are written for Excel, which reads UTF-8 only after a byte-order mark
(``ExcelCSV``); XLSX files have a sheet named "Registrations".
"""

import re
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm

from registration.models import Registration, SessionSignup

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""

CONTROL_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)
"""C0 and C1 control characters and DEL (except tab, line feed and carriage return), the
bidirectional embeddings, overrides and isolates, line and paragraph separators, the
noncharacters of the Basic Multilingual Plane and lone surrogates: what XLSX (XML) cannot
hold or what would disguise a cell. (Rows stored before the form refused them.)"""


def neutralize(value):
    """``value`` safe for a spreadsheet cell: control characters stripped (see
    ``CONTROL_CHARACTERS``), then a leading apostrophe if it could run as a formula.

    Values that are not strings are returned unchanged.
    """
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("", value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def signups_in_programme_order() -> Prefetch:
    """Prefetch of each registration's ``signups`` with their sessions, in programme order (one query)."""
    signups = SessionSignup.objects.select_related("session").order_by("session__start", "session__title")
    return Prefetch("signups", queryset=signups)


def session_titles(signups: Iterable[SessionSignup]) -> str:
    """The titles of the sessions of ``signups``, "; "-separated, "(waitlist)" after the waitlisted ones."""
    return "; ".join(
        signup.session.title + (" (waitlist)" if signup.status == SessionSignup.Status.WAITLISTED else "")
        for signup in signups
    )


class ExcelCSV(base_formats.CSV):
    """CSV as Excel opens it: UTF-8 with a byte-order mark, the charset named in the content type.

    Without the mark Excel reads the file in the system's code page ("NÃºÃ±ez").
    The export returns bytes, so the admin's ``to_encoding`` does not apply.
    """

    CONTENT_TYPE = "text/csv; charset=utf-8"

    def __init__(self, encoding: str = "utf-8-sig"):
        super().__init__(encoding)

    def is_binary(self) -> bool:
        """True: ``export_data`` returns the encoded bytes."""
        return True

    def export_data(self, dataset, **kwargs) -> bytes:
        """``dataset`` as CSV, encoded (with a byte-order mark by default)."""
        return super().export_data(dataset, **kwargs).encode(self.encoding)


class ColumnLabelledExportForm(SelectableFieldsExportForm):
    """The export form, each column's checkbox labelled with the column's name ("Name", not
    "Printed Name (Name)")."""

    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        return field.column_name if field is not None else super()._get_field_label(resource, field_name)


class RegistrationResource(resources.ModelResource):
    """One row per registration: the participant's details, status, time and parallel sessions.

    Export only (the admin offers no import). Category, language and status are their
    labels, the country its name, the registration time ISO 8601 in the forum's time
    zone, and the sessions a "; "-separated list of titles, "(waitlist)" after those
    the participant is waiting for. Every cell goes through ``neutralize``.
    """

    printed_name = Field(attribute="printed_name", column_name="Name")
    email = Field(attribute="user__email", column_name="E-mail")
    organization = Field(attribute="organization", column_name="Organization")
    position = Field(attribute="position", column_name="Position")
    category = Field(attribute="get_category_display", column_name="Category")
    country = Field(attribute="country__name", column_name="Country")
    city = Field(attribute="city", column_name="City")
    language = Field(attribute="get_language_display", column_name="Language")
    accessibility_needs = Field(attribute="accessibility_needs", column_name="Accessibility needs")
    status = Field(attribute="get_status_display", column_name="Status")
    registered_at = Field(column_name="Registered at (forum time)")
    sessions = Field(column_name="Parallel sessions")

    class Meta:
        model = Registration
        name = "Registrations"
        fields = (
            "printed_name",
            "email",
            "organization",
            "position",
            "category",
            "country",
            "city",
            "language",
            "accessibility_needs",
            "status",
            "registered_at",
            "sessions",
        )
        export_order = fields

    def filter_export(self, queryset: QuerySet, **kwargs) -> QuerySet:
        """``queryset`` with the rows each export line reads, in a constant number of queries."""
        return queryset.select_related("user", "forum").prefetch_related(signups_in_programme_order())

    def after_export(self, queryset, dataset, **kwargs) -> None:
        """Name the dataset "Registrations", which is the XLSX sheet's title."""
        dataset.title = self.get_display_name()

    def export_field(self, field, instance, **kwargs):
        """The exported value of ``field``, made safe by ``neutralize``."""
        return neutralize(super().export_field(field, instance, **kwargs))

    def dehydrate_registered_at(self, registration: Registration) -> str:
        """When ``registration`` was made, ISO 8601 in its forum's time zone (to the second)."""
        return timezone.localtime(registration.created_at, registration.forum.tzinfo).isoformat(timespec="seconds")

    def dehydrate_sessions(self, registration: Registration) -> str:
        """The parallel sessions of ``registration``, in programme order, waitlisted ones marked."""
        return session_titles(registration.signups.all())
