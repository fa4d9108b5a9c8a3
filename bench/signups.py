"""Benchmark: parallel-session sign-ups per second with concurrent clients, on PostgreSQL.

Run from the project root with PostgreSQL (and, to queue e-mails as production does,
Redis)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/forum \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/signups.py [--clients 16]

It creates a throwaway test database with one forum of ``--slots`` time slots of three
parallel sessions (``--seats`` seats each) and ``--clients`` × ``--per-client`` confirmed
participants. Each client thread signs its participants up, one POST to the sign-up
view per participant and slot, for a session picked at random (joining the waitlist
when it is full), through Django's full request stack (test client: middleware,
sessions, authentication; no network). It prints sign-ups per second, median and 95th
percentile latency, and the same figures for the floor: each client running the
smallest transaction that serialises on the same row (``SELECT … FOR UPDATE`` of the
session and commit), with the ratio of the two. It then checks that no session holds
more confirmed sign-ups than seats. With a broker, e-mails are queued to it (and the
queue purged at the end); without one, they are rendered in-process to memory, which
makes sign-ups slower than in production.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from forum.celery import app as celery_app  # noqa: E402
from registration.tests.factories import RegistrationFactory, RegistrationSettingsFactory  # noqa: E402
from sessions_app.models import Session  # noqa: E402
from sessions_app.tests.factories import SessionFactory, quito_time  # noqa: E402


def build_forum(slots: int, seats: int, participants: int):
    """A forum with ``slots`` × 3 parallel sessions and ``participants`` confirmed registrations."""
    settings_row = RegistrationSettingsFactory()
    forum = settings_row.forum
    sessions_by_slot = []
    for slot in range(slots):
        start = quito_time(8) + timedelta(minutes=50 * slot)
        sessions_by_slot.append(
            [
                SessionFactory(forum=forum, capacity=seats, start=start, end=start + timedelta(minutes=45))
                for _ in range(3)
            ]
        )
    registrations = RegistrationFactory.create_batch(participants, forum=forum)
    return forum, sessions_by_slot, registrations


def run_clients(clients: int, work) -> tuple[float, list[float]]:
    """Run ``work(index, latencies)`` in ``clients`` threads released together.

    Returns (wall seconds, every latency recorded). Each thread closes its connection.
    """
    barrier = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []

    def thread(index: int) -> None:
        barrier.wait()
        try:
            work(index, latencies[index])
        except BaseException as error:  # noqa: BLE001 - reported after the run
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return wall, [x for per_thread in latencies for x in per_thread]


def report(name: str, count: int, wall: float, latencies: list[float]) -> float:
    """Print and return operations per second."""
    rate = count / wall
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"{name:<28} {count:>6} ops {wall:>7.2f} s {rate:>8.1f}/s "
        f"median {statistics.median(latencies) * 1000:>6.1f} ms  p95 {p95 * 1000:>6.1f} ms"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=10, help="participants per client")
    parser.add_argument("--slots", type=int, default=10)
    parser.add_argument("--seats", type=int, default=40)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures its row locks.")

    setup_test_environment()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        forum, sessions_by_slot, registrations = build_forum(args.slots, args.seats, args.clients * args.per_client)
        rng = random.Random(2020)
        plans = [
            [
                (registration, rng.choice(slot))
                for registration in registrations[i :: args.clients]
                for slot in sessions_by_slot
            ]
            for i in range(args.clients)
        ]

        def floor(index, latencies):
            for _, session in plans[index]:
                started = time.perf_counter()
                with transaction.atomic():
                    Session.objects.select_for_update().filter(pk=session.pk).exists()
                latencies.append(time.perf_counter() - started)

        def sign_ups(index, latencies):
            client = Client()
            current = None
            for registration, session in plans[index]:
                if registration.user_id != current:
                    client.force_login(registration.user)
                    current = registration.user_id
                url = f"/forums/{forum.slug}/sessions/{session.slug}/signup/"
                started = time.perf_counter()
                response = client.post(url, {"join_waitlist": "1"})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 302:
                    raise RuntimeError(f"{url} answered {response.status_code}")

        total = sum(len(plan) for plan in plans)
        print(f"{args.clients} clients, {total} sign-ups, {args.slots * 3} sessions of {args.seats} seats")
        floor_rate = report("floor (lock + commit)", total, *run_clients(args.clients, floor))
        rate = report("sign-up (POST, full stack)", total, *run_clients(args.clients, sign_ups))
        print(f"sign-ups per second are {rate / floor_rate:.1%} of the floor's transactions per second")

        overbooked = Session.objects.annotate(taken=Count("signups", filter=Q(signups__status="confirmed"))).filter(
            taken__gt=args.seats
        )
        print("overbooked sessions:", overbooked.count())
    finally:
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            celery_app.control.purge()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
