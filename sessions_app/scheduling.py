"""Schedule checks as pure functions over ``(start, end)`` intervals and numbered items.

Intervals are half-open, ``[start, end)``: an item ending at 14:10 and the next one
starting at 14:10 do not overlap. The functions compare values only, so they work on
aware datetimes in any time zone (or on any other ordered values; ``local_days`` alone
needs aware datetimes and a zone); they never touch the database. Forms and model
``clean()`` methods call them and turn what they find into ``ValidationError``s on the
right field.
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

Interval = tuple[datetime, datetime]


def overlaps(first: Interval, second: Interval) -> bool:
    """True when the half-open intervals ``first`` and ``second`` share some moment."""
    return first[0] < second[1] and second[0] < first[1]


def lies_within(inner: Interval, outer: Interval) -> bool:
    """True when ``inner`` starts no earlier and ends no later than ``outer``."""
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def overlapping(interval: Interval, others: Sequence[Interval]) -> list[int]:
    """Indexes in ``others`` of the intervals that overlap ``interval``, in ascending order."""
    return [index for index, other in enumerate(others) if overlaps(interval, other)]


def overlapping_pairs(intervals: Sequence[Interval]) -> list[tuple[int, int]]:
    """Every pair of overlapping intervals, as indexes ``(earlier, later)`` into ``intervals``.

    ``earlier`` starts no later than ``later`` (on equal starts, the lower index comes
    first), so ``later`` is the interval whose start falls inside the other one: the
    place to report the clash. Pairs are sorted by ``later``'s start, then ``earlier``'s.
    """
    by_start = sorted(range(len(intervals)), key=lambda index: (intervals[index][0], index))
    pairs = []
    for position, later in enumerate(by_start):
        for earlier in by_start[:position]:
            if overlaps(intervals[earlier], intervals[later]):
                pairs.append((earlier, later))
    return pairs


def local_days(interval: Interval, zone: tzinfo) -> tuple[date, date]:
    """The calendar days in ``zone`` on which the aware ``interval`` starts and ends.

    The end is exclusive, so an interval ending at midnight ends on the day before:
    (22 Jan 20:00, 23 Jan 00:00) gives (22 Jan, 22 Jan).
    """
    start, end = (moment.astimezone(zone) for moment in interval)
    end_day = end.date() - timedelta(days=1) if end.time() == time.min and end > start else end.date()
    return start.date(), end_day


def misnumbered_pairs(items: Sequence[tuple[int, datetime]]) -> list[tuple[int, int]]:
    """Pairs of items whose numbers contradict their start times.

    ``items`` are ``(number, start)``. Returns every pair of indexes ``(lower, higher)``
    where ``items[higher]`` has the higher number but starts strictly before
    ``items[lower]``; sorted by the higher item's number, then the lower one's. Equal
    numbers or equal starts are not a contradiction (duplicates and overlaps are
    checked elsewhere).
    """
    by_number = sorted(range(len(items)), key=lambda index: (items[index][0], index))
    return [
        (lower, higher)
        for position, higher in enumerate(by_number)
        for lower in by_number[:position]
        if items[lower][0] < items[higher][0] and items[higher][1] < items[lower][1]
    ]
