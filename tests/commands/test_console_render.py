"""The console's rendering of images and its notifier: a terminal shows no pictures, so the PNG lands in a file and the
reply says where. The files are real: the test reads back the bytes it gave."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bots.console.notifier import ConsoleNotifier
from bots.console.render import FILES_DIR_ENV, render
from commands.replies import Card, Image, Reply
from testkit.images import png_size, tiny_png

PNG = tiny_png(7, 3)
SAVED = re.compile(r"^🖼 (?P<alt>.+) — saved to (?P<path>.+)$", re.MULTILINE)


def saved_path(text: str) -> tuple[str, Path]:
    match = SAVED.search(text)
    assert match is not None, text
    return match["alt"], Path(match["path"])


def test_an_image_is_written_to_a_file_and_its_path_printed(tmp_path: Path) -> None:
    reply = Reply(text="**This week**", cards=(Card("Week 12", "Monday was busiest"),),
                  image=Image(PNG, "Answers by `weekday`", "heatmap.png"))
    text = render(reply, directory=tmp_path)

    alt, path = saved_path(text)
    assert alt == "Answers by weekday"  # the alt text, as plain words
    assert path == tmp_path.resolve() / "heatmap.png" and path.read_bytes() == PNG and png_size(PNG) == (7, 3)
    assert text.splitlines()[0] == "This week" and "┌─ Week 12" in text


def test_names_are_made_safe_and_never_overwrite(tmp_path: Path) -> None:
    image = Image(PNG, "chart", "../../etc/pass wd.exe")
    first = saved_path(render(Reply(image=image), directory=tmp_path))[1]
    second = saved_path(render(Reply(image=image), directory=tmp_path))[1]
    assert (first.name, second.name) == ("pass-wd.png", "pass-wd-2.png")
    assert first.parent == second.parent == tmp_path.resolve()  # never outside the directory
    assert first.read_bytes() == second.read_bytes() == PNG


def test_the_directory_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "files" / "here"
    monkeypatch.setenv(FILES_DIR_ENV, str(target))
    path = saved_path(render(Reply(image=Image(PNG, "chart", "c.png"))))[1]
    assert path == target.resolve() / "c.png" and path.read_bytes() == PNG


def test_a_directory_that_cannot_be_written_still_renders_the_words(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    text = render(Reply(text="hi", image=Image(PNG, "chart")), directory=blocked / "sub")
    assert text.startswith("hi\n🖼 chart — could not be saved")


def test_a_reply_without_an_image_writes_nothing(tmp_path: Path) -> None:
    assert render(Reply(text="no picture", private=True), directory=tmp_path) == "no picture\n(only you can see this)"
    assert list(tmp_path.iterdir()) == []


async def test_the_notifier_prints_posts_and_direct_messages(tmp_path: Path) -> None:
    out = io.StringIO()
    notifier = ConsoleNotifier(out, files_dir=tmp_path)
    assert notifier.platform == "console"

    await notifier.post("hall", Reply(text="Question of the day", image=Image(PNG, "Yesterday's answers", "y.png")))
    await notifier.direct("console:alice", Reply(text="Your streak: 3 days"))

    printed = out.getvalue()
    assert printed.startswith("\n📣 posted in #hall:\nQuestion of the day\n🖼 Yesterday's answers — saved to ")
    assert "\n✉️ to alice:\nYour streak: 3 days\n" in printed
    assert saved_path(printed)[1].read_bytes() == PNG
