"""A neutral Reply drawn as a Discord message: text as content, cards as embeds, buttons as components.

Discord's limits are part of rendering (embeds 6,000 characters in all, 25 fields, 5 buttons a row, 5 rows): the
renderer truncates, it never produces a message Discord would refuse. `**bold**`, `<#channel>` and `<@&role>` are
already Discord markup, so text passes through unchanged; pings are neutralised by `allowed_mentions`, not by
rewriting text, and only a reply's own `ping_roles` (the daily post's role) are let through. A reply's image
travels as an attached file (multipart `files[0]`), its alt text as the attachment's description.

A reply's moments (commands/moments.py) become Discord's own `<t:UNIX:STYLE>` in content, embed descriptions and
field values, where every reader sees the time in their own zone; in titles, field names, footers and button labels,
which Discord shows as typed, they are written out with the zone named. `<t:…>` is no mention, so `allowed_mentions`
leaves it alone.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from typing import Any

import discord

from commands.moments import Moment, localize
from commands.replies import Button, Card, Image, Reply
from core.text import clip

log = logging.getLogger(__name__)

CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_PER_EMBED = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
BUTTONS_PER_ROW = 5
ROWS = 5
LABEL_LIMIT = 80
EMPTY = "\u200b"  # a field's name and value may not be empty
ALT_LIMIT = 1024  # an attachment's description

#: No message of ours may ping @everyone, @here, a role or a user: user text is never trusted.
NO_PINGS = discord.AllowedMentions.none()

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


@dataclass
class Rendered:
    content: str | None
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    files: list[discord.File] = field(default_factory=list)  # each is read once: render again to send again
    mentions: discord.AllowedMentions = NO_PINGS

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for send_message / followup.send / channel.send."""
        out = self._common()
        if self.files:
            out["files"] = self.files
        return out

    def edit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for edit_original_response, which takes new files as `attachments`."""
        out = self._common()
        if self.files:
            out["attachments"] = self.files
        return out

    def _common(self) -> dict[str, Any]:
        out: dict[str, Any] = {"content": self.content, "embeds": self.embeds, "allowed_mentions": self.mentions}
        if self.view is not None:
            out["view"] = self.view
        return out


def render(reply: Reply) -> Rendered:
    """Must run inside the event loop (a discord.py View needs it)."""
    reply = localize(reply, timestamp)
    embeds = embeds_for(reply.cards)
    view = view_for(reply.buttons)
    files = [file_for(reply.image)] if reply.image is not None else []
    content = clip(reply.text, CONTENT_LIMIT) or None
    if content is None and not embeds and view is None and not files:
        content = "Done."  # Discord refuses an empty message
    return Rendered(content, embeds, view, files, allowed_mentions(reply.ping_roles))


def timestamp(found: Moment) -> str:
    """Discord's timestamp markup: each reader's client draws the instant in their own zone and language."""
    return f"<t:{found.unix}:{found.style}>"


def allowed_mentions(roles: tuple[str, ...]) -> discord.AllowedMentions:
    """Only the named roles may be pinged, never @everyone or a member; no roles: nobody."""
    ids = [discord.Object(id=int(role)) for role in roles if role.isdigit()]
    return discord.AllowedMentions(everyone=False, users=False, roles=ids, replied_user=False) if ids else NO_PINGS


def file_for(image: Image) -> discord.File:
    """The PNG as an attachment; its alt text becomes the description screen readers announce."""
    return discord.File(io.BytesIO(image.data), filename=image.filename or "image.png",
                        description=clip(image.alt, ALT_LIMIT) or None)


def embeds_for(cards: tuple[Card, ...]) -> list[discord.Embed]:
    """One embed per card within one shared 6,000-character budget. Titles and footers are cut first so they
    survive; then the body; then fields until the budget is spent (the rest are dropped, with a log line)."""
    if len(cards) > EMBEDS_PER_MESSAGE:
        log.warning("reply has %d cards; Discord shows %d", len(cards), EMBEDS_PER_MESSAGE)
    budget = EMBED_TOTAL
    embeds: list[discord.Embed] = []
    for card in cards[:EMBEDS_PER_MESSAGE]:
        title = clip(card.title, min(TITLE_LIMIT, budget))
        budget -= len(title)
        footer = clip(card.footer, min(FOOTER_LIMIT, budget // 4))
        budget -= len(footer)
        description = clip(card.body, min(DESCRIPTION_LIMIT, budget))
        budget -= len(description)
        embed = discord.Embed(title=title or None, description=description or None, colour=_colour(card.accent))
        budget = _add_fields(embed, card, budget)
        if footer:
            embed.set_footer(text=footer)
        embeds.append(embed)
    return embeds


def _add_fields(embed: discord.Embed, card: Card, budget: int) -> int:
    fields = card.fields[:FIELDS_PER_EMBED]
    for index, item in enumerate(fields):
        name = clip(item.name, FIELD_NAME_LIMIT) or EMPTY
        value = clip(item.value, FIELD_VALUE_LIMIT) or EMPTY
        if len(name) + len(value) > budget:
            room = budget - len(name)
            if room < 20:  # too little left to say anything useful
                log.warning("embed budget spent: %d of %d fields shown", index, len(card.fields))
                return budget
            value = clip(value, room)
        embed.add_field(name=name, value=value, inline=item.inline)
        budget -= len(name) + len(value)
    if len(card.fields) > FIELDS_PER_EMBED:
        log.warning("card has %d fields; Discord shows %d", len(card.fields), FIELDS_PER_EMBED)
    return budget


def _colour(accent: str | None) -> discord.Colour | None:
    if not accent:
        return None
    try:
        return discord.Colour.from_str(accent)
    except ValueError:
        return None


def view_for(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    """Buttons laid out five a row, at most five rows. The view is stopped before it is sent: discord.py then
    serialises its components but keeps no listener in memory, so every press, today or after a restart, goes
    through the one `rounds:` route (see client.RoundsButton) and state lives only in the custom_id and database."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for index, button in enumerate(buttons[: BUTTONS_PER_ROW * ROWS]):
        try:
            custom_id = button.custom_id
        except ValueError:
            log.error("button %r dropped: its custom_id is over Discord's 100 characters", button.label)
            continue
        view.add_item(discord.ui.Button(label=clip(button.label, LABEL_LIMIT) or "?", custom_id=custom_id,
                                        style=_STYLES.get(button.style, discord.ButtonStyle.secondary),
                                        row=index // BUTTONS_PER_ROW))
    if len(buttons) > BUTTONS_PER_ROW * ROWS:
        log.warning("reply has %d buttons; Discord shows %d", len(buttons), BUTTONS_PER_ROW * ROWS)
    view.stop()
    return view
