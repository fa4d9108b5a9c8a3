"""Sessions of a forum and what the concept note says about each of them.

A session (plenary or parallel) has an objective, organizers, a context with numbered
footnotes (``Reference``), a methodology, ordered key questions, an expected result and
an agenda of timed items whose people appear in ordered speaker roles. Times are aware
datetimes stored in UTC and shown in the forum's time zone.
"""

import re
import uuid
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from forum.models import Forum, Organization, Person, Room
from forum.sanitize import SanitizedTextField
from sessions_app.scheduling import lies_within, local_days

MAX_NUMBER = 999
"""The highest order or footnote number a row may have.

Numbers above it stay free, so an admin formset can park the rows it renumbers there
(``sessions_app.forms.NumberedInlineFormSet``) without leaving the column's range.
"""

FOOTNOTE_MARKER = re.compile(r"\[\^([1-9][0-9]*)\]")
"""A footnote marker in a session's context: ``[^N]``, N written without leading zeros.

Anything else in square brackets ("[^0001]", "[^x]") is plain text, not a marker.
"""

PERSON_CLASH = _("%(person)s is already booked in the concurrent session “%(session)s”.")
"""The error for a person on the agenda who is booked elsewhere at the same time."""

_OUTSIDE_FORUM = {
    "start": _("The session starts on %(day)s, outside the forum's dates (%(dates)s)."),
    "end": _("The session ends on %(day)s, outside the forum's dates (%(dates)s)."),
}

validate_number = MaxValueValidator(MAX_NUMBER, message=_("Use a number up to %(limit_value)s."))


class Theme(models.Model):
    """A theme under which a forum's parallel sessions are grouped."""

    forum = models.ForeignKey(Forum, verbose_name=_("forum"), on_delete=models.CASCADE, related_name="themes")
    title = models.CharField(_("title"), max_length=255)
    order = models.PositiveSmallIntegerField(_("order"), default=1, validators=[validate_number])

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["forum", "order"]
        constraints = [
            models.UniqueConstraint(fields=["forum", "title"], name="theme_title_unique_per_forum"),
        ]

    def __str__(self) -> str:
        return self.title


class SessionQuerySet(models.QuerySet):
    """Reads of sessions, named by what the page needs."""

    def overlapping(self, start: datetime, end: datetime) -> "SessionQuerySet":
        """Sessions whose [start, end) interval intersects [``start``, ``end``) (aware datetimes)."""
        return self.filter(start__lt=end, end__gt=start)

    def for_programme(self) -> "SessionQuerySet":
        """Sessions in time order with theme, room and organizers loaded."""
        return (
            self.select_related("theme", "room")
            .prefetch_related(
                Prefetch(
                    "organizers",
                    queryset=SessionOrganizer.objects.select_related("organization"),
                    to_attr="organizer_list",
                )
            )
            .order_by("start", "theme__order", "title")
        )

    def for_session_page(self) -> "SessionQuerySet":
        """Sessions with everything their page and agenda PDF print, in a fixed number of queries."""
        return self.select_related("forum", "theme", "room").prefetch_related(
            Prefetch("key_questions", queryset=KeyQuestion.objects.order_by("order"), to_attr="key_question_list"),
            Prefetch("references", queryset=Reference.objects.order_by("number"), to_attr="reference_list"),
            Prefetch(
                "organizers",
                queryset=SessionOrganizer.objects.select_related("organization"),
                to_attr="organizer_list",
            ),
            Prefetch(
                "agenda_items",
                queryset=AgendaItem.objects.order_by("order").prefetch_related(
                    Prefetch(
                        "speaker_roles",
                        queryset=SpeakerRole.objects.select_related("person", "organization").order_by("order"),
                        to_attr="speaker_role_list",
                    )
                ),
                to_attr="agenda_item_list",
            ),
        )


class Session(models.Model):
    """A plenary or parallel session of a forum, as its concept note describes it.

    ``start`` and ``end`` are aware datetimes (stored in UTC); enter and show them in
    ``forum.time_zone``. ``context`` is plain text: blank lines separate paragraphs and
    ``[^N]`` marks footnote N, whose citation is the session's ``Reference`` number N.
    """

    class Kind(models.TextChoices):
        PLENARY = "plenary", _("Plenary session")
        PARALLEL = "parallel", _("Parallel session")

    forum = models.ForeignKey(Forum, verbose_name=_("forum"), on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PARALLEL)
    theme = models.ForeignKey(
        Theme, verbose_name=_("theme"), null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=100)
    guid = models.UUIDField(
        _("GUID"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Stable identity across exports, imports and calendar UIDs (frab event guid)."),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    is_cancelled = models.BooleanField(
        _("cancelled"),
        default=False,
        help_text=_("A cancelled session stays listed, marked cancelled, and takes no more sign-ups."),
    )
    room = models.ForeignKey(
        Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Places for participants; blank means the room's capacity.")
    )
    objective = SanitizedTextField(_("objective"), blank=True)
    context = SanitizedTextField(
        _("context and justification"),
        blank=True,
        help_text=_("Blank lines separate paragraphs; write [^1] where footnote 1 (a reference below) is cited."),
    )
    methodology = SanitizedTextField(_("methodology"), blank=True)
    expected_result = SanitizedTextField(_("expected result"), blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["start", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="session_end_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.UniqueConstraint(fields=["forum", "slug"], name="session_slug_unique_per_forum"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def cited_footnotes(self) -> set[int]:
        """The footnote numbers that ``context`` cites with ``FOOTNOTE_MARKER``s."""
        return {int(number) for number in FOOTNOTE_MARKER.findall(self.context or "")}

    @property
    def is_plenary(self) -> bool:
        """True for a plenary session (shown full width in the programme)."""
        return self.kind == self.Kind.PLENARY

    def clean(self) -> None:
        """Check times, theme and room against the forum and the rest of the programme.

        Raises ``ValidationError`` on the offending field when the session ends before
        it starts (``end``); starts or ends on a day outside the forum's ``start_date``
        to ``end_date`` (``start``, ``end``: code ``outside_forum``) or ends on another
        day than it starts (``end``: ``not_same_day``), days being taken in the forum's
        time zone; its theme or room belongs to another forum (``theme``, ``room``);
        its room already holds another session at an overlapping time (``room``); or
        one of the people on its agenda is booked in another session at an overlapping
        time (``start``: the session was moved onto their other booking).
        """
        errors: dict[str, ValidationError] = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = ValidationError(_("A session must end after it starts."), code="end_before_start")
        if self.forum_id and self.start and self.end and "end" not in errors:
            errors.update(self._day_errors())
        if self.forum_id and self.theme_id and self.theme.forum_id != self.forum_id:
            errors["theme"] = ValidationError(_("This theme belongs to another forum."), code="wrong_forum")
        if self.forum_id and self.room_id and self.room.forum_id != self.forum_id:
            errors["room"] = ValidationError(_("This room belongs to another forum."), code="wrong_forum")
        if self.start and self.end and "end" not in errors:
            if self.room_id and "room" not in errors:
                clash = (
                    Session.objects.filter(room_id=self.room_id)
                    .exclude(pk=self.pk)
                    .overlapping(self.start, self.end)
                    .first()
                )
                if clash:
                    errors["room"] = ValidationError(
                        _("%(room)s is already used by “%(session)s” at that time."),
                        code="room_clash",
                        params={"room": self.room.name, "session": clash.title},
                    )
            if self.pk:
                booked = SpeakerRole.objects.concurrent_with(self).filter(
                    person_id__in=SpeakerRole.objects.filter(agenda_item__session_id=self.pk).values("person_id")
                )
                clash = booked.first()
                if clash:
                    errors["start"] = ValidationError(
                        PERSON_CLASH,
                        code="person_clash",
                        params={"person": clash.person.name, "session": clash.agenda_item.session.title},
                    )
        if errors:
            raise ValidationError(errors)

    def _day_errors(self) -> dict[str, ValidationError]:
        """Errors on ``start``/``end`` for days (in the forum's zone) outside the forum's
        dates, or on ``end`` for a session that ends on another day than it starts."""
        forum = self.forum
        start_day, end_day = local_days((self.start, self.end), forum.tzinfo)
        dates = _day_label(forum.start_date)
        if forum.end_date != forum.start_date:
            dates = _("%(start)s to %(end)s") % {"start": dates, "end": _day_label(forum.end_date)}
        errors = {}
        for field, day in (("start", start_day), ("end", end_day)):
            if not forum.start_date <= day <= forum.end_date:
                errors[field] = ValidationError(
                    _OUTSIDE_FORUM[field],
                    code="outside_forum",
                    params={"day": _day_label(day), "dates": dates},
                )
        if "end" not in errors and end_day != start_day:
            errors["end"] = ValidationError(
                _("A session must end on the day it starts (%(day)s)."),
                code="not_same_day",
                params={"day": _day_label(start_day)},
            )
        return errors


class KeyQuestion(models.Model):
    """One of a session's numbered key questions; ``order`` is its number."""

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="key_questions"
    )
    order = models.PositiveSmallIntegerField(_("order"), validators=[validate_number])
    text = SanitizedTextField(_("text"))

    class Meta:
        verbose_name = _("key question")
        verbose_name_plural = _("key questions")
        ordering = ["session", "order"]
        constraints = [
            models.UniqueConstraint(fields=["session", "order"], name="key_question_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.text}"


class Reference(models.Model):
    """Footnote ``number`` of a session's context, with its citation text."""

    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="references")
    number = models.PositiveSmallIntegerField(_("number"), validators=[validate_number])
    citation = SanitizedTextField(_("citation"))

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        ordering = ["session", "number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="reference_number_unique"),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.citation}"


class SessionOrganizer(models.Model):
    """An organization that organizes or coordinates a session."""

    class Role(models.TextChoices):
        ORGANIZER = "organizer", _("Organizer")
        COORDINATOR = "coordinator", _("Coordinator")
        PARTNER = "partner", _("Partner")

    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="organizers")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="organized_sessions"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ORGANIZER)
    order = models.PositiveSmallIntegerField(_("order"), default=1, validators=[validate_number])

    class Meta:
        verbose_name = _("session organizer")
        verbose_name_plural = _("session organizers")
        ordering = ["session", "order"]
        constraints = [
            models.UniqueConstraint(fields=["session", "organization"], name="session_organizer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} #{self.order}"


class AgendaItem(models.Model):
    """A timed item of a session's agenda (aware datetimes, shown in the forum's zone)."""

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="agenda_items"
    )
    order = models.PositiveSmallIntegerField(_("order"), validators=[validate_number])
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    title = models.CharField(_("title"), max_length=300)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["session", "order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="agenda_item_end_after_start",
                violation_error_message=_("An agenda item must end after it starts."),
            ),
            models.UniqueConstraint(fields=["session", "order"], name="agenda_item_order_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """Refuse an item that ends before it starts (on ``end``) or that lies outside its
        session's times (on ``start`` and/or ``end``, whichever is outside). Raises
        ``ValidationError``.

        Overlaps between sibling items are not checked here: they depend on the whole
        agenda being saved, so the admin forms check them with
        ``sessions_app.scheduling.overlapping_pairs`` / ``overlapping``.
        """
        if not (self.start and self.end):
            return
        if self.end <= self.start:
            raise ValidationError(
                {"end": ValidationError(_("An agenda item must end after it starts."), code="end_before_start")}
            )
        session = _related_or_none(self, "session")
        if session is None or not (session.start and session.end) or session.end <= session.start:
            return
        if lies_within((self.start, self.end), (session.start, session.end)):
            return
        error = ValidationError(
            _("The agenda item must lie within its session (%(times)s)."),
            code="outside_session",
            params={"times": _local_times(session)},
        )
        errors = {}
        if not session.start <= self.start < session.end:
            errors["start"] = error
        if not session.start < self.end <= session.end:
            errors["end"] = error
        raise ValidationError(errors)


def _related_or_none(instance: models.Model, name: str) -> models.Model | None:
    """The related object ``name`` of ``instance`` (possibly unsaved, as in an inline form), or None."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def _day_label(day: date) -> str:
    """``day`` as printed in messages in the active language, e.g. "Wed 22 Jan 2020" ("mié 22 ene 2020")."""
    return date_format(day, "SHORT_WEEKDAY_DATE_FORMAT")


def _local_times(session: Session) -> str:
    """The session's day and times in its forum's zone (the current zone if no forum is set
    yet), e.g. "Wed 22 Jan 2020, 14:00–16:30"."""
    forum = _related_or_none(session, "forum")
    zone = forum.tzinfo if forum is not None else timezone.get_current_timezone()
    start, end = session.start.astimezone(zone), session.end.astimezone(zone)
    return f"{_day_label(start.date())}, {start:%H:%M}–{end:%H:%M}"


class SpeakerRoleQuerySet(models.QuerySet):
    """Reads of speaker roles, named by the check or page that needs them."""

    def concurrent_with(self, session: Session) -> "SpeakerRoleQuerySet":
        """Roles in sessions other than ``session`` whose times overlap ``session.start``–``session.end``,
        with their person and session loaded."""
        return (
            self.filter(agenda_item__session__start__lt=session.end, agenda_item__session__end__gt=session.start)
            .exclude(agenda_item__session_id=session.pk)
            .select_related("person", "agenda_item__session")
        )

    def concurrent_for_person(self, person_id: int, session: Session) -> "SpeakerRoleQuerySet":
        """Roles of ``person_id`` in sessions other than ``session`` that overlap its times."""
        return self.concurrent_with(session).filter(person_id=person_id)


class SpeakerRole(models.Model):
    """An appearance on an agenda item: a person or a named group, in a role.

    ``position`` and ``affiliation`` are printed as given for this appearance (the same
    person may be printed differently in two items). ``organization`` optionally links
    the appearance to an ``Organization`` for the organizations list.
    """

    class Role(models.TextChoices):
        SPEAKER = "speaker", _("Speaker")
        FACILITATOR = "facilitator", _("Facilitator")
        RAPPORTEUR = "rapporteur", _("Session rapporteur")
        RAPPORTEURSHIP = "rapporteurship", _("Rapporteurship")
        PANELIST = "panelist", _("Panelist")
        PARTICIPANT = "participant", _("Participant")

    agenda_item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), on_delete=models.CASCADE, related_name="speaker_roles"
    )
    order = models.PositiveSmallIntegerField(_("order"), validators=[validate_number])
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SPEAKER)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="speaker_roles"
    )
    group_name = models.CharField(
        _("named group"),
        max_length=255,
        blank=True,
        help_text=_("Instead of a person, a group such as “Youth representatives in the Forum”."),
    )
    position = models.CharField(
        _("position"), max_length=255, blank=True, help_text=_("Position as printed for this appearance.")
    )
    affiliation = models.CharField(
        _("affiliation"), max_length=255, blank=True, help_text=_("Affiliation as printed for this appearance.")
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="speaker_roles",
    )

    objects = SpeakerRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("speaker role")
        verbose_name_plural = _("speaker roles")
        ordering = ["agenda_item", "order"]
        constraints = [
            models.UniqueConstraint(fields=["agenda_item", "order"], name="speaker_role_order_unique"),
            models.UniqueConstraint(
                fields=["agenda_item", "person", "role"],
                condition=Q(person__isnull=False),
                name="speaker_role_person_role_unique",
                violation_error_message=_("This person already has this role in this agenda item."),
            ),
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(group_name="")) | (Q(person__isnull=True) & ~Q(group_name="")),
                name="speaker_role_person_xor_group",
                violation_error_message=_("Give either a person or a named group, not both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} #{self.order}"

    @property
    def display_name(self) -> str:
        """The person's name or the group's name (needs ``person`` loaded)."""
        return self.person.name if self.person_id else self.group_name

    @property
    def printed_affiliation(self) -> str:
        """Position and affiliation joined as printed, e.g. “Project Coordinator MIEUX, ICMPD”."""
        return ", ".join(part for part in (self.position, self.affiliation) if part)

    def clean(self) -> None:
        """Require a person or a group (on ``person``) and refuse a person already booked
        in a concurrent session (on ``person``). Raises ``ValidationError``."""
        if not self.person_id and not self.group_name:
            raise ValidationError({"person": ValidationError(_("Choose a person or name a group."), code="no_speaker")})
        if self.person_id and self.group_name:
            raise ValidationError(
                {"group_name": ValidationError(_("Give either a person or a named group, not both."), code="both")}
            )
        item = _related_or_none(self, "agenda_item")
        session = _related_or_none(item, "session") if item is not None else None
        if self.person_id and session is not None and session.start and session.end:
            clash = SpeakerRole.objects.concurrent_for_person(self.person_id, session).first()
            if clash:
                raise ValidationError(
                    {
                        "person": ValidationError(
                            PERSON_CLASH,
                            code="person_clash",
                            params={"person": self.person.name, "session": clash.agenda_item.session.title},
                        )
                    }
                )


class GeneratedDocument(models.Model):
    """A PDF printed from a forum's programme, a session's agenda, a session's
    recommendations document or a forum's outcome document (its published
    recommendations documents gathered).

    ``content_hash`` is the SHA-256 of the HTML the PDF was (or will be) rendered from;
    while the content is unchanged the stored file is served again, and a change makes
    a new row (and file). ``session`` is empty for the forum's documents (programme and
    outcome document), and set for a session's (agenda and recommendations).

    ``status`` moves QUEUED → RENDERING → READY or FAILED (see ``sessions_app.services``);
    ``render_started_at`` is when the current or last render began, so that a render
    left RENDERING by a worker that died can be told apart and queued again.
    """

    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("Programme")
        SESSION_AGENDA = "session_agenda", _("Session agenda")
        RECOMMENDATIONS = "recommendations", _("Recommendations")
        OUTCOME = "outcome", _("Outcome document")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Being rendered")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    forum = models.ForeignKey(Forum, verbose_name=_("forum"), on_delete=models.CASCADE, related_name="documents")
    session = models.ForeignKey(
        Session, verbose_name=_("session"), null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    content_hash = models.CharField(_("content hash"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(_("file"), upload_to="documents/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    render_seconds = models.FloatField(_("render seconds"), null=True, blank=True)
    render_started_at = models.DateTimeField(_("render started at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind__in=["programme", "outcome"]) & Q(session__isnull=True))
                | (Q(kind__in=["session_agenda", "recommendations"]) & Q(session__isnull=False)),
                name="document_session_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["forum", "kind", "language", "content_hash"],
                condition=Q(session__isnull=True),
                name="document_forum_hash_unique",
            ),
            models.UniqueConstraint(
                fields=["session", "kind", "language", "content_hash"],
                condition=Q(session__isnull=False),
                name="document_session_hash_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.content_hash[:12]}"

    def has_pdf(self) -> bool:
        """Whether this document is READY and its file is in storage (one storage check;
        a file can go missing, e.g. a media folder not carried over)."""
        return self.status == self.Status.READY and bool(self.file) and self.file.storage.exists(self.file.name)


from sessions_app.recommendations import Recommendation, RecommendationsDocument, RecommendationsVersion  # noqa: E402,F401
from sessions_app.releases import ProgrammeRelease  # noqa: E402,F401
