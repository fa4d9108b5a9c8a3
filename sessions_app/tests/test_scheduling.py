"""The pure clash checks over (start, end) intervals."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sessions_app.scheduling import lies_within, overlapping, overlapping_pairs, overlaps

pytestmark = [pytest.mark.unit]

QUITO = ZoneInfo("America/Guayaquil")


def at(hour: int, minute: int = 0, zone: ZoneInfo = QUITO) -> datetime:
    return datetime(2020, 1, 22, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ((at(14), at(14, 10)), (at(14, 10), at(14, 20)), False),
        ((at(14), at(14, 10)), (at(14, 5), at(14, 20)), True),
        ((at(14), at(16, 30)), (at(14, 30), at(16, 20)), True),
        ((at(14, 30), at(16, 20)), (at(14), at(16, 30)), True),
        ((at(14), at(14, 10)), (at(15), at(15, 10)), False),
        ((at(14), at(14, 10)), (at(14), at(14, 10)), True),
    ],
    ids=["touching", "crossing", "containing", "contained", "apart", "equal"],
)
def test_overlaps_treats_intervals_as_half_open(first, second, expected):
    assert overlaps(first, second) is expected
    assert overlaps(second, first) is expected


def test_overlaps_compares_moments_across_time_zones():
    utc = ZoneInfo("UTC")

    assert overlaps((at(14), at(14, 10)), (at(19, 5, utc), at(19, 20, utc)))
    assert not overlaps((at(14), at(14, 10)), (at(14, 5, utc), at(14, 20, utc)))


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ((at(14), at(14, 10)), True),
        ((at(16, 20), at(16, 30)), True),
        ((at(13, 50), at(14, 10)), False),
        ((at(16, 20), at(16, 40)), False),
        ((at(13), at(17)), False),
    ],
    ids=["at-start", "at-end", "starts-before", "ends-after", "around"],
)
def test_lies_within_includes_both_bounds(inner, expected):
    assert lies_within(inner, (at(14), at(16, 30))) is expected


def test_overlapping_returns_the_indexes_of_the_clashing_intervals():
    agenda = [(at(14), at(14, 10)), (at(14, 10), at(14, 20)), (at(14, 20), at(14, 30)), (at(14, 30), at(16, 20))]

    assert overlapping((at(14, 15), at(14, 35)), agenda) == [1, 2, 3]
    assert overlapping((at(16, 20), at(16, 30)), agenda) == []
    assert overlapping((at(14), at(14, 10)), []) == []


def test_overlapping_pairs_of_a_clean_agenda_is_empty():
    agenda = [(at(16, 20), at(16, 30)), (at(14), at(14, 10)), (at(14, 10), at(16, 20))]

    assert overlapping_pairs(agenda) == []


def test_overlapping_pairs_puts_the_later_starting_interval_second_whatever_the_input_order():
    agenda = [(at(14, 5), at(14, 15)), (at(15), at(15, 30)), (at(14), at(14, 10))]

    assert overlapping_pairs(agenda) == [(2, 0)]


def test_overlapping_pairs_reports_every_pair_in_start_order():
    conversation = (at(14, 30), at(16, 20))
    inside = (at(15), at(15, 10))
    crossing = (at(16, 10), at(16, 30))

    assert overlapping_pairs([crossing, inside, conversation]) == [(2, 1), (2, 0)]


def test_overlapping_pairs_orders_equal_starts_by_index():
    assert overlapping_pairs([(at(14), at(14, 20)), (at(14), at(14, 10))]) == [(0, 1)]
