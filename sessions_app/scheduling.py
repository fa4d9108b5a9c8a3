"""Schedule clash checks as pure functions over ``(start, end)`` intervals.

Intervals are half-open, ``[start, end)``: an item ending at 14:10 and the next one
starting at 14:10 do not overlap. The functions compare values only, so they work on
aware datetimes in any time zone (or on any other ordered values); they never touch the
database. Forms and model ``clean()`` methods call them and turn what they find into
``ValidationError``s on the right field.
"""

from collections.abc import Sequence
from datetime import datetime

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
