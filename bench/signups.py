"""Parallel-session sign-ups over HTTP with concurrent clients, and the checks after them.

Each client is a thread with its own HTTP connection, signed in as its participants by
their session cookies (made server-side in the same database: ``participant_cookies``),
with a CSRF cookie and the same secret in the ``X-CSRFToken`` header, as a browser's
form post sends. It POSTs the sign-up form (``registration:session-signup``, with
``join_waitlist``, so a full session puts the participant on its waitlist), once per
parallel time slot and participant, for a session of the slot picked at random. The
site answers a redirect to the session's page with the outcome as a flash message in the
``messages`` cookie, which ``run_signups`` reads (signed with the site's secret key, which
the benchmark shares): a seat, a waitlist place, or a refusal (e.g. a time clash).

The participants start without sign-ups and take one session per slot, so no POST
should clash; refusals are counted apart all the same. ``verify_signups`` then checks the
database: no session holds more confirmed sign-ups than its capacity, and the rows the
participants hold match the outcomes the site announced, one for one.
"""

import random
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie

import httpx
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import get_random_string

from forum.models import Forum
from registration.models import Registration, SessionSignup
from sessions_app.models import Session

OUTCOMES = {constants.SUCCESS: "confirmed", constants.INFO: "waitlisted", constants.ERROR: "refused"}
"""The flash message's level → the sign-up's outcome (see ``registration.views.SessionSignupView``)."""


class SignupError(RuntimeError):
    """A sign-up POST answered something else than the form's redirect with its message."""


@dataclass(frozen=True)
class Post:
    """One sign-up to send: the participant's ``Cookie`` header and CSRF secret, the form's
    path and the path it must redirect to."""

    cookie: str
    csrf: str
    path: str
    redirect: str


@dataclass
class SignupResult:
    """What the sign-up load measured: POSTs, wall seconds, rate, latencies (ms) and outcomes."""

    posts: int
    seconds: float
    per_second: float
    median_ms: float
    p95_ms: float
    confirmed: int
    waitlisted: int
    refused: int
    refusals: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The figures as a JSON-ready dict."""
        return asdict(self)


def participant_cookies(registrations: list[Registration]) -> dict[int, tuple[str, str]]:
    """Per registration pk, a ``Cookie`` header value and the CSRF secret in it: a session
    signed in as its user (stored by the configured session engine, in the database the
    site reads) and the secret as CSRF cookie, which Django accepts as the header's token too."""
    cookies = {}
    for registration in registrations:
        client = Client()
        client.force_login(registration.user)
        session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
        csrf = get_random_string(32)
        cookies[registration.pk] = (
            f"{settings.SESSION_COOKIE_NAME}={session_id}; {settings.CSRF_COOKIE_NAME}={csrf}",
            csrf,
        )
    return cookies


def plan_signups(
    forum: Forum, participants: list[Registration], parallel_slots: list[list[Session]], clients: int, seed: int
) -> list[list[Post]]:
    """Each client's POSTs: the participants dealt round-robin to ``clients`` clients; each
    client goes through the slots in time order, signing each of its participants up for a
    random session of the slot."""
    rng = random.Random(seed)
    cookies = participant_cookies(participants)
    with translation.override("en"):
        paths = {
            session.pk: (
                reverse("registration:session-signup", kwargs={"forum_slug": forum.slug, "session_slug": session.slug}),
                reverse("sessions_app:session-detail", kwargs={"forum_slug": forum.slug, "session_slug": session.slug}),
            )
            for slot in parallel_slots
            for session in slot
        }
    plans = []
    for index in range(clients):
        mine = participants[index::clients]
        plans.append(
            [
                Post(*cookies[participant.pk], *paths[rng.choice(slot).pk])
                for slot in parallel_slots
                for participant in mine
            ]
        )
    return plans


def run_signups(base_url: str, plans: list[list[Post]]) -> SignupResult:
    """Send each plan's POSTs in order from its own thread, all threads started together.

    Returns the rate (POSTs per wall-clock second), the latencies and the outcomes. Raises
    ``SignupError`` (after every thread has stopped) if a POST did not answer the redirect
    to its session's page with one flash message.
    """
    barrier = threading.Barrier(len(plans) + 1)
    latencies: list[list[float]] = [[] for _ in plans]
    outcomes: list[list[str]] = [[] for _ in plans]
    errors: list[BaseException] = []
    header = settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-")

    def client(index: int) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            barrier.wait()
            try:
                for post in plans[index]:
                    started = time.perf_counter()
                    response = http.post(
                        post.path, data={"join_waitlist": "1"}, headers={"Cookie": post.cookie, header: post.csrf}
                    )
                    latencies[index].append(time.perf_counter() - started)
                    outcomes[index].append(_outcome(response, post))
                    http.cookies.clear()
            except BaseException as error:  # noqa: BLE001 - re-raised below, once every thread has stopped
                errors.append(error)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(len(plans))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    every_latency = [latency for per_client in latencies for latency in per_client]
    every_outcome = [outcome for per_client in outcomes for outcome in per_client]
    refusals = [outcome for outcome in every_outcome if outcome.startswith("refused")]
    return SignupResult(
        posts=len(every_latency),
        seconds=wall,
        per_second=len(every_latency) / wall,
        median_ms=statistics.median(every_latency) * 1000,
        p95_ms=statistics.quantiles(every_latency, n=20)[-1] * 1000,
        confirmed=every_outcome.count("confirmed"),
        waitlisted=every_outcome.count("waitlisted"),
        refused=len(refusals),
        refusals=sorted(set(refusals))[:5],
    )


def _outcome(response: httpx.Response, post: Post) -> str:
    """The outcome of a sign-up, from its redirect and flash message: confirmed, waitlisted
    or "refused: <message>"."""
    if response.status_code != 302 or response.headers.get("location") != post.redirect:
        raise SignupError(
            f"POST {post.path} answered {response.status_code} to {response.headers.get('location')!r}, "
            f"not 302 to {post.redirect!r}: {response.text[:300]!r}"
        )
    cookies = SimpleCookie()
    for set_cookie in response.headers.get_list("set-cookie"):
        cookies.load(set_cookie)
    request = HttpRequest()
    if CookieStorage.cookie_name in cookies:
        request.COOKIES[CookieStorage.cookie_name] = cookies[CookieStorage.cookie_name].value
    messages = list(CookieStorage(request))
    if len(messages) != 1 or messages[0].level not in OUTCOMES:
        raise SignupError(f"POST {post.path} answered with the messages {[str(m) for m in messages]!r}.")
    outcome = OUTCOMES[messages[0].level]
    return f"refused: {messages[0]}" if outcome == "refused" else outcome


def signup_queries(forum: Forum, registration: Registration, session: Session) -> int:
    """SQL queries of one sign-up POST by ``registration``'s participant for ``session``, in-process."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(registration.user)
    with translation.override("en"):
        path = reverse("registration:session-signup", kwargs={"forum_slug": forum.slug, "session_slug": session.slug})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, {"join_waitlist": "1"})
    if response.status_code != 302:
        raise SignupError(f"POST {path} answered {response.status_code} in-process.")
    return len(queries)


def verify_signups(forum: Forum, participants: list[Registration], result: SignupResult) -> dict:
    """The database after the load: ``overbooked``, the forum's sessions holding more confirmed
    sign-ups than their capacity (titles), and ``mismatched``, the outcomes announced to the
    participants that their rows do not bear out (empty when all is well)."""
    overbooked = (
        Session.objects.filter(forum=forum)
        .annotate(
            seats=Count("signups", filter=Q(signups__status=SessionSignup.Status.CONFIRMED)),
            capacity_or_room=Coalesce("capacity", "room__capacity"),
        )
        .filter(seats__gt=F("capacity_or_room"))
    )
    held = SessionSignup.objects.filter(registration__in=participants).aggregate(
        confirmed=Count("pk", filter=Q(status=SessionSignup.Status.CONFIRMED)),
        waitlisted=Count("pk", filter=Q(status=SessionSignup.Status.WAITLISTED)),
    )
    announced = {"confirmed": result.confirmed, "waitlisted": result.waitlisted}
    return {
        "overbooked": [session.title for session in overbooked],
        "mismatched": {kind: (announced[kind], held[kind]) for kind in held if held[kind] != announced[kind]},
    }
