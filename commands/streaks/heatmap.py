"""The study heatmap `/streak` sends: a GitHub-style grid of a member's last weeks, one square per day, as a PNG.

It draws what it is given (activities per local day: check-ins plus QOTD answers) and knows no platform and no
database, so the same picture goes out as a Discord attachment, a Slack upload or a file on the console. Pillow's
built-in font keeps it working on a bare machine, and the opaque dark card reads the same on light and dark themes.
The palette and the geometry are module constants, and `cell_box` says where a day's square is, so a test can check
a known pixel instead of trusting a picture.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont, features

from commands.replies import Image

RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# Palette: GitHub's dark-theme greens on a dark card.
BACKGROUND: RGB = (13, 17, 23)
BORDER: RGB = (48, 54, 61)
TEXT: RGB = (230, 237, 243)
MUTED: RGB = (139, 148, 158)
EMPTY: RGB = (33, 38, 45)  # a day with no activity: visible against the card, quieter than any green
LEVELS: tuple[RGB, ...] = ((14, 68, 41), (0, 109, 50), (38, 166, 65), (57, 211, 83))
LEVEL_FLOORS = (1, 2, 3, 5)  # the fewest activities of each level: 1, 2, 3-4, 5+
TODAY_OUTLINE: RGB = (230, 237, 243)

# Geometry, in pixels. A cell's box is inclusive, as Pillow's rectangle takes it.
PAD = 14
TITLE_H = 24
MONTH_H = 18
LABEL_W = 34
CELL = 15
GAP = 3  # wide enough for today's ring to sit in the gap with a pixel of space on both sides
PITCH = CELL + GAP
GRID_X = PAD + LABEL_W
GRID_Y = PAD + TITLE_H + MONTH_H
PANEL_GAP = 40
PANEL_W = 300
DAYS = 7
DAY_LABELS = {0: "Mon", 2: "Wed", 4: "Fri"}
FILENAME = "streak-heatmap.png"


@dataclass(frozen=True)
class Summary:
    """What the picture says in words: the alt text and the panel beside the grid both come from here."""

    days: int  # days shown: whole weeks up to today, none after it
    active: int
    this_week: int
    busiest: tuple[date, int] | None


def level(count: int) -> int:
    """0 for no activity, else 1-4: few enough steps to tell apart at a glance."""
    return sum(count >= floor for floor in LEVEL_FLOORS)


def colour(count: int) -> RGB:
    return (EMPTY, *LEVELS)[level(count)]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def first_day(today: date, weeks: int = 12) -> date:
    """The Monday that opens the first column: the grid holds whole weeks, the last one today's."""
    return monday_of(today) - timedelta(weeks=weeks - 1)


def position(day: date, today: date, weeks: int = 12) -> tuple[int, int] | None:
    """The (column, row) of `day`'s cell, or None for a day outside the grid or after today."""
    offset = (day - first_day(today, weeks)).days
    return divmod(offset, DAYS) if offset >= 0 and day <= today else None


def cell_box(column: int, row: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a cell: column 0 is the first week, row 0 is Monday."""
    left, top = GRID_X + column * PITCH, GRID_Y + row * PITCH
    return left, top, left + CELL - 1, top + CELL - 1


def cell_center(column: int, row: int) -> tuple[int, int]:
    """A pixel that is the cell's own colour whatever surrounds it (today's ring lies outside the box)."""
    left, top, right, bottom = cell_box(column, row)
    return (left + right) // 2, (top + bottom) // 2


def image_size(weeks: int = 12) -> tuple[int, int]:
    """(width, height) of the picture: the grid, the panel beside it, padding all round."""
    return GRID_X + weeks * PITCH - GAP + PANEL_GAP + PANEL_W + PAD, GRID_Y + DAYS * PITCH - GAP + PAD


def shown_days(today: date, weeks: int = 12) -> list[date]:
    """The grid's days in order, Monday of the first week to today: the days after today are not drawn."""
    start = first_day(today, weeks)
    return [start + timedelta(days=n) for n in range((today - start).days + 1)]


def summarize(counts: Mapping[date, int], today: date, weeks: int = 12) -> Summary:
    """Counts outside the grid (older, or after today) are ignored, as the picture ignores them."""
    days = shown_days(today, weeks)
    active = [day for day in days if counts.get(day, 0) > 0]
    busiest = max(active, key=lambda day: (counts[day], day), default=None)  # of equals, the latest
    return Summary(days=len(days), active=len(active), this_week=sum(day >= monday_of(today) for day in active),
                   busiest=(busiest, counts[busiest]) if busiest else None)


def alt_text(summary: Summary, today: date, weeks: int = 12, title: str = "") -> str:
    """The picture in one sentence, for screen readers and for platforms that show no images."""
    lead = f"{title}: study heatmap" if title else "Study heatmap"
    return f"{lead}, {weeks} weeks to {today:%a} {today.day} {today:%b %Y}: active on {summary.active} of {summary.days} days, {summary.this_week} this week"


def heatmap_image(counts: Mapping[date, int], today: date, *, weeks: int = 12, title: str = "") -> Image:
    """The reply's picture: the PNG and the words that stand in for it."""
    alt = alt_text(summarize(counts, today, weeks), today, weeks, title)
    return Image(data=heatmap_png(counts, today, weeks=weeks, title=title), alt=alt, filename=FILENAME)


def heatmap_png(counts: Mapping[date, int], today: date, *, weeks: int = 12, title: str = "") -> bytes:
    """The same inputs give the same bytes: no clock, no random, no font file."""
    canvas = PILImage.new("RGB", image_size(weeks), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, canvas.width - 1, canvas.height - 1), outline=BORDER)
    draw.text((PAD, PAD), title or f"Study activity, last {weeks} weeks", fill=TEXT, font=_font(15))
    draw.text((canvas.width - PAD, PAD + 2), _span(today, weeks), fill=MUTED, font=_font(12), anchor="ra")
    _month_labels(draw, today, weeks)
    _day_labels(draw)
    _cells(draw, counts, today, weeks)
    _panel(draw, summarize(counts, today, weeks), weeks)
    return _encode(canvas)


@lru_cache
def _font(size: int) -> Font:
    """Pillow's built-in font: scalable when Pillow has FreeType (its wheels do), else its small bitmap font."""
    return ImageFont.load_default(size) if features.check_module("freetype2") else ImageFont.load_default()


def _span(today: date, weeks: int) -> str:
    """The dates the grid covers, years included, so a picture scrolled up a channel still says when it was taken.
    (Plain "to": the built-in font has no en dash.)"""
    start = first_day(today, weeks)
    begins = f"{start.day} {start:%b}" if start.year == today.year else f"{start.day} {start:%b %Y}"
    return f"{begins} to {today:%a} {today.day} {today:%b %Y}"


def _width(text: str, size: int) -> int:
    return int(_font(size).getlength(text))


def _month_labels(draw: ImageDraw.ImageDraw, today: date, weeks: int) -> None:
    """A month's name over the week its 1st falls in (the first column's month too, if it has room)."""
    for column, name in _month_columns(today, weeks):
        draw.text((GRID_X + column * PITCH, GRID_Y - 5), name, fill=MUTED, font=_font(11), anchor="ls")


def _month_columns(today: date, weeks: int) -> list[tuple[int, str]]:
    start = first_day(today, weeks)
    mondays = [start + timedelta(weeks=column) for column in range(weeks)]
    firsts = [(column, (monday + timedelta(days=6)).replace(day=1)) for column, monday in enumerate(mondays)]
    labels = [(column, f"{first:%b}") for column, first in firsts if monday_of(first) == mondays[column] and first <= today]
    room = labels[0][0] * PITCH if labels else weeks * PITCH
    if room >= _width(f"{start:%b}", 11) + 6:
        labels.insert(0, (0, f"{start:%b}"))
    return labels


def _day_labels(draw: ImageDraw.ImageDraw) -> None:
    for row, name in DAY_LABELS.items():
        _, top, _, bottom = cell_box(0, row)
        draw.text((GRID_X - 8, (top + bottom) / 2), name, fill=MUTED, font=_font(11), anchor="rm")


def _cells(draw: ImageDraw.ImageDraw, counts: Mapping[date, int], today: date, weeks: int) -> None:
    """One square per day up to today; the days after it in today's week stay bare card."""
    for offset, day in enumerate(shown_days(today, weeks)):
        column, row = divmod(offset, DAYS)
        draw.rectangle(cell_box(column, row), fill=colour(counts.get(day, 0)))
    left, top, right, bottom = cell_box(weeks - 1, today.weekday())
    draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), outline=TODAY_OUTLINE)


def _panel(draw: ImageDraw.ImageDraw, summary: Summary, weeks: int) -> None:
    """Beside the grid, the figures a member looks for first, and the legend at its foot."""
    x = GRID_X + weeks * PITCH - GAP + PANEL_GAP
    for line, (figure, words) in enumerate(_stats(summary)):
        _, top, _, _ = cell_box(0, line * 2)
        _stat(draw, (x, top + 16), figure, words)
    _legend(draw, (x, cell_box(0, DAYS - 1)[3]))


def _stats(summary: Summary) -> list[tuple[str, str]]:
    """(figure, words) lines: the active days, this week's, and the busiest day, a record to beat."""
    stats = [(str(summary.active), f"of {summary.days} days active"),
             (str(summary.this_week), f"{_plural(summary.this_week, 'day')} active this week")]
    if summary.busiest:
        day, count = summary.busiest
        stats.append((str(count), f"{_plural(count, 'activity', 'activities')} on {day:%a} {day.day} {day:%b}, the busiest day"))
    return stats


def _plural(count: int, one: str, many: str = "") -> str:
    return one if count == 1 else many or f"{one}s"


def _stat(draw: ImageDraw.ImageDraw, baseline: tuple[int, int], figure: str, words: str) -> None:
    draw.text(baseline, figure, fill=TEXT, font=_font(20), anchor="ls")
    x = baseline[0] + max(28, _width(figure, 20) + 8)
    draw.text((x, baseline[1]), words, fill=MUTED, font=_font(12), anchor="ls")


def _legend(draw: ImageDraw.ImageDraw, bottom_left: tuple[int, int]) -> None:
    """Less, the five colours, more: the key to the levels, on the grid's bottom line."""
    x, bottom = bottom_left
    draw.text((x, bottom - CELL // 2), "Less", fill=MUTED, font=_font(11), anchor="lm")
    x += _width("Less", 11) + 6
    for fill in (EMPTY, *LEVELS):
        draw.rectangle((x, bottom - CELL + 1, x + CELL - 1, bottom), fill=fill)
        x += PITCH
    draw.text((x + 3, bottom - CELL // 2), "More", fill=MUTED, font=_font(11), anchor="lm")


def _encode(canvas: PILImage.Image) -> bytes:
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
