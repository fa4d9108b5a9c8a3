"""Spreadsheet exports of registrations for organizers (django-import-export), safe to open.

A value typed by a participant could start like a spreadsheet formula (``=HYPERLINK(…)``,
``+1``, ``@SUM(A1)``) and run when an organizer opens the file. ``neutralize`` gives
every such cell a leading apostrophe, as OWASP's CSV injection guidance recommends, so
it is read as text in CSV and stored as a plain string (never a formula) in XLSX.
django-import-export's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` only strips a
leading ``=``, which is not enough.
"""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from import_export import resources
from import_export.fields import Field

from registration.models import Registration, SessionSignup

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def neutralize(value):
    """``value`` with a leading apostrophe if it is a string a spreadsheet could run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


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
        signups = SessionSignup.objects.select_related("session").order_by("session__start", "session__title")
        return queryset.select_related("user", "forum").prefetch_related(Prefetch("signups", queryset=signups))

    def export_field(self, field, instance, **kwargs):
        """The exported value of ``field``, neutralized if it could run as a formula."""
        return neutralize(super().export_field(field, instance, **kwargs))

    def dehydrate_registered_at(self, registration: Registration) -> str:
        """When ``registration`` was made, ISO 8601 in its forum's time zone (to the second)."""
        return timezone.localtime(registration.created_at, registration.forum.tzinfo).isoformat(timespec="seconds")

    def dehydrate_sessions(self, registration: Registration) -> str:
        """The parallel sessions of ``registration``, in programme order, waitlisted ones marked."""
        return "; ".join(
            signup.session.title + (" (waitlist)" if signup.status == SessionSignup.Status.WAITLISTED else "")
            for signup in registration.signups.all()
        )
