"""Who may write a session's recommendations document, and the writes of its workflow.

A rapporteur is a user linked to a ``Person`` who holds the RAPPORTEUR or
RAPPORTEURSHIP role on one of a session's agenda items (the Quito agenda names a
"Session rapporteur" and a "Rapporteurship"); they edit the documents of those sessions
only, and only while a document is a DRAFT. Organizers (active staff with the change
permission on recommendations documents) may edit any document at any status, return a
submitted document to its rapporteurs with a comment, and publish it.

Every write runs in one transaction that first locks the document row
(``SELECT … FOR UPDATE``; on SQLite the project's transactions are IMMEDIATE and take
the database's write lock, see ``forum.settings``), adds one to ``version`` and writes a
``RecommendationsVersion`` with a snapshot of the content after the change. A write
given the ``expected_version`` its user started from is refused when the document has
changed since, so the second of two concurrent editors is told and keeps their text
instead of silently overwriting the first.

Refusals raise ``RecommendationsError`` with a message for the user and a ``code``.
"""

import difflib
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forum import caching
from forum.sanitize import strip_markup
from sessions_app.models import Session, SpeakerRole
from sessions_app.recommendations import Recommendation, RecommendationsDocument, RecommendationsVersion

RAPPORTEUR_ROLES = (SpeakerRole.Role.RAPPORTEUR, SpeakerRole.Role.RAPPORTEURSHIP)
CONFLICT_MESSAGE = gettext_lazy(
    "Someone else saved this document since you opened it (version %(version)s). "
    "Your text was not saved: copy it, reload the page and merge."
)
# The refusal to edit a document that is no longer a draft, and to submit one twice, by status.
NOT_EDITABLE_MESSAGES = {
    RecommendationsDocument.Status.SUBMITTED: gettext_lazy(
        "This document is submitted for review and can no longer be edited. Your text was not saved."
    ),
    RecommendationsDocument.Status.PUBLISHED: gettext_lazy(
        "This document is published and can no longer be edited. Your text was not saved."
    ),
}
ALREADY_SUBMITTED_MESSAGES = {
    RecommendationsDocument.Status.SUBMITTED: gettext_lazy("This document is already submitted for review."),
    RecommendationsDocument.Status.PUBLISHED: gettext_lazy("This document is already published."),
}
Status = RecommendationsDocument.Status
Event = RecommendationsVersion.Event


class RecommendationsError(Exception):
    """A write the recommendations rules refuse.

    ``message`` is a sentence for the rapporteur or organizer; ``code`` names the rule:
    ``not_rapporteur``, ``not_organizer``, ``not_draft``, ``not_submitted``,
    ``conflict``, ``wrong_question``, ``invalid``, ``no_comment``.
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def rapporteur_sessions(user) -> QuerySet[Session]:
    """The sessions ``user`` is rapporteur of: a ``Person`` linked to ``user`` holds the
    RAPPORTEUR or RAPPORTEURSHIP role on one of the session's agenda items. Empty for an
    anonymous or inactive user."""
    if not (user.is_authenticated and user.is_active):
        return Session.objects.none()
    roles = SpeakerRole.objects.filter(role__in=RAPPORTEUR_ROLES, person__user=user)
    return Session.objects.filter(pk__in=roles.values("agenda_item__session_id"))


def is_rapporteur(user, session: Session) -> bool:
    """Whether ``user`` is a rapporteur of ``session`` (see ``rapporteur_sessions``)."""
    return rapporteur_sessions(user).filter(pk=session.pk).exists()


def is_organizer(user) -> bool:
    """Whether ``user`` reviews and publishes documents: active staff with the change
    permission on recommendations documents."""
    return user.is_active and user.is_staff and user.has_perm("sessions_app.change_recommendationsdocument")


def can_edit(user, document: RecommendationsDocument) -> bool:
    """Whether ``user`` may change ``document``'s content now: an organizer always, a
    rapporteur of its session while it is a DRAFT."""
    if is_organizer(user):
        return True
    return document.status == Status.DRAFT and is_rapporteur(user, document.session)


def document_for(session: Session, *, user=None) -> RecommendationsDocument:
    """The recommendations document of ``session``, created empty (DRAFT, version 1, with a
    "created" version row by ``user``) if it has none yet.

    Two concurrent first calls create one document: the insert runs in a savepoint and
    an ``IntegrityError`` from the one-per-session constraint falls back to reading the
    row the other call created.
    """
    document = RecommendationsDocument.objects.filter(session=session).first()
    if document is not None:
        return document
    try:
        with transaction.atomic():
            document = RecommendationsDocument.objects.create(session=session, updated_by=user)
            _write_version(document, event=Event.CREATED, user=user)
    except IntegrityError:
        return RecommendationsDocument.objects.get(session=session)
    return document


@transaction.atomic
def save_draft(
    *,
    document: RecommendationsDocument,
    user,
    expected_version: int,
    introduction: str,
    conclusions: str,
    contributors: str,
    recommendations: Iterable[Mapping],
) -> RecommendationsDocument:
    """Store the content ``user`` edited from version ``expected_version``; return the document.

    ``recommendations`` are mappings with ``key_question`` (a ``KeyQuestion`` of the
    document's session, or None for a general recommendation), ``text``, ``level`` (a
    ``Recommendation.Level``) and ``actors``; they replace the stored ones, numbered in
    the order given. If nothing differs from what is stored, nothing is written.
    Otherwise ``version`` grows by one and an "edited" ``RecommendationsVersion`` by
    ``user`` records the new content.

    Raises ``RecommendationsError``, writing nothing: ``not_rapporteur`` when ``user`` is
    neither a rapporteur of the session nor an organizer; ``not_draft`` when a rapporteur
    edits a submitted or published document; ``conflict`` when the stored version is no
    longer ``expected_version`` (someone saved meanwhile); ``wrong_question`` for a key
    question of another session; ``invalid`` for a recommendation without text, with an
    unknown level or with actors longer than 255 characters.
    """
    document = _locked(document)
    organizer = is_organizer(user)
    if not organizer and not is_rapporteur(user, document.session):
        raise RecommendationsError(
            _("Only the rapporteurs of this session can edit its recommendations."), "not_rapporteur"
        )
    if not organizer and document.status != Status.DRAFT:
        raise RecommendationsError(str(NOT_EDITABLE_MESSAGES[document.status]), "not_draft")
    _check_version(document, expected_version)
    rows = [_recommendation(document, number, values) for number, values in enumerate(recommendations, start=1)]
    before = _snapshot(document, _stored_rows(document))
    document.introduction, document.conclusions, document.contributors = introduction, conclusions, contributors
    if _snapshot(document, rows) == before:
        return document
    document.recommendations.all().delete()
    Recommendation.objects.bulk_create(rows)
    caching.bump()  # bulk_create sends no model signals
    return _change(document, event=Event.EDITED, user=user)


@transaction.atomic
def submit(*, document: RecommendationsDocument, user, expected_version: int) -> RecommendationsDocument:
    """Submit DRAFT ``document`` for the organizers' review, as ``user`` who last saw
    ``expected_version``; writes a "submitted" version and clears the return comment.

    Raises ``RecommendationsError``: ``not_rapporteur`` (``user`` is no rapporteur of the
    session nor an organizer), ``not_draft``, ``conflict``.
    """
    document = _locked(document)
    if not is_organizer(user) and not is_rapporteur(user, document.session):
        raise RecommendationsError(
            _("Only the rapporteurs of this session can submit its recommendations."), "not_rapporteur"
        )
    if document.status != Status.DRAFT:
        raise RecommendationsError(str(ALREADY_SUBMITTED_MESSAGES[document.status]), "not_draft")
    _check_version(document, expected_version)
    document.status, document.return_comment = Status.SUBMITTED, ""
    return _change(document, event=Event.SUBMITTED, user=user)


@transaction.atomic
def return_to_draft(*, document: RecommendationsDocument, user, comment: str) -> RecommendationsDocument:
    """Return SUBMITTED ``document`` to its rapporteurs as a DRAFT with ``comment`` (kept on
    the document and on the "returned" version row).

    Raises ``RecommendationsError``: ``not_organizer``, ``no_comment`` (blank comment, or
    one that is only markup, which ``strip_markup`` removes), ``not_submitted``.
    """
    document = _locked(document)
    _check_organizer(user)
    comment = strip_markup(comment).strip()
    if not comment:
        raise RecommendationsError(_("Tell the rapporteurs what to change: the comment is required."), "no_comment")
    if document.status != Status.SUBMITTED:
        raise RecommendationsError(_("Only a document submitted for review can be returned."), "not_submitted")
    document.status, document.return_comment = Status.DRAFT, comment
    return _change(document, event=Event.RETURNED, user=user, comment=comment)


@transaction.atomic
def publish(*, document: RecommendationsDocument, user) -> RecommendationsDocument:
    """Publish SUBMITTED ``document`` now (``published_at``); writes a "published" version.

    Raises ``RecommendationsError``: ``not_organizer``, ``not_submitted``.
    """
    document = _locked(document)
    _check_organizer(user)
    if document.status != Status.SUBMITTED:
        raise RecommendationsError(_("Only a document submitted for review can be published."), "not_submitted")
    document.status, document.published_at = Status.PUBLISHED, timezone.now()
    return _change(document, event=Event.PUBLISHED, user=user)


def version_diff(older: RecommendationsVersion, newer: RecommendationsVersion) -> list[str]:
    """The unified diff (``difflib``) from ``older``'s snapshot to ``newer``'s, as text lines.

    Each snapshot is first written out as readable lines (status, introduction, each
    recommendation under its key question as "N. [Level] text — actors", conclusions,
    contributors), so an edited recommendation shows as a "-" line and a "+" line.
    """
    return list(
        difflib.unified_diff(
            _readable(older.snapshot),
            _readable(newer.snapshot),
            fromfile=_("version %(number)s") % {"number": older.number},
            tofile=_("version %(number)s") % {"number": newer.number},
            lineterm="",
        )
    )


def _locked(document: RecommendationsDocument) -> RecommendationsDocument:
    """``document`` read again under a row lock, with its session."""
    return RecommendationsDocument.objects.select_for_update(of=("self",)).select_related("session").get(pk=document.pk)


def _check_version(document: RecommendationsDocument, expected_version: int) -> None:
    if document.version != expected_version:
        raise RecommendationsError(CONFLICT_MESSAGE % {"version": document.version}, "conflict")


def _check_organizer(user) -> None:
    if not is_organizer(user):
        raise RecommendationsError(_("Only organizers can review recommendations documents."), "not_organizer")


def _recommendation(document: RecommendationsDocument, number: int, values: Mapping) -> Recommendation:
    """An unsaved, validated ``Recommendation`` number ``number`` of ``document`` from ``values``."""
    row = Recommendation(
        document=document,
        order=number,
        key_question=values.get("key_question"),
        text=(values.get("text") or "").strip(),
        level=values.get("level") or "",
        actors=(values.get("actors") or "").strip(),
    )
    try:
        row.full_clean(exclude=["document"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        if any(e.code == "wrong_question" for e in error.error_dict.get("key_question", [])):
            raise RecommendationsError(
                _("Recommendation %(number)s is filed under a key question of another session.") % {"number": number},
                "wrong_question",
            ) from error
        problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
        raise RecommendationsError(
            _("Recommendation %(number)s is not valid (%(problems)s).") % {"number": number, "problems": problems},
            "invalid",
        ) from error
    return row


def _stored_rows(document: RecommendationsDocument) -> list[Recommendation]:
    return list(document.recommendations.select_related("key_question").order_by("order"))


def _change(document: RecommendationsDocument, *, event: str, user, comment: str = "") -> RecommendationsDocument:
    """Save ``document`` one version further, by ``user``, and record ``event`` with its snapshot."""
    document.version += 1
    document.updated_by = user
    document.full_clean(validate_unique=False)
    document.save()
    _write_version(document, event=event, user=user, comment=comment)
    return document


def _write_version(document: RecommendationsDocument, *, event: str, user, comment: str = "") -> None:
    RecommendationsVersion.objects.create(
        document=document,
        number=document.version,
        event=event,
        comment=comment,
        created_by=user,
        snapshot=_snapshot(document, _stored_rows(document)),
    )


def _snapshot(document: RecommendationsDocument, rows: Iterable[Recommendation]) -> dict:
    """The content of ``document`` with ``rows`` as its recommendations (see ``RecommendationsVersion``)."""
    return {
        "introduction": document.introduction,
        "conclusions": document.conclusions,
        "contributors": document.contributors,
        "status": document.status,
        "recommendations": [
            {
                "key_question": str(row.key_question) if row.key_question_id else "",
                "order": row.order,
                "text": row.text,
                "level": row.level,
                "actors": row.actors,
            }
            for row in rows
        ],
    }


def _readable(snapshot: dict) -> list[str]:
    """``snapshot`` as the lines ``version_diff`` compares."""
    levels, statuses = dict(Recommendation.Level.choices), dict(Status.choices)
    status = snapshot.get("status", "")
    lines = [
        _("Status: %(status)s") % {"status": statuses.get(status, status)},
        "",
        _("Introduction:"),
        *_paragraph(snapshot.get("introduction")),
    ]
    lines += ["", _("Recommendations:")]
    heading = None
    for row in snapshot.get("recommendations", []):
        if row["key_question"] != heading:
            heading = row["key_question"]
            lines.append(f"  {heading or _('General')}")
        actors = f" — {row['actors']}" if row["actors"] else ""
        text = " ".join(row["text"].split())
        lines.append(f"    {row['order']}. [{levels.get(row['level'], row['level'])}] {text}{actors}")
    lines += ["", _("Conclusions and recommendations for public policies:"), *_paragraph(snapshot.get("conclusions"))]
    lines += ["", _("Contributors:"), *_paragraph(snapshot.get("contributors"))]
    return lines


def _paragraph(text: str | None) -> list[str]:
    return [f"  {line}" for line in (text or "").splitlines()]
