"""`when:20h`: in French, Spanish or Portuguese (many IMGs' first languages) that is 20:00, but dateparser reads a
bare "20h" as a span, 20 hours from now, while "20h30" is read as 20:30. A bare hour count without "in" is refused
with the two readings to pick from; "in 2h" and "20:00" stand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import UserError
from core.sessions.when import parse_when

NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)  # a Monday, 15:00 in Karachi


@pytest.mark.parametrize("text", ["20h", "20 h", "2h", "20H"])
def test_a_bare_hour_count_is_refused_with_both_readings(text: str) -> None:
    with pytest.raises(UserError) as error:
        parse_when(text, "Asia/Karachi", NOW)
    hours = int(text.lower().rstrip("h").strip())
    assert f"`{hours:02d}:00`" in str(error.value) and f"`in {hours} hours`" in str(error.value)


def test_in_two_hours_and_a_clock_time_still_stand() -> None:
    assert parse_when("in 2h", "Asia/Karachi", NOW).at == NOW + timedelta(hours=2)
    assert parse_when("20:00", "Asia/Karachi", NOW).wall == datetime(2026, 12, 7, 20)
    assert parse_when("20h30", "Asia/Karachi", NOW).wall == datetime(2026, 12, 7, 20, 30)
