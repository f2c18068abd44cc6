"""The `/streak` heatmap, checked by its pixels: the PNG is decoded here and a known day's cell is read at its centre,
so a test fails when a day lands in the wrong square or gets the wrong colour, not when the artwork changes."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from PIL import Image as PILImage

from commands.replies import Image
from commands.streaks import heatmap
from commands.streaks.heatmap import BACKGROUND, EMPTY, LEVELS, cell_center, heatmap_image, heatmap_png, image_size

WEDNESDAY = date(2026, 12, 2)


def decode(png: bytes) -> PILImage.Image:
    picture = PILImage.open(BytesIO(png))
    picture.load()
    return picture


def pixel(picture: PILImage.Image, column: int, row: int) -> tuple[int, ...]:
    return picture.convert("RGB").getpixel(cell_center(column, row))  # type: ignore[return-value]


def test_the_reply_image_is_a_png_of_the_declared_size():
    image = heatmap_image({WEDNESDAY: 1}, WEDNESDAY)
    assert isinstance(image, Image) and image.filename == "streak-heatmap.png"
    picture = decode(image.data)
    assert picture.format == "PNG"
    assert picture.size == image_size(12)
    assert 550 <= picture.width <= 750 and 150 <= picture.height <= 220  # a modest banner, not a poster


def test_known_days_have_their_level_colour_at_their_cell_centre():
    ten_days_ago = WEDNESDAY - timedelta(days=10)  # Sunday 22 Nov, two columns back
    picture = decode(heatmap_png({WEDNESDAY: 5, ten_days_ago: 1, WEDNESDAY - timedelta(days=1): 2}, WEDNESDAY))
    assert pixel(picture, 11, 2) == LEVELS[3]  # today: the last column, Wednesday's row, 5+ is the top level
    assert pixel(picture, 9, 6) == LEVELS[0]
    assert pixel(picture, 11, 1) == LEVELS[1]
    assert pixel(picture, 11, 0) == EMPTY  # Monday this week: nothing done


@pytest.mark.parametrize(("count", "level"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (40, 4)])
def test_counts_fall_into_the_levels(count, level):
    assert heatmap.level(count) == level
    picture = decode(heatmap_png({WEDNESDAY: count}, WEDNESDAY))
    assert pixel(picture, 11, 2) == (EMPTY, *LEVELS)[level]


def test_days_after_today_are_left_as_background():
    picture = decode(heatmap_png({WEDNESDAY + timedelta(days=1): 5}, WEDNESDAY))
    for row in range(3, 7):  # Thursday to Sunday of today's week
        assert pixel(picture, 11, row) == BACKGROUND


def test_counts_beyond_the_twelve_weeks_are_ignored():
    first = heatmap.first_day(WEDNESDAY)
    assert first == date(2026, 9, 14)  # a Monday, eleven weeks before today's week
    old = {first - timedelta(days=n): 5 for n in range(1, 30)}
    future = {WEDNESDAY + timedelta(days=n): 5 for n in range(1, 10)}
    image = heatmap_image({**old, **future, first: 1}, WEDNESDAY)
    assert pixel(decode(image.data), 0, 0) == LEVELS[0]  # the first day shown still counts
    assert "active on 1 of 80 days, 0 this week" in image.alt
    assert heatmap_png({**old, **future}, WEDNESDAY) == heatmap_png({}, WEDNESDAY)


def test_the_alt_text_counts_the_active_days():
    counts = {WEDNESDAY: 3, WEDNESDAY - timedelta(days=2): 1, WEDNESDAY - timedelta(days=3): 2,
              WEDNESDAY - timedelta(days=40): 1, WEDNESDAY - timedelta(days=41): 0}
    image = heatmap_image(counts, WEDNESDAY)
    assert image.alt == "Study heatmap, 12 weeks to Wed 2 Dec 2026: active on 4 of 80 days, 2 this week"
    assert heatmap_image(counts, WEDNESDAY, title="Ana").alt.startswith("Ana: study heatmap, 12 weeks")


def test_an_empty_history_still_renders():
    image = heatmap_image({}, WEDNESDAY)
    picture = decode(image.data)
    assert picture.size == image_size()
    assert pixel(picture, 0, 0) == EMPTY and pixel(picture, 11, 2) == EMPTY
    assert "active on 0 of 80 days, 0 this week" in image.alt


def test_the_same_history_draws_the_same_bytes():
    counts = {WEDNESDAY - timedelta(days=n): n % 6 for n in range(84)}
    assert heatmap_png(counts, WEDNESDAY, title="x") == heatmap_png(dict(counts), WEDNESDAY, title="x")


def test_the_grid_crosses_a_year_boundary():
    today = date(2027, 1, 5)  # a Tuesday
    counts = {date(2026, 12, 31): 2, date(2027, 1, 1): 1, today: 4, date(2026, 10, 18): 5}  # 18 Oct: the day before the grid
    image = heatmap_image(counts, today)
    picture = decode(image.data)
    assert heatmap.first_day(today) == date(2026, 10, 19)
    assert pixel(picture, 10, 3) == LEVELS[1]  # Thursday 31 Dec 2026
    assert pixel(picture, 10, 4) == LEVELS[0]  # Friday 1 Jan 2027, same column
    assert pixel(picture, 11, 1) == LEVELS[2] and pixel(picture, 11, 2) == BACKGROUND
    assert image.alt.endswith("12 weeks to Tue 5 Jan 2027: active on 3 of 79 days, 1 this week")


def test_today_on_a_monday_is_the_only_cell_in_its_column():
    monday = date(2026, 12, 7)
    picture = decode(heatmap_png({monday: 1, monday - timedelta(days=1): 2}, monday))
    assert pixel(picture, 11, 0) == LEVELS[0]
    assert pixel(picture, 10, 6) == LEVELS[1]  # yesterday, Sunday, ends the week before
    assert all(pixel(picture, 11, row) == BACKGROUND for row in range(1, 7))
    assert heatmap_image({}, monday).alt.endswith("active on 0 of 78 days, 0 this week")


def test_today_on_a_sunday_fills_its_column():
    sunday = date(2026, 12, 13)
    picture = decode(heatmap_png({sunday: 5, sunday - timedelta(days=6): 1}, sunday))
    assert pixel(picture, 11, 6) == LEVELS[3] and pixel(picture, 11, 0) == LEVELS[0]
    assert all(pixel(picture, 11, row) == EMPTY for row in range(1, 6))
    assert heatmap_image({sunday: 5, sunday - timedelta(days=6): 1}, sunday).alt.endswith("active on 2 of 84 days, 2 this week")


def test_today_has_an_outline_around_its_cell():
    picture = decode(heatmap_png({}, WEDNESDAY)).convert("RGB")
    left, top, right, bottom = heatmap.cell_box(11, 2)
    assert picture.getpixel((left - 2, (top + bottom) // 2)) == heatmap.TODAY_OUTLINE
    assert picture.getpixel((right + 1, (top + bottom) // 2)) == BACKGROUND  # a pixel of card between cell and ring
    left, top, right, bottom = heatmap.cell_box(10, 2)
    assert picture.getpixel((left - 2, (top + bottom) // 2)) == BACKGROUND  # yesterday has none


def test_position_agrees_with_the_cells_drawn():
    assert heatmap.position(WEDNESDAY, WEDNESDAY) == (11, 2)
    assert heatmap.position(WEDNESDAY - timedelta(days=10), WEDNESDAY) == (9, 6)
    assert heatmap.position(WEDNESDAY + timedelta(days=1), WEDNESDAY) is None
    assert heatmap.position(heatmap.first_day(WEDNESDAY) - timedelta(days=1), WEDNESDAY) is None


def test_fewer_weeks_make_a_narrower_grid():
    picture = decode(heatmap_png({WEDNESDAY: 2}, WEDNESDAY, weeks=4))
    assert picture.size == image_size(4) and image_size(4)[0] < image_size(12)[0]
    assert pixel(picture, 3, 2) == LEVELS[1]
