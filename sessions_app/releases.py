"""Numbered releases of a forum's programme.

Organizers keep editing sessions; "release the programme" stores what the programme
is at that moment (a snapshot of every session's schedule facts) under the next
number. The changes between two releases (sessions added, moved, cancelled, speakers
changed) are kept with the later release for the changelog page, the Atom feed and the
e-mails to the participants signed up for a changed session. The frab schedule export
carries the number of the latest release as its ``version``.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from forum.models import Forum
from forum.sanitize import SanitizedTextField


class ProgrammeRelease(models.Model):
    """One released version of a forum's programme.

    ``number`` counts from 1 per forum. ``snapshot`` maps each session's guid (string)
    to its schedule facts at release time (title, kind, start and end as ISO 8601 in
    UTC, room name, cancelled flag, speaker names). ``changes`` lists what differs from
    the previous release's snapshot, one dict per change with its ``kind`` (added,
    moved, cancelled, reinstated, removed, retitled, speakers), the session's guid and
    title, and the before/after values; the first release lists every session as added.
    """

    forum = models.ForeignKey(Forum, verbose_name=_("forum"), on_delete=models.CASCADE, related_name="releases")
    number = models.PositiveIntegerField(_("number"), validators=[MinValueValidator(1)])
    released_at = models.DateTimeField(_("released at"), auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = SanitizedTextField(_("note"), blank=True, help_text=_("What this release is about, shown on the changelog."))
    snapshot = models.JSONField(_("snapshot"), default=dict, editable=False)
    changes = models.JSONField(_("changes"), default=list, editable=False)

    class Meta:
        verbose_name = _("programme release")
        verbose_name_plural = _("programme releases")
        ordering = ["forum", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["forum", "number"], name="release_number_unique_per_forum"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="release_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.forum} programme, version {self.number}"
