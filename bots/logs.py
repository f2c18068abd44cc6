"""Logging for every `rounds` process: one format, and secrets scrubbed at every level.

At DEBUG, discord.py logs the URLs it calls, and an interaction's URL carries its token (good for 15 minutes of
follow-ups as the bot); slack_sdk logs tokens and response URLs; aiosqlite logs every SQL parameter (delivery keys,
members' notes). The filter sits on the handler, so every logger's records pass it, whoever made them.
"""

from __future__ import annotations

import logging
import re
import sys

_SECRETS = (
    (re.compile(r"(/(?:interactions|webhooks)/\d+/)[A-Za-z0-9_.\-]+"), r"\1(redacted)"),
    (re.compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+"), "(redacted)"),
    (re.compile(r"https?://[^\s'\"]*(?:hooks\.slack\.com|/response/)[^\s'\"]*"), "(redacted)"),
    (re.compile(r"(?i)(['\"]?\b(?:token|trigger_id|response_url)['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"), r"\1(redacted)"),
    (re.compile(r"\b[A-Za-z0-9_-]{24,28}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}\b"), "(redacted)"),  # a Discord bot token
)
QUIET = {"aiosqlite": logging.INFO}  # its DEBUG lines are every statement with its parameters


def scrub(message: str) -> str:
    for pattern, replacement in _SECRETS:
        message = pattern.sub(replacement, message)
    return message


class Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return True


def configure(level: str) -> None:
    """A level name Python does not know (ROUNDS_LOG_LEVEL=loud) falls back to WARNING rather than failing."""
    level = level.upper() if isinstance(logging.getLevelName(level.upper()), int) else "WARNING"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name, floor in QUIET.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLogger(name).getEffectiveLevel()))
