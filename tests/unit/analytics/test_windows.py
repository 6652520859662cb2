"""Windows over per-minute buckets and the dashboard's ratios."""

from datetime import UTC, datetime

from services.analytics.domain.windows import (
    Window,
    average_order_value,
    conversion_rate,
    minute_of,
    window_start,
)


def test_a_window_is_its_number_of_minute_buckets_ending_with_the_current_one() -> None:
    now = datetime(2026, 11, 27, 10, 30, 42, 123, tzinfo=UTC)
    assert minute_of(now) == datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
    assert window_start(Window.FIVE_MINUTES, now) == datetime(2026, 11, 27, 10, 26, tzinfo=UTC)
    assert window_start(Window.ONE_HOUR, now) == datetime(2026, 11, 27, 9, 31, tzinfo=UTC)
    assert window_start(Window.ONE_DAY, now) == datetime(2026, 11, 26, 10, 31, tzinfo=UTC)
    assert [w.minutes for w in Window] == [5, 15, 60, 1440]


def test_average_order_value_and_conversion() -> None:
    assert average_order_value(10_000, 3) == 3333
    assert average_order_value(10_001, 2) == 5001  # half a cent rounds up
    assert average_order_value(500, 0) == 0
    assert conversion_rate(1, 3) == 33.33
    assert conversion_rate(0, 0) == 0.0
    assert conversion_rate(5, 4) == 100.0  # never above 100
