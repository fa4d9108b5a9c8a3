"""Rapporteur invitations: an organizer links a rapporteur's ``Person`` to a user account.

``invite_rapporteur`` finds or creates the account of an e-mail address, links the
person to it, marks the address verified (allauth's ``EmailAddress``, primary) and
e-mails a link to set the account's password. The link is allauth's password-reset key
(``default_token_generator``, the one allauth's reset page checks), so it works once,
for ``PASSWORD_RESET_TIMEOUT``, and the rapporteur then signs in like any participant.
The e-mail names the sessions the person is rapporteur of and links to the rapporteur
workspace on ``settings.SITE_URL``.

Refusals raise ``InvitationError`` with a message for the organizer and a ``code``.
"""

from allauth.account.adapter import get_adapter
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from allauth.core import context as allauth_context
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forum.models import Person, User, UserManager
from sessions_app.models import Session, SpeakerRole
from sessions_app.recommendation_services import RAPPORTEUR_ROLES, rapporteur_sessions


class InvitationError(Exception):
    """An invitation the rules refuse.

    ``message`` is a sentence for the organizer; ``code`` names the rule:
    ``invalid_email``, ``not_rapporteur``, ``person_linked``, ``user_linked``,
    ``inactive``, ``email_taken``.
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def invite_rapporteur(*, person: Person, email: str, request: HttpRequest) -> User:
    """Link ``person`` to the account of ``email`` and e-mail them a link to set its password.

    The address is lower-cased; an existing account with it is reused, otherwise one is
    created without a usable password. Everything happens in one transaction that first
    locks the person's row, so a refusal or a failure to send the e-mail changes
    nothing. Inviting again the person already linked to the account sends a fresh link.
    ``request`` is the organizer's, on whose host allauth builds the set-password link.

    Raises ``InvitationError`` when the address is not valid, the person holds no
    rapporteur or rapporteurship role, the person is linked to another account, the
    account is linked to another person or is inactive, or another account holds the
    address as a verified secondary address.
    """
    address = UserManager.normalize_email(email)
    try:
        validate_email(address)
    except ValidationError:
        raise InvitationError(
            _("“%(email)s” is not a valid e-mail address.") % {"email": email}, "invalid_email"
        ) from None
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if not SpeakerRole.objects.filter(person=person, role__in=RAPPORTEUR_ROLES).exists():
            raise InvitationError(
                _("%(person)s holds no rapporteur or rapporteurship role in any session.") % {"person": person},
                "not_rapporteur",
            )
        user = _account_for(address)
        _check_link(person, user, address)
        if person.user_id != user.pk:
            person.user = user
            person.save(update_fields=["user"])
        _verify(user, address)
        _invitation(person, user, request).send()
    return user


def _account_for(address: str) -> User:
    """The account of ``address``, locked, created without a usable password if there is none.

    The insert runs in a savepoint: if a concurrent invitation created the account first,
    the unique constraint refuses the second insert and that account is read instead.
    """
    user = User.objects.select_for_update().filter(email__iexact=address).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return User.objects.create_user(address)
    except IntegrityError:
        return User.objects.select_for_update().get(email__iexact=address)


def _check_link(person: Person, user: User, address: str) -> None:
    """Raise ``InvitationError`` unless ``person`` may be linked to ``user`` (see ``invite_rapporteur``)."""
    names = {"person": person, "email": address}
    if person.user_id not in (None, user.pk):
        raise InvitationError(
            _(
                "%(person)s is already linked to the account %(other)s; remove that link on the person's page "
                "before inviting %(email)s."
            )
            % {**names, "other": person.user.email},
            "person_linked",
        )
    other = Person.objects.filter(user=user).exclude(pk=person.pk).first()
    if other is not None:
        raise InvitationError(
            _("The account %(email)s is already linked to %(other)s.") % {**names, "other": other}, "user_linked"
        )
    if not user.is_active:
        raise InvitationError(_("The account %(email)s is deactivated.") % names, "inactive")
    if EmailAddress.objects.filter(email__iexact=address, verified=True).exclude(user=user).exists():
        raise InvitationError(_("%(email)s is a verified address of another account.") % names, "email_taken")


def _verify(user: User, address: str) -> None:
    """Record ``address`` as ``user``'s verified, primary address in allauth's ``EmailAddress``."""
    record = EmailAddress.objects.filter(user=user, email__iexact=address).first()
    if record is None:
        record = EmailAddress(user=user, email=address)
    record.verified = True
    record.set_as_primary()


def _invitation(person: Person, user: User, request: HttpRequest) -> EmailMultiAlternatives:
    """The invitation e-mail to ``user``: subject, plain-text body and HTML alternative."""
    sessions = list(rapporteur_sessions(user).select_related("forum").order_by("forum__start_date", "start", "title"))
    forums = ", ".join(dict.fromkeys(session.forum.title for session in sessions))
    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    names = {"name": person.name, "forum": forums, "email": user.email}
    days = settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)
    context = {
        "language": translation.get_language(),
        "subject": _("You are invited as rapporteur: %(forum)s") % names,
        "greeting": _("Dear %(name)s,") % names,
        "paragraphs": [
            _(
                "The organizers of %(forum)s invite you to write the recommendations of the sessions you are "
                "rapporteur of, in the rapporteur workspace of the forum's website."
            )
            % names,
            ngettext(
                "Your account is %(email)s. Set its password with the link below; the link works once, within "
                "%(days)d day. Then sign in with your e-mail address and that password.",
                "Your account is %(email)s. Set its password with the link below; the link works once, within "
                "%(days)d days. Then sign in with your e-mail address and that password.",
                days,
            )
            % {**names, "days": days},
        ],
        "sessions_heading": ngettext("Your session", "Your sessions", len(sessions)),
        "sessions": [
            _session_line(session, several_forums=len({s.forum_id for s in sessions}) > 1) for session in sessions
        ],
        "links": [
            (_("Set your password"), _set_password_url(key, request)),
            (_("Rapporteur workspace"), settings.SITE_URL + reverse("workspace:my-sessions")),
        ],
        "signature": _("The organizers of %(forum)s") % names,
    }
    message = EmailMultiAlternatives(
        subject=" ".join(context["subject"].split()),
        body=render_to_string("forum/email/rapporteur_invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(render_to_string("forum/email/rapporteur_invitation.html", context), "text/html")
    return message


def _set_password_url(key: str, request: HttpRequest) -> str:
    """The absolute URL of allauth's page that sets a password with the reset ``key``, on ``request``'s host.

    allauth's adapter takes the request from its context (which ``AccountMiddleware``
    sets for each request), so it is set here too for a call from outside a view.
    """
    with allauth_context.request_context(request):
        return get_adapter().get_reset_password_from_key_url(key)


def _session_line(session: Session, *, several_forums: bool) -> str:
    """``session``'s title, followed by its forum's when the rapporteur has sessions at several forums."""
    if not several_forums:
        return session.title
    return _("%(session)s (%(forum)s)") % {"session": session.title, "forum": session.forum.title}
