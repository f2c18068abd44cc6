"""What a study session may hold, checked before anything is stored: each check raises a UserError that says what to
type instead, and `check_draft` runs them all first so a bad option never leaves a half-made session behind.

A topic is one line of plain text of 1-200 characters: clean (core.text.clean), and with our neutral markup written
as the text it shows (core.text.one_line), because the topic is set inside that markup on every card, reminder and
"starting now" post: a `<@&S0LEADS>` kept as typed (Slack sends `@leads` so) would ping the whole user group from
the channel post. A link is an http(s) URL with a host, no user name (`https://zoom.us@evil.example` opens
evil.example) and none of the characters RFC 3986 leaves out of URLs (`<`, `>`, `"`, backticks…), which would
otherwise be read as markup around it; a session lasts 15 minutes to 8 hours and holds 1-500
members, or anyone who comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from core.errors import UserError
from core.sessions.when import When, parse_when
from core.text import clean, one_line, quote

TOPIC_LIMIT = 200
LINK_LIMIT = 500
MIN_MINUTES, MAX_MINUTES, DEFAULT_MINUTES = 15, 480, 60
MIN_CAPACITY, MAX_CAPACITY = 1, 500
REPEATS = ("weekly",)
_NOT_IN_URLS = frozenset('<>"`{}|\\^')  # RFC 3986 §2: never in a URL unencoded; `<@&…>` in one is a mention


@dataclass(frozen=True)
class Draft:
    """A session as `/study new` asked for it, every option checked; nothing is stored yet."""

    topic: str
    when: When
    minutes: int = DEFAULT_MINUTES
    capacity: int | None = None  # None: anyone who comes
    link: str | None = None
    repeat: str | None = None  # 'weekly', or a one-off

    @property
    def starts_at(self) -> datetime:
        return self.when.at

    @property
    def ends_at(self) -> datetime:
        """Elapsed minutes from the start: a session across a DST change still lasts what was asked."""
        return self.when.at + timedelta(minutes=self.minutes)


def check_draft(topic: str, when: str, zone: str, now: datetime, *, minutes: int | None = None,
                capacity: int | None = None, link: str | None = None, repeat: str | None = None) -> Draft:
    """Every option of `/study new` checked, in the order they are typed; the first bad one is the error."""
    return Draft(check_topic(topic), parse_when(when, zone, now), check_minutes(minutes), check_capacity(capacity),
                 check_link(link), check_repeat(repeat))


def check_topic(text: str) -> str:
    topic = one_line(text)
    if not topic:
        raise UserError("Give the session a topic, like `UWorld block 12 review` or `OET speaking practice`.")
    if len(topic) > TOPIC_LIMIT:
        raise UserError(f"The topic is {len(topic):,} characters long; the limit is {TOPIC_LIMIT}. Put the details in "
                        f"the session's thread instead.")
    return topic


def check_link(text: str | None) -> str | None:
    """An http(s) URL with a host, or None when no link was given."""
    if text is None or not text.strip():
        return None
    link = text.strip()
    example = "a full web address like `https://zoom.us/j/123456789`"
    if len(link) > LINK_LIMIT:
        raise UserError(f"The link is {len(link):,} characters long; the limit is {LINK_LIMIT}. Use {example}.")
    if clean(link) != link or any(c.isspace() or c in _NOT_IN_URLS for c in link):
        raise UserError(f"`{quote(link)}` has spaces, hidden characters or ones a web address can't "
                        f"hold, like `<` or quotes. Use {example}.")
    try:
        parts = urlsplit(link)
        host = parts.hostname
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        raise UserError(f"`{quote(link)}` is not a web address I can open. Use {example}.") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise UserError(f"`{quote(link)}` is not an http(s) link. Use {example}.")
    if parts.username is not None or parts.password is not None:
        raise UserError(f"`{quote(link)}` has a user name before `@`, which hides where it really goes. Use {example}.")
    return link


def check_minutes(minutes: int | None) -> int:
    """The duration in minutes, DEFAULT_MINUTES when none was given."""
    if minutes is None:
        return DEFAULT_MINUTES
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise UserError(f"`duration` must be from {MIN_MINUTES} to {MAX_MINUTES} minutes (8 hours); "
                        f"for example `90`. Leave it out for {DEFAULT_MINUTES}.")
    return minutes


def check_capacity(capacity: int | None) -> int | None:
    """The most members who can be Going (the rest wait), or None for no limit."""
    if capacity is None:
        return None
    if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        raise UserError(f"`capacity` must be from {MIN_CAPACITY} to {MAX_CAPACITY} members; leave it out for no limit.")
    return capacity


def check_repeat(repeat: str | None) -> str | None:
    if repeat is None or not repeat.strip():
        return None
    key = repeat.strip().lower()
    if key not in REPEATS:
        raise UserError(f"`repeat` can be `weekly`, or left out for a one-off session; got `{quote(repeat)}`.")
    return key
