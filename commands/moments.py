"""Moments: an instant a reply shows a person (a reveal time, a posting time, a session, a recap), written once by
the command and drawn by each platform its own way.

Why a token and not text: Discord (`<t:UNIX:STYLE>`) and Slack (`<!date^UNIX^…|fallback>`) can show an instant in
each reader's own zone, which no text a command writes can do, while the console, and every place a platform shows
text as it is (a title, a button), needs the time written out in a zone that is named. So a command puts
`moment(at, zone, style)` in its reply text: a token carrying the instant, a style and that written-out fallback, in
the zone of whoever it is for (`await ctx.zone()` for a member, the community's zone for a channel post). Each
adapter's renderer rewrites every token of a reply once, through `localize`, with a writer of its own; the
console's writer is `fallback`.

The token is `<t:UNIX:STYLE|fallback>`, Discord's markup with the fallback added, so a reply that reached a platform
unrendered would still read. The styles are Discord's:

    t  20:00                              T  20:00:10
    d  Tue 8 Dec 2026                     D  Tuesday 8 December 2026
    f  Tue 8 Dec, 20:00                   F  Tuesday 8 December, 20:00
    R  relative ("in 3 hours") on Discord; its fallback is relative too when `moment` is given `now` (else it is
       written as an absolute time, like f)

each followed by the zone's name: "20:00 Asia/Karachi", "Tue 8 Dec 2026 (Asia/Karachi)".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Literal, cast
from zoneinfo import ZoneInfo

from commands.replies import Button, Card, Field, Reply

Style = Literal["t", "T", "d", "D", "f", "F", "R"]
STYLES: tuple[Style, ...] = ("t", "T", "d", "D", "f", "F", "R")

#: A token as `moment` writes it. The fallback holds no `<` or `>`, so a token never swallows the text after it.
TOKEN = re.compile(r"<t:(?P<unix>-?\d{1,12}):(?P<style>[tTdDfFR])\|(?P<fallback>[^<>\n]*)>")
_DATE_ONLY = {"d", "D"}


@dataclass(frozen=True)
class Moment:
    """One token read back: what a renderer's writer gets."""

    unix: int  # seconds since the epoch, UTC
    style: Style
    fallback: str  # the instant written in the reader's (or the community's) zone, the zone named

    @property
    def token(self) -> str:
        return f"<t:{self.unix}:{self.style}|{self.fallback}>"


Writer = Callable[[Moment], str]


def moment(at: datetime, zone: str, style: Style = "f", *, now: datetime | None = None) -> str:
    """The token for `at`, whose fallback is written in `zone` (an IANA name) and names it. A naive datetime is
    refused: instants are kept in UTC, and guessing a zone for one would show the wrong time without a sign."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a moment needs an aware datetime; instants are kept in UTC")
    text = relative(at, now) if style == "R" and now is not None else written(at, zone, style)
    return Moment(int(at.timestamp()), style, text).token


def relative(at: datetime, now: datetime) -> str:
    """"in 3 hours", "5 minutes ago": the largest whole unit, as a person says it."""
    seconds = int((at - now).total_seconds())
    size = abs(seconds)
    if size < 60:
        return "now"
    for unit, length in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if size >= length:
            n = round(size / length)
            words = f"{n} {unit}" + ("" if n == 1 else "s")
            return f"in {words}" if seconds > 0 else f"{words} ago"
    raise AssertionError("unreachable")


def written(at: datetime, zone: str, style: Style = "f") -> str:
    """`at` as a person in `zone` reads it, with the zone named: the console's text and every fallback."""
    return _written(int(at.timestamp()), zone, style)


@lru_cache(maxsize=4096)
def _written(unix: int, zone: str, style: Style) -> str:
    """Cached by the second: a burst of presses writes the same few moments (the reveal time) thousands of times."""
    local = datetime.fromtimestamp(unix, ZoneInfo(zone))
    short_day = f"{local:%a} {local.day} {local:%b}"  # the day unpadded by hand: %-d is not portable
    long_day = f"{local:%A} {local.day} {local:%B}"
    text = {
        "t": f"{local:%H:%M}",
        "T": f"{local:%H:%M:%S}",
        "d": f"{short_day} {local.year}",
        "D": f"{long_day} {local.year}",
        "f": f"{short_day}, {local:%H:%M}",
        "F": f"{long_day}, {local:%H:%M}",
        "R": f"{short_day}, {local:%H:%M}",
    }[style]
    return f"{text} ({zone})" if style in _DATE_ONLY else f"{text} {zone}"


def parse(token: str) -> Moment | None:
    """The moment a whole token stands for; None for anything else."""
    match = TOKEN.fullmatch(token)
    return _moment(match) if match else None


def fallback(found: Moment) -> str:
    """The writer for text shown as it is: the console, titles, button labels."""
    return found.fallback


def rewrite(text: str, write: Writer) -> str:
    """Every token in `text` replaced by what `write` makes of it; text without one is returned as it is."""
    if "<t:" not in text:  # nearly every text: no regex run, no copy
        return text
    return TOKEN.sub(lambda match: write(_moment(match)), text)


def localize(reply: Reply, marked: Writer, plain: Writer = fallback) -> Reply:
    """The reply with every moment written, for one platform. `marked` writes those in text the platform renders
    as markup (message text, card bodies, field values); `plain` those it shows as typed (card titles, field names,
    footers, button labels, an image's alt text), where neither Discord nor Slack draws a timestamp."""
    cards = tuple(_card(card, marked, plain) for card in reply.cards)
    buttons = tuple(_button(button, plain) for button in reply.buttons)
    image = replace(reply.image, alt=rewrite(reply.image.alt, plain)) if reply.image is not None else None
    return replace(reply, text=rewrite(reply.text, marked), cards=cards, buttons=buttons, image=image)


def _card(card: Card, marked: Writer, plain: Writer) -> Card:
    fields = tuple(Field(rewrite(f.name, plain), rewrite(f.value, marked), f.inline) for f in card.fields)
    return replace(card, title=rewrite(card.title, plain), body=rewrite(card.body, marked), fields=fields,
                   footer=rewrite(card.footer, plain))


def _button(button: Button, plain: Writer) -> Button:
    label = rewrite(button.label, plain)
    return button if label is button.label else replace(button, label=label)


def _moment(match: re.Match[str]) -> Moment:
    return Moment(int(match["unix"]), cast(Style, match["style"]), match["fallback"])
