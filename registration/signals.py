"""Signal receivers of registration, connected in ``RegistrationConfig.ready()``."""

from django.db import transaction

from forum.models import Room
from registration import services
from registration.models import SessionSignup
from sessions_app.models import Session


def fill_seats_after_save(sender: type[Session] | type[Room], instance: Session | Room, using: str, **kwargs) -> None:
    """``post_save`` of ``Session`` or ``Room``: give seats that a capacity change freed to waitlists.

    Once the save commits, every session concerned (the saved session, or the sessions
    in the saved room) that has a waitlist gets ``services.fill_seats``, which promotes
    waitlisted participants in order while seats are free and e-mails them. Sessions
    without a waitlist cost one query in all.
    """
    sessions = Session.objects.filter(pk=instance.pk) if sender is Session else Session.objects.filter(room=instance)
    waiting = sessions.filter(signups__status=SessionSignup.Status.WAITLISTED).distinct()

    def fill() -> None:
        for session in waiting:
            services.fill_seats(session=session)

    transaction.on_commit(fill, using=using)
