"""Replies as terminal text. Buttons print as [LABEL]; typing that label presses it.

A terminal shows no pictures: a reply's image is written to a PNG file and the reply says where, next to the alt
text, so the words are there for anyone and the picture is one click away. The directory is `ROUNDS_FILES_DIR`, else
`rounds-files` in the system's temporary directory; names are made safe and never overwrite an earlier file.

A terminal draws no timestamps: a reply's moments (commands/moments.py) are written out, in the zone the command
chose for the reader, with that zone named.
"""

from __future__ import annotations

import os
import re
import tempfile
import textwrap
from pathlib import Path

from commands.moments import fallback, localize
from commands.replies import Image, Reply
from core.text import plain

FILES_DIR_ENV = "ROUNDS_FILES_DIR"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_STEM = 60
SUFFIXES = frozenset({".png", ".ics"})
MIN_WIDTH = 20  # narrower than this, wrapping helps nobody


def files_dir() -> Path:
    """Where images are saved unless a caller says otherwise."""
    configured = os.environ.get(FILES_DIR_ENV, "").strip()
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "rounds-files"


def render(reply: Reply, width: int | None = None, *, directory: Path | None = None) -> str:
    """With a width (an interactive terminal), text wraps between words, card lines under their bar, instead of
    the terminal breaking words at its edge. An image is saved under `directory` (default: `files_dir()`)."""
    reply = localize(reply, fallback, fallback)
    inner = width - 2 if width else None  # a card line starts with "│ "
    lines: list[str] = []
    if reply.text:
        lines.extend(wrap_lines(plain(reply.text), width))
    for card in reply.cards:
        lines.append(f"┌─ {plain(card.title)}")
        body = [plain(card.body)] if card.body else []
        for field in card.fields:
            body.append(f"{plain(field.name)}:\n  " + plain(field.value).replace("\n", "\n  "))
        if card.footer:
            body.append(f"— {plain(card.footer)}")
        for block in body:
            lines.extend(f"│ {part}".rstrip() for part in wrap_lines(block, inner))
        lines.append("└─")
    if reply.image is not None:
        lines.append(image_line(reply.image, directory or files_dir()))
    if reply.buttons:
        lines.append(" ".join(f"[{b.label}]" for b in reply.buttons))
    if reply.private:
        lines.append("(only you can see this)")
    return "\n".join(lines)


def wrap_lines(text: str, width: int | None) -> list[str]:
    """Each line wrapped to `width` (None: as it is); a continuation keeps the line's indent, and under a "• "
    bullet it lines up with the bullet's text."""
    lines: list[str] = []
    for line in text.split("\n"):
        body = line.lstrip()
        indent = line[: len(line) - len(body)] + ("  " if body.startswith("• ") else "")
        wrapped = textwrap.wrap(line, max(width, MIN_WIDTH), subsequent_indent=indent) if width else []
        lines.extend(wrapped or [line])
    return lines


def image_line(image: Image, directory: Path) -> str:
    """Save the image and say where; if it cannot be saved, say that instead (the alt text still tells the story)."""
    alt = plain(image.alt).strip() or "image"
    icon = "🖼" if safe_name(image.filename)[1] == ".png" else "📎"
    try:
        path = save(image, directory)
    except OSError as error:
        return f"{icon} {alt} — could not be saved ({error.strerror or type(error).__name__})"
    return f"{icon} {alt} — saved to {path}"


def save(image: Image, directory: Path) -> Path:
    """Write the file under a safe, new name: `heatmap.png`, then `heatmap-2.png`, … (never an existing file)."""
    directory.mkdir(parents=True, exist_ok=True)
    stem, suffix = safe_name(image.filename)
    for n in range(1, 10_000):
        path = directory / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
        try:
            with path.open("xb") as out:  # exclusive: two processes never write the same file
                out.write(image.data)
        except FileExistsError:
            continue
        return path.resolve()
    raise FileExistsError(f"no free file name for {stem}{suffix} in {directory}")


def safe_name(filename: str) -> tuple[str, str]:
    """(stem, suffix): no directories, no leading dots, only letters, digits, '.', '_' and '-'; the suffix is one
    of the kinds a reply carries (a picture, a calendar), else '.png'."""
    base = Path(filename.replace("\\", "/")).name
    stem = _UNSAFE.sub("-", Path(base).stem).strip(".-_")[:MAX_STEM] or "image"
    suffix = Path(base).suffix.lower()
    return stem, suffix if suffix in SUFFIXES else ".png"
