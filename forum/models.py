"""Event core: user accounts, forums (editions), organizations, people and rooms."""

import uuid
import zoneinfo
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from forum.photos import validate_photo
from forum.sanitize import SanitizedTextField


class UserManager(BaseUserManager):
    """Creates users identified by e-mail address (no usernames)."""

    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """``email`` stripped and lower-cased whole, as allauth compares addresses."""
        return (email or "").strip().lower()

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        """Create a participant account; ``password=None`` makes it unusable."""
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        """Create an organizer account with every admin permission."""
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in, identified by a case-insensitively unique e-mail address."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        """Store the address lower-cased (see ``save``)."""
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    def save(self, *args, **kwargs) -> None:
        """Save with ``email`` lower-cased whole: allauth looks addresses up lower-cased, so
        an account stored as ``Ana@x.org`` could not sign in as ``ana@x.org``."""
        self.email = UserManager.normalize_email(self.email)
        super().save(*args, **kwargs)


NOT_PLACE_ZONES = frozenset({"Factory", "localtime", "posixrules"})
"""Files of the time zone database that are no place's zone: ``Factory`` marks an unset
zone, ``localtime`` is the server's own zone, ``posixrules`` a template of rules."""


@cache
def place_time_zones() -> frozenset[str]:
    """The IANA time zone names (tzdata) a forum may use: every zone but ``NOT_PLACE_ZONES``."""
    return frozenset(zoneinfo.available_timezones()) - NOT_PLACE_ZONES


def validate_time_zone(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is in ``place_time_zones``."""
    if value not in place_time_zones():
        raise ValidationError(
            _("“%(value)s” is not an IANA time zone name such as America/Guayaquil."),
            code="invalid_time_zone",
            params={"value": value},
        )


class Organization(models.Model):
    """An organization that hosts, organizes or is represented at a forum."""

    class Kind(models.TextChoices):
        LOCAL_GOVERNMENT = "local_government", _("Local government")
        NATIONAL_GOVERNMENT = "national_government", _("National government")
        UN_AGENCY = "un_agency", _("UN agency")
        INTERGOVERNMENTAL = "intergovernmental", _("Intergovernmental organization")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        FOUNDATION = "foundation", _("Foundation")
        ACADEMIA = "academia", _("Academia")
        PRIVATE_SECTOR = "private_sector", _("Private sector")
        OTHER = "other", pgettext_lazy("organization kind", "Other")

    name = models.CharField(_("name"), max_length=255, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    acronym = models.CharField(_("acronym"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.OTHER)
    country = models.CharField(_("country"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class Person(models.Model):
    """A speaker, facilitator, rapporteur or participant named in a forum's programme.

    ``position`` and ``organization`` are the defaults; each appearance on an agenda
    carries its own printed position and affiliation (``sessions_app.SpeakerRole``).
    """

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    guid = models.UUIDField(
        _("GUID"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Stable identity in schedule exchange files (frab/pretalx person guid)."),
    )
    position = models.CharField(_("position"), max_length=255, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    country = models.CharField(_("country"), max_length=100, blank=True)
    bio = SanitizedTextField(_("short bio"), blank=True)
    photo = models.ImageField(
        _("photo"),
        upload_to="people/",
        blank=True,
        validators=[validate_photo],
        help_text=_("A portrait shown on the speaker's page: JPEG, PNG or WebP, at most 5 MB."),
    )
    user = models.OneToOneField(
        "forum.User", verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )

    class Meta:
        verbose_name = _("person")
        ordering = ["name"]
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name

    @property
    def position_line(self) -> str:
        """Default position and organization as lists print them, e.g. "Roi Chiti" → "UN-Habitat".

        The organization is left out when the position already names it (by name or
        acronym), so "UNDP Resident Representative in Ecuador" is not followed by UNDP
        again. Needs ``organization`` loaded (``select_related``) to avoid a query.
        """
        organization = self.organization
        parts = [self.position]
        if organization and not any(
            label and label in self.position for label in (organization.name, organization.acronym)
        ):
            parts.append(str(organization))
        return ", ".join(part for part in parts if part)


FORUM_DATE_VALIDATORS = [
    MinValueValidator(date(1900, 1, 1), message=_("Give a date from the year 1900 on.")),
    MaxValueValidator(date(2999, 12, 31), message=_("Give a date before the year 3000.")),
]
MAX_FORUM_DAYS = 31
"""The longest a forum may last, in days (a forum is an event, not a season)."""


class Forum(models.Model):
    """One edition of a forum, e.g. the 6th Mayoral Forum in Quito on 22 January 2020.

    Dates are calendar dates in the forum's own ``time_zone`` (an IANA name); session
    times are stored in UTC and shown in that zone.
    """

    edition = models.PositiveSmallIntegerField(
        _("edition"),
        validators=[MinValueValidator(1, message=_("Editions are numbered from %(limit_value)s."))],
        help_text=_("Edition number, e.g. 6 for the 6th forum."),
    )
    title = models.CharField(_("title"), max_length=255)
    theme = models.CharField(_("theme"), max_length=255, blank=True, help_text=_("Title or theme of this edition."))
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=100)
    venue = models.CharField(_("venue"), max_length=255, blank=True)
    start_date = models.DateField(_("start date"), validators=FORUM_DATE_VALIDATORS)
    end_date = models.DateField(_("end date"), validators=FORUM_DATE_VALIDATORS)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("IANA time zone in which the forum's times are given, e.g. America/Guayaquil."),
    )
    description = SanitizedTextField(
        _("description"), blank=True, help_text=_("Introduction; blank lines separate paragraphs.")
    )
    host_organizations = models.ManyToManyField(
        Organization, verbose_name=_("host organizations"), blank=True, related_name="hosted_forums"
    )
    part_of = models.CharField(
        _("part of"), max_length=255, blank=True, help_text=_("The larger event this forum belongs to.")
    )
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="forum_end_date_not_before_start",
                violation_error_message=_("The forum cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """Check the dates against each other and, for a saved forum, against its sessions.

        Raises ``ValidationError`` on ``end_date`` when the forum ends before it starts
        (code ``end_before_start``) or lasts more than ``MAX_FORUM_DAYS`` (``too_long``);
        dates outside 1900–2999 are left to the fields' validators. Otherwise, a session that would start before
        ``start_date`` or end after ``end_date`` (days in ``time_zone``, as posted) is
        an error on that date (code ``session_outside``) naming the session and its day.
        """
        if not (self.start_date and self.end_date):
            return
        for validate in FORUM_DATE_VALIDATORS:
            try:
                validate(self.start_date)
                validate(self.end_date)
            except ValidationError:
                return  # the fields' validators report it
        if self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": ValidationError(_("The forum cannot end before it starts."), code="end_before_start")}
            )
        if (self.end_date - self.start_date).days >= MAX_FORUM_DAYS:
            raise ValidationError(
                {
                    "end_date": ValidationError(
                        _("A forum lasts at most %(days)s days."), code="too_long", params={"days": MAX_FORUM_DAYS}
                    )
                }
            )
        if self.pk is None:
            return
        try:
            zone = self.tzinfo
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return  # the time_zone field's validator reports it
        opens = datetime.combine(self.start_date, time.min, tzinfo=zone)
        closes = datetime.combine(self.end_date + timedelta(days=1), time.min, tzinfo=zone)
        errors = {}
        early = self.sessions.filter(start__lt=opens).order_by("start").first()
        if early:
            errors["start_date"] = _session_outside("starts", early.title, early.start.astimezone(zone))
        late = self.sessions.filter(end__gt=closes).order_by("-end").first()
        if late:
            errors["end_date"] = _session_outside("ends", late.title, late.end.astimezone(zone))
        if errors:
            raise ValidationError(errors)

    @property
    def tzinfo(self) -> tzinfo:
        """The forum's time zone as a ``zoneinfo.ZoneInfo``."""
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def days(self) -> list[date]:
        """Every calendar day of the forum, ``start_date`` to ``end_date``."""
        return [self.start_date + timedelta(days=n) for n in range((self.end_date - self.start_date).days + 1)]

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The aware moments at which ``day`` begins and the next day begins, in the forum's time zone."""
        return (
            datetime.combine(day, time.min, tzinfo=self.tzinfo),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.tzinfo),
        )


_SESSION_OUTSIDE = {
    "starts": _("The session “%(title)s” starts on %(day)s, outside these dates. Move or delete it first."),
    "ends": _("The session “%(title)s” ends on %(day)s, outside these dates. Move or delete it first."),
}


def _session_outside(verb: str, title: str, moment: datetime) -> ValidationError:
    """The error for session ``title`` that ``verb`` ("starts"/"ends") at the local ``moment``,
    its day printed in the active language ("Wed 22 Jan 2020", "mié 22 ene 2020")."""
    return ValidationError(
        _SESSION_OUTSIDE[verb],
        code="session_outside",
        params={"title": title, "day": date_format(moment, "SHORT_WEEKDAY_DATE_FORMAT")},
    )


ROOM_NAME_TAKEN = _("This forum already has a room with this name.")


class Room(models.Model):
    """A room of the forum's venue, with an optional seated capacity.

    Names are unique within a forum regardless of case ("Sala 1" and "sala 1" clash).
    """

    forum = models.ForeignKey(Forum, verbose_name=_("forum"), on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "forum",
                name="room_name_ci_unique_per_forum",
                violation_error_message=ROOM_NAME_TAKEN,
            ),
        ]

    def __str__(self) -> str:
        return self.name
