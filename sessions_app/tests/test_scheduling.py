"""The pure schedule checks over (start, end) intervals and numbered items."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from sessions_app.scheduling import (
    lies_within,
    local_days,
    misnumbered_pairs,
    overlapping,
    overlapping_pairs,
    overlaps,
)

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


@pytest.mark.parametrize(
    ("interval", "days"),
    [
        ((at(14), at(16, 30)), (date(2020, 1, 22), date(2020, 1, 22))),
        ((at(20), datetime(2020, 1, 23, 0, 0, tzinfo=QUITO)), (date(2020, 1, 22), date(2020, 1, 22))),
        ((at(20), datetime(2020, 1, 23, 0, 1, tzinfo=QUITO)), (date(2020, 1, 22), date(2020, 1, 23))),
        ((at(20, zone=ZoneInfo("UTC")), at(21, zone=ZoneInfo("UTC"))), (date(2020, 1, 22), date(2020, 1, 22))),
        ((at(3, zone=ZoneInfo("UTC")), at(6, zone=ZoneInfo("UTC"))), (date(2020, 1, 21), date(2020, 1, 22))),
    ],
    ids=["same-day", "until-midnight", "past-midnight", "utc-afternoon", "utc-night"],
)
def test_local_days_are_the_calendar_days_in_the_zone_with_an_exclusive_end(interval, days):
    assert local_days(interval, QUITO) == days


def test_misnumbered_pairs_of_an_agenda_in_time_order_is_empty():
    assert misnumbered_pairs([(2, at(14, 10)), (1, at(14)), (3, at(14, 20))]) == []
    assert misnumbered_pairs([(1, at(14)), (2, at(14))]) == []
    assert misnumbered_pairs([]) == []


def test_misnumbered_pairs_gives_the_lower_number_first_whatever_the_input_order():
    assert misnumbered_pairs([(2, at(18)), (1, at(18, 30))]) == [(1, 0)]
    assert misnumbered_pairs([(1, at(18, 30)), (2, at(18))]) == [(0, 1)]


def test_misnumbered_pairs_lists_every_contradiction_by_the_higher_then_the_lower_number():
    items = [(3, at(14, 30)), (1, at(16)), (2, at(14)), (4, at(15))]

    assert misnumbered_pairs(items) == [(1, 2), (1, 0), (1, 3)]
