"""Participant registration: a forum's registration settings, registrations, parallel-session
sign-ups and the e-mail notifications they send.

Places are counted in ``registration.services``, under a row lock, never here: a model
method that counted and then wrote would race (see that module's docstring).
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from forum.models import FORUM_DATE_VALIDATORS, Forum
from forum.sanitize import SanitizedTextField
from sessions_app.models import Session


class Category(models.TextChoices):
    """Participant categories of a multi-stakeholder forum (the concept note's constituencies)."""

    LOCAL_GOVERNMENT = "local_government", _("Local government")
    NATIONAL_GOVERNMENT = "national_government", _("National government")
    INTERNATIONAL_ORGANIZATION = "international_organization", _("International organization")
    CIVIL_SOCIETY = "civil_society", _("Civil society")
    ACADEMIA = "academia", _("Academia")
    PRIVATE_SECTOR = "private_sector", _("Private sector")
    YOUTH = "youth", _("Youth")
    MEDIA = "media", _("Media")
    OTHER = "other", _("Other")


class Language(models.TextChoices):
    """Languages a participant can receive the forum's e-mails in (``settings.LANGUAGES``)."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


class RegistrationSettings(models.Model):
    """When and how many people can register for one forum.

    ``opens_on`` and ``closes_on`` are calendar days in the forum's time zone, both
    included: registration opens at 00:00 on ``opens_on`` and closes at 24:00 on
    ``closes_on``, local time. A forum without settings takes no registrations.
    """

    forum = models.OneToOneField(
        Forum, verbose_name=_("forum"), primary_key=True, on_delete=models.CASCADE, related_name="registration_settings"
    )
    opens_on = models.DateField(
        _("registration opens on"),
        validators=FORUM_DATE_VALIDATORS,
        help_text=_("From 00:00 on this day in the forum's time zone."),
    )
    closes_on = models.DateField(
        _("registration closes on"),
        validators=FORUM_DATE_VALIDATORS,
        help_text=_("Last day, included: until 24:00 in the forum's time zone."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Places at the forum; blank means no limit.")
    )
    requires_approval = models.BooleanField(
        _("organizers approve each registration"),
        default=False,
        help_text=_("Off: a registration with a free place is confirmed at once."),
    )

    class Meta:
        verbose_name = _("registration settings")
        verbose_name_plural = _("registration settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")),
                name="registration_closes_after_opening",
                violation_error_message=_("Registration cannot close before it opens."),
            ),
        ]

    def __str__(self) -> str:
        return f"Registration for {self.forum}"

    @property
    def opens_at(self) -> datetime:
        """The aware moment registration opens: 00:00 on ``opens_on`` in the forum's zone."""
        return datetime.combine(self.opens_on, time.min, tzinfo=self.forum.tzinfo)

    @property
    def closes_at(self) -> datetime:
        """The aware moment registration closes: 24:00 on ``closes_on`` in the forum's zone."""
        return datetime.combine(self.closes_on + timedelta(days=1), time.min, tzinfo=self.forum.tzinfo)

    def is_open(self, now: datetime | None = None) -> bool:
        """True while ``now`` (aware; default the current time) lies in [``opens_at``, ``closes_at``)."""
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at


class CategoryQuota(models.Model):
    """The most places participants of one category may hold at a forum.

    When a category's quota is taken, its next registrations are waitlisted even if the
    forum has room, so that the other constituencies keep their places.
    """

    settings = models.ForeignKey(
        RegistrationSettings, verbose_name=_("settings"), on_delete=models.CASCADE, related_name="quotas"
    )
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    places = models.PositiveIntegerField(_("places"))

    class Meta:
        verbose_name = _("category quota")
        verbose_name_plural = _("category quotas")
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(fields=["settings", "category"], name="quota_category_unique_per_forum"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.places}"


class RegistrationQuerySet(models.QuerySet):
    """Reads of registrations."""

    def holding_places(self) -> "RegistrationQuerySet":
        """Registrations that hold a place: confirmed, or submitted and awaiting approval."""
        return self.filter(status__in=Registration.HOLDING_PLACES)

    def waitlist(self) -> "RegistrationQuerySet":
        """Waitlisted registrations, first come first served."""
        return self.filter(status=Registration.Status.WAITLISTED).order_by("waitlisted_at", "pk")


class Registration(models.Model):
    """One participant's registration for one forum (at most one per user and forum).

    Status lifecycle: SUBMITTED (awaiting approval) → CONFIRMED or DECLINED by
    organizers; CONFIRMED at once when the forum needs no approval; WAITLISTED when the
    forum or the participant's category quota is full (promoted in ``waitlisted_at``
    order when a place frees); CANCELLED by the participant. Transitions happen only in
    ``registration.services``.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted, awaiting approval")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    HOLDING_PLACES = (Status.SUBMITTED, Status.CONFIRMED)

    forum = models.ForeignKey(Forum, verbose_name=_("forum"), on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="registrations"
    )
    printed_name = models.CharField(
        _("name as it should be printed"), max_length=200, help_text=_("On your badge and the attendance list.")
    )
    organization = models.CharField(_("organization"), max_length=255)
    position = models.CharField(_("position"), max_length=255, blank=True)
    category = models.CharField(_("participant category"), max_length=30, choices=Category.choices)
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=100)
    language = models.CharField(
        _("preferred language"),
        max_length=2,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text=_("The language of the e-mails we send you."),
    )
    accessibility_needs = SanitizedTextField(_("accessibility needs"), max_length=2000, blank=True)
    consent = models.BooleanField(_("consent to the processing of personal data"))
    consented_at = models.DateTimeField(_("consent given at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    waitlisted_at = models.DateTimeField(_("waitlisted at"), null=True, blank=True, editable=False)
    calendar_token = models.CharField(
        _("personal calendar key"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("Secret part of the personal calendar feed's URL; a new key revokes the old URL."),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["forum", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["forum", "user"], name="registration_one_per_user_and_forum"),
            models.CheckConstraint(condition=Q(consent=True), name="registration_requires_consent"),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlisted_at__isnull=False),
                name="registration_waitlist_has_time",
            ),
        ]
        indexes = [models.Index(fields=["forum", "status", "category"])]
        permissions = [("export_registration", "Can export registrations (personal data)")]

    def __str__(self) -> str:
        return f"{self.printed_name} ({self.forum})"

    @property
    def is_active(self) -> bool:
        """True unless the registration was declined or cancelled."""
        return self.status not in (self.Status.DECLINED, self.Status.CANCELLED)


class SessionSignupQuerySet(models.QuerySet):
    """Reads of session sign-ups."""

    def waitlist(self) -> "SessionSignupQuerySet":
        """Waitlisted sign-ups, first come first served."""
        return self.filter(status=SessionSignup.Status.WAITLISTED).order_by("waitlisted_at", "pk")


class SessionSignup(models.Model):
    """A confirmed participant's seat (or waitlist place) in one parallel session.

    At most one per registration and session (database constraint). The rules that
    need several rows (capacity, one sign-up among overlapping sessions) are kept by
    ``registration.services.session_sign_up`` under row locks.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")

    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="signups"
    )
    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="signups")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    waitlisted_at = models.DateTimeField(_("waitlisted at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)

    objects = SessionSignupQuerySet.as_manager()

    class Meta:
        verbose_name = _("session sign-up")
        verbose_name_plural = _("session sign-ups")
        ordering = ["session", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "session"], name="signup_one_per_registration_and_session"),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlisted_at__isnull=False),
                name="signup_waitlist_has_time",
            ),
        ]
        indexes = [models.Index(fields=["session", "status"])]

    def __str__(self) -> str:
        return f"{self.registration.printed_name} in {self.session}"


class Notification(models.Model):
    """An e-mail owed to a participant, written in the same transaction as the change it reports.

    The task ``registration.send_notification`` sends it after commit and stamps
    ``sent_at`` under a row lock, so a retried or duplicated task never sends it twice.

    ``queued_at`` (UTC) is when the e-mail's task was last handed to the broker: set as the
    row is written, its publish following on commit, and emptied if that publish is refused
    (the broker down); set again by each ``requeue_unsent_notifications`` that queues it.
    ``attempts`` counts the deliveries of that task that ended in an error, each one the
    first try and Celery's quick retries (``send_notification``). The row is given up,
    never queued again, once ``attempts`` reaches ``services.MAX_SEND_ATTEMPTS`` or when
    it was written more than ``services.UNSENT_GIVE_UP_AFTER`` ago; the index
    ``notification_unsent_idx`` covers only the rows without ``sent_at``, which the
    requeue reads.
    """

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Registration received")
        CONFIRMED = "confirmed", _("Registration confirmed")
        DECLINED = "declined", _("Registration declined")
        WAITLISTED = "waitlisted", _("Registration waitlisted")
        PROMOTED = "promoted", _("Promoted from the waitlist")
        CANCELLED = "cancelled", _("Registration cancelled")
        SESSION_CONFIRMED = "session_confirmed", _("Session sign-up confirmed")
        SESSION_WAITLISTED = "session_waitlisted", _("Session waitlist joined")
        SESSION_PROMOTED = "session_promoted", _("Promoted from a session's waitlist")
        SESSION_CHANGED = "session_changed", _("Session changed in a programme release")
        REMINDER = "reminder", _("Forum reminder")

    SESSION_KINDS = (Kind.SESSION_CONFIRMED, Kind.SESSION_WAITLISTED, Kind.SESSION_PROMOTED, Kind.SESSION_CHANGED)

    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    session = models.ForeignKey(
        Session, verbose_name=_("session"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    release = models.ForeignKey(
        "sessions_app.ProgrammeRelease",
        verbose_name=_("release"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text=_("For “session changed”: the release whose changes the e-mail reports."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    queued_at = models.DateTimeField(
        _("queued at"),
        null=True,
        blank=True,
        help_text=_("When the e-mail was last handed to the task queue; empty if the queue refused it."),
    )
    attempts = models.PositiveSmallIntegerField(
        _("failed attempts"),
        default=0,
        help_text=_("How many times sending the e-mail failed; once the limit is reached it is no longer tried."),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "pk"]
        indexes = [
            # The requeue's rows: unsent (a small share of the table), written in the last 2 days.
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="notification_unsent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__startswith="session_", session__isnull=False)
                | (~Q(kind__startswith="session_") & Q(session__isnull=True)),
                name="notification_session_matches_kind",
            ),
            # One reminder per registration, however often the scheduled task runs.
            models.UniqueConstraint(
                fields=["registration"], condition=Q(kind="reminder"), name="notification_one_reminder_per_registration"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.registration.user}"
