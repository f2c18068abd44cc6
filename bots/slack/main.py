"""`rounds slack`: Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN) or `--http --port N` (SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET; events at /slack/events, health at /healthz), and `rounds slack manifest`.

Both modes run again, at start-up, the deliveries a previous process acknowledged but never finished (the inbox, see
bots/slack/app.py), before they take new ones.

Optional: SLACK_API_URL (replaces https://slack.com/api/), ROUNDS_SLACK_ADMINS (user ids allowed admin commands),
ROUNDS_HTTP_HOST (default 0.0.0.0), SLACK_REQUEST_URL (for the --http manifest), ROUNDS_DB. Stops cleanly on
SIGTERM / SIGINT in every state, also while Slack cannot be reached: in-flight replies finish (briefly), the
scheduler and database close.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web
from slack_sdk.errors import SlackApiError

from bots.slack.app import EVENTS_PATH, SlackAdapter, SlackConfig, create_adapter
from bots.slack.manifest import PLACEHOLDER_URL, manifest_yaml
from bots.stopping import on_stop
from commands.registry import load_catalog
from core.settings import Settings

if TYPE_CHECKING:
    from bots.slack.socket import RoundsSocketModeHandler

log = logging.getLogger(__name__)

SOCKET_ENV = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
HTTP_ENV = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
FIRST_RETRY, MAX_RETRY = 1.0, 60.0  # seconds between Socket Mode connection attempts: doubling, capped
CLOSE_TIMEOUT = 3.0
RECEIVE_BUFFER = 64 * 1024  # bytes the kernel holds for one connection before we read
LISTEN_BACKLOG = 128
T = TypeVar("T")


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    http = bool(getattr(args, "http", False))
    if getattr(args, "action", None) == "manifest":
        request_url = env.get("SLACK_REQUEST_URL", "").strip() or None
        if http and request_url is None:  # the manifest still prints, but a pasted placeholder would route nowhere
            print(f"SLACK_REQUEST_URL is not set, so the manifest uses the placeholder {PLACEHOLDER_URL}: set it to "
                  "your public https URL ending in /slack/events and run `rounds slack --http manifest` again.",
                  file=sys.stderr)
        print(manifest_yaml(load_catalog(), http=http, request_url=request_url), end="")
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


async def _unless_stopped(stop: asyncio.Event, work: Awaitable[T]) -> T | None:
    """`work`'s result, or None once a stop is asked for first (the work is then cancelled): no step of start-up,
    however long Slack takes to answer, may hold off SIGTERM."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return None


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
    stop = _stop_event()
    adapter = await create_adapter(settings, config)
    runner = web.AppRunner(adapter.web_app(), shutdown_timeout=5.0)
    try:
        checked = await _unless_stopped(stop, _check_token(adapter))
        if not checked:
            return 0 if checked is None else 1
        await adapter.start()  # deliveries a stop interrupted run again before new ones arrive
        await runner.setup()
        await web.SockSite(runner, listening_socket(host, port)).start()
        print(f"Rounds is serving Slack events at http://{host}:{port}{EVENTS_PATH} (health: /healthz)", file=sys.stderr)
        await stop.wait()
    finally:
        await runner.cleanup()
        await adapter.close()
    return 0


def listening_socket(host: str, port: int) -> socket.socket:
    """The HTTP listener, with a small receive buffer: a request refused by its headers (too big, not signed) can
    only have pushed this much of its body into the process before the refusal closes the connection, so a flood
    of large bodies costs their headers rather than their bytes. Slack's own requests are a few kilobytes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


async def serve_socket(settings: Settings, config: SlackConfig) -> int:
    """Socket Mode. Every wait (auth.test, the connection, the backoff between attempts) gives way to SIGTERM."""
    stop = _stop_event()
    adapter = await create_adapter(settings, config, socket_mode=True)
    handler = None
    try:
        checked = await _unless_stopped(stop, _check_token(adapter))
        if not checked:
            return 0 if checked is None else 1
        await adapter.start()
        handler = adapter.socket_handler(config.app_token)  # needs the running loop
        connected = await _unless_stopped(stop, _connect(handler))
        if not connected:
            return 0 if connected is None else 1
        print("Rounds is connected to Slack (Socket Mode).", file=sys.stderr)
        await stop.wait()
    finally:
        if handler is not None:
            await _close_quietly(handler)
        await adapter.close()
    return 0


async def _connect(handler: RoundsSocketModeHandler) -> bool:
    """Open the Socket Mode connection, trying again with backoff (one line a failed attempt) while Slack cannot be
    reached. slack_sdk's own loop would log a traceback every 10 s and never give way; it is only entered once Slack
    has handed out a connection URL. False when Slack refuses the app token."""
    delay = FIRST_RETRY
    for attempt in itertools.count(1):
        try:
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
        except SlackApiError as error:
            if (error.response.status_code or 0) < 500 and error.response.get("error") != "ratelimited":
                print(f"SLACK_APP_TOKEN was refused by Slack ({error.response.get('error')}): it must be an app-level "
                      "token (xapp-…) with the connections:write scope.", file=sys.stderr)
                return False
            reason = str(error.response.get("error") or f"HTTP {error.response.status_code}")
        except Exception as error:
            reason = type(error).__name__
        else:
            await handler.client.connect()
            return True
        log.warning("Slack could not be reached (attempt %d: %s); trying again in %.0f s", attempt, reason, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_RETRY)
    return False  # unreachable: the loop above only ends by returning


async def _close_quietly(handler: RoundsSocketModeHandler) -> None:
    """Close the Socket Mode client, however far it got, without letting its close hold up the stop."""
    try:
        await asyncio.wait_for(handler.close_async(), CLOSE_TIMEOUT)
    except Exception as error:
        log.info("the Socket Mode connection did not close cleanly: %s", type(error).__name__)
