"""One person at the console: typed lines in, Replies out. Tests drive it directly (errbot's testbot idea):
`await session.send("/qotd")`, then `await session.send("[B]")`.

A bracketed label presses a button of the most recent message that had buttons: a reply, or a post the notifier
printed for this person (the session's channel, or a direct message to them), so a daily post's [C] works."""

from __future__ import annotations

from dataclasses import dataclass, field

from commands.context import Context
from commands.dispatch import Dispatcher
from commands.replies import Button, Reply, notice
from commands.textargs import read_command
from core.bootstrap import Services
from core.community.members import Member, namespaced
from core.errors import UserError
from core.text import quote

PLATFORM = "console"
CHANNEL = "general"
ADMIN_HINT = "To act as an admin here, restart the console with `rounds console --admin`."


@dataclass
class ConsoleSession:
    services: Services
    dispatcher: Dispatcher
    user: str = "you"
    community: str = "default"
    admin: bool = False
    channel: str = CHANNEL
    _buttons: dict[str, Button] = field(default_factory=dict)

    @property
    def member_id(self) -> str:
        return namespaced(PLATFORM, self.user)

    @property
    def context(self) -> Context:
        return Context(
            services=self.services, member=Member(self.member_id, self.user),
            community_id=namespaced(PLATFORM, self.community), community_name=self.community,
            channel_id=self.channel, is_admin=self.admin, admin_hint=ADMIN_HINT,
        )

    async def send(self, line: str) -> Reply | None:
        """A slash command, or a bracketed button label; blank lines and comments do nothing."""
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        if line.startswith("[") and line.endswith("]"):
            reply = await self.press(line[1:-1].strip())
        elif line.startswith("/"):
            reply = await self._command(line[1:])
        else:
            reply = notice("Type a command starting with `/` (try `/help`), or press a button by typing its label, like `[A]`.")
        self.remember(reply)
        return reply

    async def press(self, label: str) -> Reply:
        button = self._buttons.get(label.upper())
        if button is None:
            return notice(self._no_such_button(label))
        return await self.dispatcher.press(self.context, button.custom_id)

    def remember(self, reply: Reply | None) -> None:
        """A bracketed label presses that button of the most recent reply that has one: a reply with other buttons
        (the report button under an answer's feedback) leaves the question's A–E pressable."""
        if reply is not None and reply.buttons:
            self._buttons |= {b.label.upper(): b for b in reply.buttons}

    def saw_post(self, channel_id: str, reply: Reply) -> None:
        """The notifier printed a channel post: in this session's channel, its buttons are the ones on screen."""
        if channel_id == self.channel:
            self.remember(reply)

    def saw_direct(self, member_id: str, reply: Reply) -> None:
        """The notifier printed a direct message: to this session's person, its buttons are theirs to press."""
        if member_id == self.member_id:
            self.remember(reply)

    def _no_such_button(self, label: str) -> str:
        if not self._buttons:
            return (f"There is no [{quote(label)}] button to press: buttons come with a reply, like "
                    "`/qotd` (today's question) or `/study show id:1` (a session's Going, Maybe and Can't).")
        shown = " ".join(f"[{b.label}]" for b in self._buttons.values())
        return f"There is no [{quote(label)}] button here. The buttons you can press are {shown}."

    async def _command(self, text: str) -> Reply:
        try:
            name, _, raw = read_command(self.dispatcher.catalog, text)
        except UserError as error:
            return notice(str(error))
        return await self.dispatcher.command(self.context, name, raw)
