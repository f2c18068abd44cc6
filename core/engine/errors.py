"""How a duty can end other than done: given up for good, or put off to a later time."""

from __future__ import annotations

from datetime import datetime


class Undeliverable(Exception):
    """The platform refused for a reason a retry cannot mend (the bot was removed from the channel, the channel is
    gone, the member closed their messages): the duty is given up at once instead of retried."""


class Postpone(Exception):
    """The duty is not due after all (its time moved while it waited): run it again at `at`, the attempt not counted."""

    def __init__(self, at: datetime) -> None:
        super().__init__(f"postponed to {at.isoformat()}")
        self.at = at


class Unpermitted(Undeliverable):
    """The platform refused because the bot lacks a permission an admin can grant (Discord's Manage Events, Create
    Public Threads): given up like any refusal, and worth telling an admin about once, by the permission's name."""

    def __init__(self, permission: str, detail: str = "") -> None:
        super().__init__(f"the bot lacks {permission}" + (f": {detail}" if detail else ""))
        self.permission = permission
