"""`rounds slack`: Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN) or `--http --port N` (SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET; events at /slack/events, health at /healthz), and `rounds slack manifest`.

Optional: SLACK_API_URL (replaces https://slack.com/api/), ROUNDS_SLACK_ADMINS (user ids allowed admin commands),
ROUNDS_HTTP_HOST (default 0.0.0.0), SLACK_REQUEST_URL (for the --http manifest), ROUNDS_DB. Stops cleanly on
SIGTERM / SIGINT: in-flight replies finish, the scheduler and database close.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Mapping

from aiohttp import web
from slack_sdk.errors import SlackApiError

from bots.slack.app import EVENTS_PATH, SlackAdapter, SlackConfig, create_adapter
from bots.slack.manifest import manifest_yaml
from bots.stopping import on_stop
from commands.registry import load_catalog
from core.settings import Settings

log = logging.getLogger(__name__)

SOCKET_ENV = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
HTTP_ENV = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    http = bool(getattr(args, "http", False))
    if getattr(args, "action", None) == "manifest":
        print(manifest_yaml(load_catalog(), http=http, request_url=env.get("SLACK_REQUEST_URL")), end="")
        return 0
    missing = [name for name in (HTTP_ENV if http else SOCKET_ENV) if not env.get(name, "").strip()]
    if missing:
        mode = "rounds slack --http" if http else "rounds slack"
        print(f"Missing environment variable{'s' if len(missing) > 1 else ''} {', '.join(missing)}: set "
              f"{'them' if len(missing) > 1 else 'it'} (Slack app settings → Basic Information / OAuth & Permissions) "
              f"and run `{mode}` again.", file=sys.stderr)
        return 2
    config = SlackConfig.from_env(env)
    settings = Settings.from_env(env)
    if http:
        host = env.get("ROUNDS_HTTP_HOST") or "0.0.0.0"
        return asyncio.run(serve_http(settings, config, int(getattr(args, "port", 3000)), host))
    return asyncio.run(serve_socket(settings, config))


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    on_stop(stop.set)
    return stop


async def _check_token(adapter: SlackAdapter) -> bool:
    """Fail fast on a refused token; a Slack outage at start-up is only logged (bolt retries on the first event)."""
    try:
        await adapter.client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error")
        if code in REFUSED:
            print(f"SLACK_BOT_TOKEN was refused by Slack ({code}): check the token and run again.", file=sys.stderr)
            return False
        log.warning("auth.test failed at start-up: %s", code)
    except Exception as error:
        log.warning("Slack could not be reached at start-up: %s", type(error).__name__)
    return True


async def serve_http(settings: Settings, config: SlackConfig, port: int, host: str = "0.0.0.0") -> int:
    adapter = await create_adapter(settings, config)
    runner = web.AppRunner(adapter.web_app(), shutdown_timeout=5.0)
    try:
        if not await _check_token(adapter):
            return 1
        stop = _stop_event()
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        await adapter.start_duties()
        print(f"Rounds is serving Slack events at http://{host}:{port}{EVENTS_PATH} (health: /healthz)", file=sys.stderr)
        await stop.wait()
    finally:
        await runner.cleanup()
        await adapter.close()
    return 0


async def serve_socket(settings: Settings, config: SlackConfig) -> int:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    adapter = await create_adapter(settings, config, socket_mode=True)
    handler = None
    try:
        if not await _check_token(adapter):
            return 1
        stop = _stop_event()
        handler = AsyncSocketModeHandler(adapter.app, app_token=config.app_token)  # needs the running loop
        try:
            await handler.connect_async()
        except SlackApiError as error:
            print(f"SLACK_APP_TOKEN was refused by Slack ({error.response.get('error')}): it must be an app-level "
                  "token (xapp-…) with the connections:write scope.", file=sys.stderr)
            return 1
        await adapter.start_duties()
        print("Rounds is connected to Slack (Socket Mode).", file=sys.stderr)
        await stop.wait()
    finally:
        if handler is not None:
            await handler.close_async()
        await adapter.close()
    return 0
