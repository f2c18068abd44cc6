"""The options of `/study new` other than `when` (core.sessions.rules): what each accepts, and the friendly refusal
of everything else. No test reads the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import UserError
from core.sessions.rules import (
    DEFAULT_MINUTES,
    TOPIC_LIMIT,
    check_capacity,
    check_draft,
    check_link,
    check_minutes,
    check_repeat,
    check_topic,
)

NOW = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)  # Thursday 10:00 in Karachi


def refused(check, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError) as caught:
        check(*args)
    return str(caught.value)


def test_a_topic_is_one_clean_line() -> None:
    assert check_topic("  UWorld block 12\nreview  ") == "UWorld block 12 review"
    assert check_topic("Cardio\u202e review\x00") == "Cardio review"
    assert check_topic("x" * TOPIC_LIMIT) == "x" * TOPIC_LIMIT


@pytest.mark.parametrize("topic", ["", "   ", "\u200b\u200b"])
def test_an_empty_topic_is_refused(topic: str) -> None:
    assert "Give the session a topic" in refused(check_topic, topic)


def test_a_500_character_topic_is_refused() -> None:
    message = refused(check_topic, "a" * 500)
    assert "500 characters" in message and str(TOPIC_LIMIT) in message
    assert "201 characters" in refused(check_topic, "a" * 201)


@pytest.mark.parametrize("link", ["https://zoom.us/j/123456789", "http://meet.example.org:8080/room?x=1#y",
                                  "HTTPS://Example.com"])
def test_an_http_link_with_a_host_is_kept(link: str) -> None:
    assert check_link(f" {link} ") == link


@pytest.mark.parametrize("link", [None, "", "  "])
def test_no_link_is_none(link: str | None) -> None:
    assert check_link(link) is None


@pytest.mark.parametrize(("link", "says"), [
    ("ftp://files.example.com/a", "not an http(s) link"),
    ("javascript:alert(1)", "not an http(s) link"),
    ("zoom.us/j/1", "not an http(s) link"),
    ("https://", "not an http(s) link"),
    ("https:///path", "not an http(s) link"),
    ("https://zoom.us@evil.example/j/1", "user name"),
    ("https://exa mple.com", "spaces"),
    ("https://example.com/\u202e", "hidden characters"),
    ("https://example.com:99999999/", "not a web address"),
    ("https://[::1/", "not a web address"),
    ("https://example.com/" + "a" * 600, "characters long"),
])
def test_a_bad_link_is_refused(link: str, says: str) -> None:
    message = refused(check_link, link)
    assert says in message and "https://zoom.us/j/123456789" in message


def test_duration_defaults_and_bounds() -> None:
    assert check_minutes(None) == DEFAULT_MINUTES == 60
    assert check_minutes(15) == 15 and check_minutes(480) == 480


@pytest.mark.parametrize("minutes", [0, 14, 481, -60, 10_000])
def test_a_duration_outside_15_to_480_is_refused(minutes: int) -> None:
    assert "from 15 to 480 minutes" in refused(check_minutes, minutes)


def test_capacity_bounds() -> None:
    assert check_capacity(None) is None
    assert check_capacity(1) == 1 and check_capacity(500) == 500
    for capacity in (0, -1, 501):
        assert "from 1 to 500" in refused(check_capacity, capacity)


def test_repeat_is_weekly_or_nothing() -> None:
    assert check_repeat(None) is None and check_repeat("") is None
    assert check_repeat(" Weekly ") == "weekly"
    assert "`weekly`" in refused(check_repeat, "daily")


def test_a_draft_checks_everything() -> None:
    draft = check_draft("Renal review", "tue 8pm", "Asia/Karachi", NOW, minutes=90, capacity=8,
                        link="https://zoom.us/j/1", repeat="weekly")
    assert draft.topic == "Renal review" and draft.repeat == "weekly" and draft.capacity == 8
    assert draft.starts_at == datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
    assert draft.ends_at - draft.starts_at == timedelta(minutes=90)


def test_a_draft_across_fall_back_lasts_the_minutes_asked() -> None:
    draft = check_draft("Mock OET", "2026-11-01 01:00", "America/New_York", NOW - timedelta(days=60), minutes=120)
    assert draft.ends_at - draft.starts_at == timedelta(hours=2)


def test_a_draft_with_one_bad_option_is_refused_whole() -> None:
    with pytest.raises(UserError, match="15 to 480"):
        check_draft("Renal review", "tue 8pm", "Asia/Karachi", NOW, minutes=5)
    with pytest.raises(UserError, match="characters long"):
        check_draft("a" * 500, "tue 8pm", "Asia/Karachi", NOW)
    with pytest.raises(UserError, match="can't read"):
        check_draft("Renal review", "next blursday", "Asia/Karachi", NOW)


def test_a_topic_keeps_no_masked_link_mention_or_heading_marker() -> None:
    """The same one-line rule as a resource suggestion's title: the card shows what it says and opens nothing else."""
    from core.sessions.rules import check_topic

    assert check_topic("# [UWorld review](https://evil.example) <!channel>") == "[UWorld review] (https://evil.example) @channel"
