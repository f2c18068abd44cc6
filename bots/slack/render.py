"""A neutral Reply as Slack Block Kit: header / section / fields / context / actions, plus fallback text.

Neutral markup is `**bold**`, backticks, "• " bullets, newlines and our own `<#channel>` / `<@&role>` mentions.
Everything else is treated as literal text: `&`, `<`, `>` are escaped (so `<!channel>` typed by someone shows as
text and notifies nobody), and the mrkdwn control characters `*`, `_`, `~` and stray backticks are swapped for
look-alikes, so user text can never open formatting it does not close. Limits are part of rendering: 50 blocks a
message, 3,000 characters a section, 10 fields of 2,000 characters a section, 150 for a header; a reply that does
not fit is shortened with a note, never rejected. Headers and button labels are plain_text: `core.text.plain`.

A reply's image cannot ride in the message: it is uploaded next to it (files_upload_v2), so the message only
carries it along for whoever sends it.

A reply's moments (commands/moments.py) become Slack's `<!date^UNIX^{…}|fallback>`, which every reader sees in their
own zone. They are our own markup like a channel mention: `mrkdwn` finds them before it escapes anything, so the
escaping cannot mangle them, and writes their fallback escaped. Headers and button labels are plain_text, where Slack
draws no date: there they are written out with the zone named.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from commands.moments import TOKEN as MOMENT
from commands.moments import Moment, localize, parse
from commands.replies import Button, Card, Field, Image, Reply
from core.text import ELLIPSIS, clip, plain

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELDS = 10
MAX_FIELD = 2000
MAX_HEADER = 150
MAX_CONTEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_ACTIONS = 25
MAX_FALLBACK = 3000
MAX_ALT = 1000  # a file's alt_txt
MAX_FILE_TITLE = 250
SHORTENED = "_…shortened to fit one Slack message._"

# Our own markup, found before anything is escaped: bold on one line, code spans, channel and role mentions, moments.
_TOKEN = re.compile(r"\*\*(?P<bold>[^\n]+?)\*\*|`(?P<code>[^`\n]+)`|<#(?P<channel>[A-Za-z0-9]+)>|<@&(?P<role>[A-Za-z0-9]+)>"
                    rf"|(?P<moment>{MOMENT.pattern})")
# Slack's date tokens for each moment style. Slack documents no relative token, so R shows the day and time.
DATE_FORMATS = {"t": "{time}", "T": "{time_secs}", "d": "{date_short_pretty}", "D": "{date_long_pretty}",
                "f": "{date_short_pretty} {time}", "F": "{date_long_pretty} {time}", "R": "{date_short_pretty} {time}"}
_LOOSE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # mid-word underscores never format
_MASS_MENTION = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_LOOKALIKE = str.maketrans({"*": "∗", "~": "∼", "`": "ˋ"})


def escape(text: str) -> str:
    """Slack's three HTML entities: the only escaping mrkdwn has."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _literal(text: str) -> str:
    text = _LOOSE_UNDERSCORE.sub("ˍ", escape(text).translate(_LOOKALIKE))
    return _MASS_MENTION.sub(lambda m: "@\u200b" + m.group(1), text)


def mrkdwn(text: str) -> str:
    """Neutral markup → Slack mrkdwn in which only our own markup formats or links anything."""
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        out.append(_literal(text[pos:match.start()]))
        pos = match.end()
        if match["bold"] is not None:
            inner = match["bold"]
            core = inner.strip()
            if not core:
                out.append(_literal(match.group(0)))
                continue
            lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()):]
            out.append(f"{lead}*{mrkdwn(core)}*{trail}")
        elif match["code"] is not None:
            out.append(f"`{escape(match['code'])}`")
        elif match["channel"] is not None:
            out.append(f"<#{match['channel']}>")
        elif match["moment"] is not None:
            out.append(_date(match["moment"]))
        else:
            out.append(f"<!subteam^{match['role']}>")  # Slack's user groups play the part of roles
    out.append(_literal(text[pos:]))
    return "".join(out)


def _date(token: str) -> str:
    found = parse(token)
    return date_markup(found) if found is not None else _literal(token)


def date_markup(found: Moment) -> str:
    """Slack's date formatting: drawn in each reader's zone; the fallback (escaped) where a client cannot draw it."""
    return f"<!date^{found.unix}^{DATE_FORMATS[found.style]}|{escape(found.fallback)}>"


def kept(found: Moment) -> str:
    """Moments in mrkdwn text stay tokens until `mrkdwn` draws them, after escaping the text around them."""
    return found.token


def fit(text: str, limit: int, convert: Callable[[str], str] = mrkdwn) -> str:
    """The converted text within `limit`, cutting the neutral text (never an entity or a mention) if it must."""
    converted = convert(text)
    if len(converted) <= limit:
        return converted
    low, high = 0, len(text)  # the longest prefix whose conversion, plus the ellipsis, fits
    while low < high:
        middle = (low + high + 1) // 2
        if len(convert(text[:middle].rstrip())) + len(ELLIPSIS) <= limit:
            low = middle
        else:
            high = middle - 1
    return convert(text[:low].rstrip()) + ELLIPSIS


def chunks(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Converted text in pieces of at most `limit`, split between lines where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for part in _fit_line(line, limit):
            candidate = part if not current else f"{current}\n{part}"
            if len(candidate) <= limit:
                current = candidate
            else:
                pieces.append(current)
                current = part
    pieces.append(current)
    return [p.strip("\n") for p in pieces if p.strip()]


def _fit_line(line: str, limit: int) -> list[str]:
    converted = mrkdwn(line)
    if len(converted) <= limit:
        return [converted]
    words = line.split(" ")
    if len(words) > 1:
        half = len(words) // 2
        return _fit_line(" ".join(words[:half]), limit) + _fit_line(" ".join(words[half:]), limit)
    half = len(line) // 2  # one enormous word
    return _fit_line(line[:half], limit) + _fit_line(line[half:], limit)


@dataclass(frozen=True)
class SlackMessage:
    text: str  # fallback: notifications, screen readers, clients without Block Kit
    blocks: list[dict[str, Any]] = field(default_factory=list)
    ephemeral: bool = False
    image: Image | None = None  # uploaded after the message, into the same conversation

    def response(self, *, replace_original: bool = False) -> dict[str, Any]:
        """The body for a response_url: ephemeral or in the channel."""
        return {"response_type": "ephemeral" if self.ephemeral else "in_channel", "replace_original": replace_original,
                "text": self.text, "blocks": self.blocks}

    def post(self) -> dict[str, Any]:
        """Keyword arguments for chat.postMessage / chat.postEphemeral."""
        return {"text": self.text, "blocks": self.blocks, "unfurl_links": False, "unfurl_media": False}


def render(reply: Reply) -> SlackMessage:
    reply = localize(reply, kept)  # plain_text parts get the written-out time; mrkdwn draws the rest
    content: list[dict[str, Any]] = []
    if reply.text:
        content += _sections(reply.text)
    for i, card in enumerate(reply.cards):
        if i or reply.text:
            content.append({"type": "divider"})
        content += _card(card)
    actions = _actions(reply.buttons)
    room = MAX_BLOCKS - len(actions)
    if len(content) > room:
        content = content[: room - 1] + [_context(SHORTENED, convert=lambda t: t)]
    blocks = content + actions
    return SlackMessage(text=fit(reply.plain_text().strip() or "Rounds", MAX_FALLBACK), blocks=blocks,
                        ephemeral=reply.private, image=reply.image)


def upload_args(image: Image, channel: str) -> dict[str, Any]:
    """Keyword arguments for files_upload_v2: the PNG shared into `channel`, titled and described by its alt text."""
    alt = plain(image.alt).strip()
    return {"channel": channel, "content": image.data, "filename": image.filename or "image.png",
            "title": clip(alt, MAX_FILE_TITLE) or None, "alt_txt": clip(alt, MAX_ALT) or None}


def _sections(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in chunks(text)]


def _card(card: Card) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    title = clip(plain(card.title).strip(), MAX_HEADER)
    if title:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}})
    if card.body:
        blocks += _sections(card.body)
    blocks += _fields(card.fields)
    if card.footer.strip():
        blocks.append(_context(card.footer))
    return blocks


def _fields(fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    """Inline fields side by side (at most 10 a section); a full-width field gets a section of its own."""
    blocks: list[dict[str, Any]] = []
    row: list[dict[str, Any]] = []
    for f in fields:
        if f.inline:
            row.append({"type": "mrkdwn", "text": fit(_field_text(f), MAX_FIELD)})
            if len(row) == MAX_FIELDS:
                blocks.append({"type": "section", "fields": row})
                row = []
            continue
        if row:
            blocks.append({"type": "section", "fields": row})
            row = []
        blocks += _sections(_field_text(f))
    if row:
        blocks.append({"type": "section", "fields": row})
    return blocks


def _field_text(f: Field) -> str:
    name = plain(f.name).strip()
    value = f.value.strip() or "—"
    return f"**{name}**\n{value}" if name else value


def _context(text: str, convert: Callable[[str], str] = mrkdwn) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": fit(text, MAX_CONTEXT, convert)}]}


def _actions(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    elements = [_button(b) for b in buttons]
    return [{"type": "actions", "elements": elements[i:i + MAX_ACTIONS]} for i in range(0, len(elements), MAX_ACTIONS)]


def _button(button: Button) -> dict[str, Any]:
    """The custom id is the whole state: it goes in action_id (what we match on) and in value."""
    label = clip(plain(button.label), MAX_BUTTON_TEXT) or "·"
    element: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": label, "emoji": True},
                               "action_id": button.custom_id, "value": button.custom_id}
    if button.style in ("primary", "danger"):  # Slack has no 'success' or 'secondary'; default looks secondary
        element["style"] = button.style
    return element
