"""What a member's suggestion must be before it is stored: a short plain title, an https link, an optional note and
tags. Texts are cleaned (core.text.clean) and stored as one line of the plain text they show (core.text.one_line), because they are
set inside our neutral markup on every card and queue: a `<@&group>` typed into a title must not become a ping when
an admin's queue shows it, nor a `**` bold the rest of the card, nor a masked link hide where it goes. Each problem
is one UserError saying what to type."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import UserError
from core.resources.library import TAGS, TITLE, URL_LIMIT, url_problem
from core.text import clean, one_line, quote

NOTE_LIMIT = 500
TAG_LIMIT = 30
PENDING_LIMIT = 5  # suggestions one member may have waiting in a community: a queue an admin can read, not a flood
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
EXAMPLE_URL = "a full https:// address, like `https://www.ecfmg.org/certification/`"


@dataclass(frozen=True)
class Draft:
    title: str
    url: str
    note: str
    tags: tuple[str, ...]


def check_suggestion(title: str, url: str, note: str = "", tags: tuple[str, ...] | list[str] = ()) -> Draft:
    return Draft(check_title(title), check_url(url), check_note(note), check_tags(tags))


def check_title(text: str) -> str:
    title = one_line(text)
    lo, hi = TITLE
    if not lo <= len(title) <= hi:
        raise UserError(f"The title is {len(title)} characters long; give it {lo}–{hi}, like `AMA FREIDA program search`.")
    return title


def check_url(text: str) -> str:
    link = (text or "").strip()
    problem = url_problem(clean(link), bundled=False) if clean(link) == link else "must not hold hidden characters"
    if problem is None and not link.isascii():  # a Cyrillic "е" in "еcfmg.org" looks like the real one
        problem = "must be in plain Latin letters; write an international address in its xn-- form"
    if problem:
        shown = "That link" if len(link) > URL_LIMIT or not link else f"`{quote(link)}`"
        raise UserError(f"{shown} is not a link I can keep ({problem.split(', like')[0]}). Use {EXAMPLE_URL}.")
    return link


def check_note(text: str) -> str:
    note = one_line(text)
    if len(note) > NOTE_LIMIT:
        raise UserError(f"The note is {len(note):,} characters long; keep it to {NOTE_LIMIT}: say in a sentence or two "
                        "why it helps.")
    return note


def typed_tags(text: str) -> tuple[str, ...]:
    """Tags as a member types them in one box: split on commas when there are any (`usce, Step 2 CK` is two tags),
    else on spaces (`usce observership`, the option's own example, is two)."""
    text = text or ""
    return tuple(text.split(",") if "," in text else text.split())


def check_tags(tags: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Slugs ('Step 2 CK' → 'step-2-ck'), each once, at most TAGS[1]; a comma-separated string counts as a list."""
    parts = [part for tag in tags for part in str(tag).split(",")]
    slugs = tuple(dict.fromkeys(s for s in (_NOT_SLUG.sub("-", p.lower()).strip("-") for p in parts) if s))
    if len(slugs) > TAGS[1]:
        raise UserError(f"That is {len(slugs)} tags; give at most {TAGS[1]}, like `usce, observership`.")
    long = [s for s in slugs if len(s) > TAG_LIMIT]
    if long:
        raise UserError(f"The tag `{quote(long[0])}` is too long; keep tags to {TAG_LIMIT} characters, like `visa`.")
    return slugs
