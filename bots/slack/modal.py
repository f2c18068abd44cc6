"""A modal built from a command's declared options, for commands that need input the person did not type.

One input block per Option (block_id = the option's name), one element chosen by the option's kind; the
submission is read back into the raw values the dispatcher coerces, exactly like typed text (a member picked in a
users_select comes back as the mention `<@U…>` a person would have typed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from commands.registry import CommandSpec, Option
from core.text import clean, clip

CALLBACK_ID = "rounds:command"
ELEMENT = "value"  # the action_id of every input element
MAX_TITLE = 24
MAX_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_INPUT = 3000
MAX_OPTIONS = 100


def build_modal(spec: CommandSpec, channel_id: str | None, given: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`given`: options a form button filled in; they ride in the metadata and get no input."""
    meta: dict[str, Any] = {"command": spec.name, "channel": channel_id}
    if given:
        meta["given"] = dict(given)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps(meta),
        "title": {"type": "plain_text", "text": clip(f"/{spec.name}", MAX_TITLE)},
        "submit": {"type": "plain_text", "text": "Run"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "context", "elements": [{"type": "plain_text", "text": clip(spec.description, MAX_LABEL)}]},
            *(_input(option) for option in spec.options if option.name not in (given or {})),
        ],
    }


def read_metadata(view: dict[str, Any]) -> tuple[str, str | None, dict[str, str]]:
    """(command name, channel id, the options given without an input) the modal was opened for."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (json.JSONDecodeError, TypeError, RecursionError):
        meta = {}
    meta = _object(meta)  # its strings were escaped inside a string, so the edge could not clean them: done here
    channel = meta.get("channel")
    given = {clean(k): clean(v) for k, v in _object(meta.get("given")).items() if isinstance(v, str)}
    return clean(str(meta.get("command", ""))), clean(channel) if isinstance(channel, str) and channel else None, given


def read_values(spec: CommandSpec, view: dict[str, Any]) -> dict[str, str]:
    """The submitted values as raw text, only for options that were given."""
    values = _object(_object(view.get("state")).get("values"))
    raw: dict[str, str] = {}
    for option in spec.options:
        element = _object(_object(values.get(option.name)).get(ELEMENT))
        value = _value_of(element)
        if value not in (None, ""):
            raw[option.name] = str(value)
    return raw


def _value_of(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons"):
        return _object(element.get("selected_option")).get("value")
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "channels_select":
        return element.get("selected_channel")
    if kind == "users_select":
        user = element.get("selected_user")
        return f"<@{user}>" if isinstance(user, str) and user else None
    return element.get("value")


def _object(value: Any) -> dict[str, Any]:
    """A submitted form is Slack's JSON, read defensively: a part that is not an object reads as an empty one."""
    return value if isinstance(value, dict) else {}


def _input(option: Option) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": option.name,
        "optional": not option.required,
        "label": {"type": "plain_text", "text": clip(option.name, MAX_LABEL)},
        "hint": {"type": "plain_text", "text": clip(option.description, MAX_LABEL)},
        "element": {"action_id": ELEMENT, **_element(option)},
    }


def _element(option: Option) -> dict[str, Any]:
    if option.choices:
        return _select(option.choices)
    if option.kind == "boolean":
        return _select(("yes", "no"))
    if option.kind in ("integer", "number"):
        element: dict[str, Any] = {"type": "number_input", "is_decimal_allowed": option.kind == "number"}
        if option.min_value is not None:
            element["min_value"] = f"{option.min_value:g}"
        if option.max_value is not None:
            element["max_value"] = f"{option.max_value:g}"
        return element
    if option.kind == "channel":
        return {"type": "conversations_select", "default_to_current_conversation": True,
                "filter": {"include": ["public", "private"], "exclude_bot_users": True}}
    if option.kind == "member":
        return {"type": "users_select", "placeholder": {"type": "plain_text", "text": clip(option.placeholder, MAX_PLACEHOLDER)}}
    return {"type": "plain_text_input", "max_length": max(1, min(option.max_length, MAX_INPUT)),
            "placeholder": {"type": "plain_text", "text": clip(option.placeholder, MAX_PLACEHOLDER)}}


def _select(choices: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "static_select",
            "options": [{"text": {"type": "plain_text", "text": clip(c, 75)}, "value": c} for c in choices[:MAX_OPTIONS]]}
