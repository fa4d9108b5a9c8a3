"""Signal receivers of registration, connected in ``RegistrationConfig.ready()``."""

from django.db import transaction

from forum.models import Room
from registration import services
from registration.models import SessionSignup
from sessions_app.models import Session


def fill_seats_after_save(sender: type[Session] | type[Room], instance: Session | Room, using: str, **kwargs) -> None:
    """``post_save`` of ``Session`` or ``Room``: give seats that a capacity change freed to waitlists,
    and drop the sign-ups of a session made a plenary (``services.drop_plenary_signups``).

    Once the save commits, every session concerned (the saved session, or the sessions
    in the saved room) that has a waitlist gets ``services.fill_seats``, which promotes
    waitlisted participants in order while seats are free and e-mails them. Sessions
    without a waitlist cost one query in all.
    """
    sessions = Session.objects.filter(pk=instance.pk) if sender is Session else Session.objects.filter(room=instance)
    _fill_on_commit(sessions.filter(signups__status=SessionSignup.Status.WAITLISTED).distinct(), using)
    if sender is Session and instance.is_plenary:
        transaction.on_commit(lambda: services.drop_plenary_signups(session=instance), using=using)


def fill_seats_after_room_delete(sender: type[Room], instance: Room, using: str, **kwargs) -> None:
    """``pre_delete`` of ``Room``: its sessions lose their room, and with it their room's capacity.

    A session without a capacity of its own then has no limit, so once the deletion
    commits its waitlist is promoted (``services.fill_seats``). The sessions are read
    now, before the deletion sets their room to NULL (which sends no ``post_save``).
    """
    waiting = Session.objects.filter(
        room=instance, capacity__isnull=True, signups__status=SessionSignup.Status.WAITLISTED
    ).distinct()
    _fill_on_commit(list(waiting), using)


def _fill_on_commit(sessions, using: str) -> None:
    """Run ``services.fill_seats`` on each of ``sessions`` (read at commit if a queryset) once
    the transaction on ``using`` commits."""

    def fill() -> None:
        for session in sessions:
            services.fill_seats(session=session)

    transaction.on_commit(fill, using=using)
