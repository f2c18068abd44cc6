"""The Slack app manifest is generated from the command catalog, and the checked-in manifest.yml matches it."""

from __future__ import annotations

import re
from argparse import Namespace
from pathlib import Path

import pytest
import yaml

from bots.cli import main as cli
from bots.slack.app import EVENTS_PATH, SlackConfig, create_adapter
from bots.slack.main import run
from bots.slack.manifest import (
    BOT_SCOPES,
    MAX_COMMAND,
    MAX_DESCRIPTION,
    MAX_USAGE_HINT,
    manifest,
    manifest_yaml,
)
from commands.registry import load_catalog
from core.settings import Settings
from testkit.standins.slack_standin import SlackStandIn, serve_web_app

ROOT = Path(__file__).resolve().parents[2]  # the repository, where manifest.yml lives


def test_every_command_is_declared_and_nothing_else() -> None:
    catalog = load_catalog()
    declared = manifest(catalog)["features"]["slash_commands"]
    names = [c["command"] for c in declared]
    assert names == [f"/{n}" for n in catalog.top_level()]
    assert {n.split()[0] for n in catalog.commands} == {n[1:] for n in names}
    for command in declared:
        name = command["command"][1:]
        assert re.fullmatch(r"[a-z0-9_-]+", name) and len(command["command"]) <= MAX_COMMAND
        assert 0 < len(command["description"]) <= MAX_DESCRIPTION
        assert len(command.get("usage_hint", "")) <= MAX_USAGE_HINT
        assert command["should_escape"] is True  # channels / user groups arrive as ids
        spec = catalog.commands.get(name)
        if spec is not None:
            assert command["description"] == spec.description
            for option in spec.options:
                assert option.name in command.get("usage_hint", "")
        else:  # a group: its subcommands are the hint
            subs = [s.path[-1] for s in catalog.subcommands(name)]
            assert subs and command["usage_hint"].split(" | ") == subs


def test_scopes_interactivity_and_modes() -> None:
    socket = manifest(load_catalog())
    http = manifest(load_catalog(), http=True, request_url="https://bot.example.net/slack/events")
    assert socket["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert {"commands", "chat:write", "chat:write.public", "users:read"} <= set(BOT_SCOPES)
    assert socket["settings"]["socket_mode_enabled"] is True and socket["settings"]["interactivity"] == {"is_enabled": True}
    assert all("url" not in c for c in socket["features"]["slash_commands"])
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["interactivity"]["request_url"] == "https://bot.example.net/slack/events"
    assert {c["url"] for c in http["features"]["slash_commands"]} == {"https://bot.example.net/slack/events"}


async def test_the_adapter_answers_exactly_the_declared_commands(db_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command in the manifest is acked and answered by the real bolt app; one not in it is not handled."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    declared = [c["command"] for c in manifest(load_catalog())["features"]["slash_commands"]]
    async with SlackStandIn() as slack:
        config = SlackConfig(bot_token="xoxb-m", signing_secret="manifest-secret", api_url=slack.api_url)
        adapter = await create_adapter(Settings(db_path=db_path), config)
        try:
            async with serve_web_app(adapter.web_app()) as base:
                for command in declared:
                    delivery = await slack.send_slash_command(base + EVENTS_PATH, secret="manifest-secret", command=command)
                    assert delivery.status == 200, command
                    token, trigger = slack.token_of(delivery.sent["response_url"]), delivery.sent["trigger_id"]
                    reply = await slack.wait_for(lambda c, token=token, trigger=trigger: c.response_token == token
                                                 or (c.method == "views.open" and c.get("trigger_id") == trigger))
                    assert reply.status == 200 and (reply.get("blocks") or reply.get("view")), command  # a reply or a form
                stray = await slack.send_slash_command(base + EVENTS_PATH, secret="manifest-secret", command="/not-ours")
                assert stray.status == 400  # refused at the door: bolt never sees it
        finally:
            await adapter.close()


def test_yaml_is_valid_and_round_trips() -> None:
    assert yaml.safe_load(manifest_yaml(load_catalog(), http=True, request_url="https://x.example/e")) == \
        manifest(load_catalog(), http=True, request_url="https://x.example/e")
    assert yaml.safe_load(manifest_yaml(load_catalog())) == manifest(load_catalog())


def test_checked_in_manifest_is_current() -> None:
    assert (ROOT / "manifest.yml").read_text() == manifest_yaml(load_catalog()), \
        "manifest.yml is stale: run `rounds slack manifest > manifest.yml`"


def test_rounds_slack_manifest_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["slack", "manifest"]) == 0
    assert capsys.readouterr().out == manifest_yaml(load_catalog())
    assert run(Namespace(http=True, port=1, action="manifest"), env={"SLACK_REQUEST_URL": "https://x.example/slack/events"}) == 0
    assert "https://x.example/slack/events" in capsys.readouterr().out
