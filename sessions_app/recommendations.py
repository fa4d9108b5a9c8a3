"""The recommendations document of a session, its recommendations and its history.

The Quito concept note ends each session with "Result: Document of recommendations
prepared by the coordinating organizations of the session", written by the session's
rapporteur and rapporteurship (``SpeakerRole.Role.RAPPORTEUR`` / ``RAPPORTEURSHIP``).
A document moves DRAFT → SUBMITTED (for review) → PUBLISHED, or back from SUBMITTED to
DRAFT with a comment. ``version`` grows by one on every change and is the token that
``sessions_app.recommendation_services`` checks so that a save based on an older
version is refused instead of overwriting a colleague's text. Every change also writes a
``RecommendationsVersion`` with a snapshot of the whole content.

Writes go through ``sessions_app.recommendation_services``; these models only hold the
rules a single row can check.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from forum.sanitize import SanitizedTextField
from sessions_app.models import KeyQuestion, Session, validate_number


class RecommendationsDocument(models.Model):
    """The recommendations document of one session (see the module docstring)."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("document status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("document status", "Submitted for review")
        PUBLISHED = "published", pgettext_lazy("document status", "Published")

    session = models.OneToOneField(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="recommendations"
    )
    introduction = SanitizedTextField(_("introduction"), blank=True)
    conclusions = SanitizedTextField(_("conclusions and recommendations for public policies"), blank=True)
    contributors = SanitizedTextField(
        _("contributors"), blank=True, help_text=_("The people and organizations who contributed.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1, help_text=_("Grows by one on every change."))
    return_comment = SanitizedTextField(
        _("return comment"), blank=True, help_text=_("Why the organizers returned the document to its rapporteurs.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recommendations document")
        verbose_name_plural = _("recommendations documents")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="published") & Q(published_at__isnull=False))
                | (~Q(status="published") & Q(published_at__isnull=True)),
                name="recommendations_published_has_date",
                violation_error_message=_("A document has a publication date exactly when it is published."),
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="recommendations_version_positive"),
        ]

    def __str__(self) -> str:
        return f"Recommendations #{self.pk} (version {self.version})"


class Recommendation(models.Model):
    """One recommendation of a document: under one of the session's key questions (or
    general, without one), for a level of government, addressed to some actors.

    If the key question is deleted from the session, the recommendation stays, as a
    general one: its text is never lost with the question.
    """

    class Level(models.TextChoices):
        LOCAL = "local", pgettext_lazy("level of government", "Local")
        NATIONAL = "national", pgettext_lazy("level of government", "National")
        REGIONAL = "regional", pgettext_lazy("level of government", "Regional")
        GLOBAL = "global", pgettext_lazy("level of government", "Global")

    document = models.ForeignKey(
        RecommendationsDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="recommendations"
    )
    key_question = models.ForeignKey(
        KeyQuestion,
        verbose_name=_("key question"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recommendations",
    )
    order = models.PositiveSmallIntegerField(_("order"), validators=[validate_number])
    text = SanitizedTextField(_("text"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    actors = models.CharField(
        _("actors"), max_length=255, blank=True, help_text=_("Who the recommendation is addressed to.")
    )

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["document", "order"]
        constraints = [
            models.UniqueConstraint(fields=["document", "order"], name="recommendation_order_unique"),
        ]

    def __str__(self) -> str:
        return f"Recommendation #{self.order}"

    def clean(self) -> None:
        """Refuse a key question of another session than the document's (on ``key_question``,
        code ``wrong_question``). Raises ``ValidationError``."""
        if not (self.key_question_id and self.document_id):
            return
        if self.key_question.session_id != self.document.session_id:
            raise ValidationError(
                {
                    "key_question": ValidationError(
                        _("This key question belongs to another session."), code="wrong_question"
                    )
                }
            )


class RecommendationsVersion(models.Model):
    """One change of a document: who made it, when, which event, and the content after it.

    ``number`` is the document's ``version`` after the change. ``snapshot`` holds
    ``introduction``, ``conclusions``, ``contributors``, ``status`` and
    ``recommendations``: a list of ``{"key_question", "order", "text", "level", "actors"}``
    where ``key_question`` is the question as printed ("2. Which…?") or "" for a general
    recommendation, so the history reads the same after the session's questions change.
    """

    class Event(models.TextChoices):
        CREATED = "created", pgettext_lazy("document event", "Created")
        EDITED = "edited", pgettext_lazy("document event", "Edited")
        SUBMITTED = "submitted", pgettext_lazy("document event", "Submitted for review")
        RETURNED = "returned", pgettext_lazy("document event", "Returned to the rapporteurs")
        PUBLISHED = "published", pgettext_lazy("document event", "Published")

    document = models.ForeignKey(
        RecommendationsDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("number"))
    event = models.CharField(_("event"), max_length=10, choices=Event.choices)
    comment = SanitizedTextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    snapshot = models.JSONField(_("snapshot"), default=dict)

    class Meta:
        verbose_name = _("recommendations version")
        verbose_name_plural = _("recommendations versions")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="recommendations_version_unique"),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} ({self.get_event_display()})"
