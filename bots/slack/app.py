"""The Slack side of Rounds: one bolt AsyncApp whose listeners translate Slack payloads into dispatcher calls.

Every command comes from the catalog: one listener per top-level name (`/qotd`, `/rounds` whose first word is the
subcommand), one action listener for every button we made (`rounds:` custom ids), one view listener for modals. Each
listener acks and hands the rest to a task, so bolt answers Slack at once; the task claims the delivery (a Slack retry
or a Socket Mode redelivery finds it claimed and stops), dispatches, and responds: through the response_url when
there is one, else with chat.postEphemeral.

Permission checks, option coercion and friendly errors all live in the dispatcher; the adapter only gathers the
facts it needs (is this person a workspace admin, which user group do they belong to).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler, async_default_handlers
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bots.slack.modal import CALLBACK_ID, build_modal, read_metadata, read_values
from bots.slack.notifier import SlackNotifier, share_image
from bots.slack.render import SlackMessage, render
from commands.context import Context
from commands.dispatch import Dispatcher
from commands.registry import Catalog, CommandSpec, load_catalog
from commands.replies import Reply, notice
from commands.runtime import start_duties
from commands.textargs import read_command
from core.bootstrap import Services, build
from core.clock import Clock
from core.community.members import Member, namespaced
from core.community.model import Community
from core.engine.deliveries import Deliveries
from core.errors import UserError
from core.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"
ADMIN_TTL = 60.0  # seconds a users.info answer about admin rights is trusted
RATE_LIMIT_RETRIES = 3
PRUNE_EVERY = 1000  # claims between prunes of old delivery keys
SHUTDOWN_GRACE = 5.0

_SUBTEAM = re.compile(r"<!subteam\^([A-Za-z0-9]+)(?:\|[^>]*)?>")
_SECRET = re.compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+|https?://[^\s'\"]*(?:hooks\.slack\.com|/response/)[^\s'\"]*")


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = DEFAULT_API_URL
    admins: frozenset[str] = frozenset()  # user ids allowed admin commands besides workspace admins and owners

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackConfig:
        api_url = (env.get("SLACK_API_URL") or "").strip() or DEFAULT_API_URL
        admins = frozenset(u.strip() for u in env.get("ROUNDS_SLACK_ADMINS", "").split(",") if u.strip())
        return cls(bot_token=env.get("SLACK_BOT_TOKEN", "").strip(), signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip(),
                   app_token=env.get("SLACK_APP_TOKEN", "").strip(), api_url=api_url.rstrip("/") + "/", admins=admins)


def retry_handlers() -> list[AsyncRetryHandler]:
    """Connection errors and 429s (waiting Retry-After) are retried, for the Web API and response_url alike."""
    return [*async_default_handlers(), AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]


def web_client(config: SlackConfig, session: ClientSession | None = None) -> AsyncWebClient:
    return AsyncWebClient(token=config.bot_token, base_url=config.api_url, retry_handlers=retry_handlers(), session=session)


class _Redact(logging.Filter):
    """Tokens and response URLs (which let anyone post as the app for 30 minutes) never reach a log. Also drops bolt's
    start-up warning that SLACK_BOT_TOKEN in the environment is unused: we pass bolt a client made from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "`token` will be unused" in message:
            return False
        cleaned = _SECRET.sub("(redacted)", message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def sdk_loggers() -> logging.Logger:
    """bolt logs whole request bodies at INFO on a bad signature and slack_sdk logs URLs at DEBUG: both are held at
    WARNING and redacted. bolt copies the level and filters of the logger it is given to every logger it makes."""
    for name in ("slack_bolt", "slack_sdk"):
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.WARNING, logger.getEffectiveLevel()))
        if not any(isinstance(f, _Redact) for f in logger.filters):
            logger.addFilter(_Redact())
    return logging.getLogger("slack_bolt")


def parse_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """Slack's body as Slack means it. bolt 1.30 decides 'interactive payload' when the word "payload" appears anywhere
    in the body, so a slash command whose text says "payload" would parse as {}: here only a form whose sole field is
    `payload` is one."""
    from urllib.parse import parse_qsl

    if not raw:
        return {}
    if content_type == "application/json" or raw.startswith("{"):
        return json.loads(raw)
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    if set(fields) == {"payload"}:
        return json.loads(fields["payload"])
    return fields


def from_slack(text: str) -> str:
    """Slash-command text as typed: user groups read like our role mentions, curly double quotes work as quotes, and
    Slack's &amp; &lt; &gt; are undone (rendering escapes them again)."""
    text = _SUBTEAM.sub(r"<@&\1>", text).replace("\u201c", '"').replace("\u201d", '"')
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def delivery_key(body: Mapping[str, Any]) -> str:
    """Unique to one delivery and the same on every retry of it: Slack's trigger id (one per invocation, click or
    submission), else a digest of the payload."""
    team = _team_id(body)
    trigger = body.get("trigger_id")
    if trigger:
        return f"{PLATFORM}:{team}:{trigger}"
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f"{PLATFORM}:{team}:sha256:{digest}"


def _team_id(body: Mapping[str, Any]) -> str:
    team = body.get("team")
    team_id = team.get("id") if isinstance(team, dict) else None
    view = body.get("view")
    view = view if isinstance(view, dict) else {}
    return str(team_id or body.get("team_id") or view.get("team_id") or body.get("enterprise_id") or "unknown")


def _team_name(body: Mapping[str, Any]) -> str:
    team = body.get("team")
    return str((team.get("domain") if isinstance(team, dict) else None) or body.get("team_domain") or "")


class SlackAdapter:
    def __init__(self, services: Services, client: AsyncWebClient, config: SlackConfig, *, catalog: Catalog | None = None,
                 socket_mode: bool = False, admin_ttl: float = ADMIN_TTL, session: ClientSession | None = None) -> None:
        self.services = services
        self.session = session  # shared by the Web API client and response_url posts: kept-alive connections
        self.client = client
        self.config = config
        self.catalog = catalog or load_catalog()
        self.dispatcher = Dispatcher(self.catalog)
        self.deliveries = Deliveries(services.db, services.clock)
        self.admin_ttl = admin_ttl
        self._admins: dict[str, tuple[float, bool]] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._claims = 0
        # process_before_response: bolt awaits the listener, which only acks and hands the work to a task (_spawn).
        self.app = AsyncApp(client=client, signing_secret=config.signing_secret, logger=sdk_loggers(),
                            request_verification_enabled=not socket_mode, process_before_response=True)
        for name in self.catalog.top_level():
            self.app.command(f"/{name}")(self._on_command)
        self.app.action(re.compile(r"^rounds:"))(self._on_action)
        self.app.view(CALLBACK_ID)(self._on_view)

    # ------------------------------------------------------------------ transport

    def web_app(self, path: str = EVENTS_PATH) -> web.Application:
        """HTTP mode: Slack posts to `path`; `/healthz` answers load balancers and process managers."""
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(path, self._http)
        app.router.add_get("/healthz", self._healthz)
        return app

    async def _http(self, request: web.Request) -> web.Response:
        raw = await request.text()
        try:
            bolt_request = AsyncBoltRequest(body=raw, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
            body = parse_body(raw, bolt_request.content_type)
        except (ValueError, TypeError, AttributeError):
            body = None
        if not isinstance(body, dict):  # not something Slack sends; nothing was verified or run
            return web.Response(status=400, text="unreadable body")
        if body != bolt_request.body:  # bolt misread it (see parse_body): give it the right body and context
            bolt_request.body = body
            bolt_request.context = build_async_context(AsyncBoltContext({}), body)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def _healthz(self, request: web.Request) -> web.Response:
        try:
            await self.services.db.fetchone("SELECT 1")
        except Exception:
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": True})

    async def start_duties(self) -> None:
        """Daily posts and every other duty of Slack communities, delivered with this app's Web API client."""
        await start_duties(self.services, [SlackNotifier(self.client)], self.catalog)

    async def close(self) -> None:
        """Let replies in flight finish (briefly), then close the services."""
        pending = [t for t in self._inflight if not t.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1.0)
        await self.services.close()
        if self.session is not None:
            await self.session.close()

    # ------------------------------------------------------------------ listeners: ack, claim, work, respond

    async def _on_command(self, ack: Any, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        await ack()
        self._spawn(body, request, self._command(body))

    async def _on_action(self, ack: Any, body: dict[str, Any], action: dict[str, Any], request: AsyncBoltRequest) -> None:
        await ack()
        self._spawn(body, request, self._press(body, action))

    async def _on_view(self, ack: Any, body: dict[str, Any], view: dict[str, Any], request: AsyncBoltRequest) -> None:
        await ack()  # closes the modal; the result arrives as a message
        self._spawn(body, request, self._submit(body, view))

    def _spawn(self, body: Mapping[str, Any], request: AsyncBoltRequest, work: Coroutine[Any, Any, None]) -> None:
        """The work runs after the listener returns, so bolt answers Slack the moment ack() is called (it would
        otherwise poll for the ack every 10 ms). Tasks are kept until done, for a clean shutdown."""
        retry = next(iter(request.headers.get("x-slack-retry-num") or []), None)
        task = asyncio.get_running_loop().create_task(self._once(delivery_key(body), retry, work))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _once(self, key: str, retry: str | None, work: Coroutine[Any, Any, None]) -> None:
        """Claim the delivery, then work; a retry of a delivery already claimed does nothing."""
        try:
            if not await self.deliveries.claim(key):
                work.close()
                log.info("ignored a repeated Slack delivery (retry %s)", retry or "without header")
                return
            self._claims += 1
            if self._claims % PRUNE_EVERY == 0:
                await self.deliveries.prune()
            await work
        except Exception:
            work.close()
            log.exception("handling a Slack delivery failed")

    # ------------------------------------------------------------------ the work

    async def _command(self, body: dict[str, Any]) -> None:
        user_id, channel_id = str(body.get("user_id", "")), body.get("channel_id")
        ctx = self._context(body, user_id, str(body.get("user_name") or ""), channel_id)
        typed = f"{str(body.get('command', '')).lstrip('/')} {from_slack(str(body.get('text') or ''))}"
        try:
            name, spec, raw = read_command(self.catalog, typed)
        except UserError as error:
            reply = notice(str(error))
        else:
            if spec is not None and await self._asks_with_form(ctx, spec, raw, body, channel_id):
                return
            reply = await self.dispatcher.command(ctx, name, raw)
        await self._respond(body.get("response_url"), reply, channel_id, user_id)

    async def _press(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        user = body.get("user") or {}
        user_id = str(user.get("id", ""))
        channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        ctx = self._context(body, user_id, str(user.get("name") or user.get("username") or ""), channel_id)
        reply = await self.dispatcher.press(ctx, str(action.get("action_id") or action.get("value") or ""))
        await self._respond(body.get("response_url"), reply, channel_id, user_id)

    async def _submit(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        name, channel_id = read_metadata(view)
        spec = self.catalog.commands.get(name)
        user = body.get("user") or {}
        user_id = str(user.get("id", ""))
        if spec is None:
            log.warning("a modal came back for an unknown command %r", name[:40])
            return
        ctx = self._context(body, user_id, str(user.get("name") or user.get("username") or ""), channel_id)
        reply = await self.dispatcher.command(ctx, spec.name, read_values(spec, view))
        await self._post(channel_id, user_id, render(reply))

    async def _asks_with_form(self, ctx: Context, spec: CommandSpec, raw: dict[str, str], body: Mapping[str, Any],
                              channel_id: str | None) -> bool:
        """A command that needs input nobody typed opens a form, for someone allowed to run it (anyone else gets the
        dispatcher's refusal instead)."""
        if raw or not any(o.required for o in spec.options) or not await self.dispatcher.allowed(ctx, spec):
            return False
        return await self._open_modal(str(body.get("trigger_id", "")), spec, channel_id)

    async def _open_modal(self, trigger_id: str, spec: CommandSpec, channel_id: str | None) -> bool:
        try:
            await self.client.views_open(trigger_id=trigger_id, view=build_modal(spec, channel_id))
            return True
        except SlackApiError as error:
            log.warning("could not open the /%s form: %s", spec.name, error.response.get("error"))
            return False

    # ------------------------------------------------------------------ who is acting

    def _context(self, body: Mapping[str, Any], user_id: str, user_name: str, channel_id: str | None) -> Context:
        """Admin rights cost Slack API calls, so the dispatcher asks for them (`authority`) only when it needs them."""
        community_id = namespaced(PLATFORM, _team_id(body))

        async def authority(community: Community) -> bool:
            return await self.is_admin(user_id) or await self._in_group(user_id, community.admin_role)

        return Context(self.services, Member(namespaced(PLATFORM, user_id), user_name), community_id, _team_name(body),
                       channel_id, authority=authority)

    async def is_admin(self, user_id: str) -> bool:
        """Workspace admins and owners (users.info, trusted for a minute), and the configured ROUNDS_SLACK_ADMINS."""
        if user_id in self.config.admins:
            return True
        now = time.monotonic()
        cached = self._admins.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            user = (await self.client.users_info(user=user_id))["user"]
        except Exception as error:  # an API refusal or the network: not an admin this time, and not cached
            log.warning("users.info failed for %s: %s", user_id, _why(error))
            return False
        flag = bool(user.get("is_admin") or user.get("is_owner"))
        if len(self._admins) > 10_000:
            self._admins = {k: v for k, v in self._admins.items() if v[0] > now}
        self._admins[user_id] = (now + self.admin_ttl, flag)
        return flag

    async def _in_group(self, user_id: str, group: str | None) -> bool:
        """The community's admin role on Slack is a user group: the person holds it if they are in the group."""
        if not group:
            return False
        try:
            members = (await self.client.usergroups_users_list(usergroup=group)).get("users") or []
        except Exception as error:
            log.warning("usergroups.users.list failed for %s: %s", group, _why(error))
            return False
        return user_id in members

    # ------------------------------------------------------------------ replies

    async def _respond(self, response_url: str | None, reply: Reply, channel_id: str | None, user_id: str) -> None:
        """The text through the response_url when there is one (else the Web API), then the image, if any."""
        message = render(reply)
        if response_url:
            hook = AsyncWebhookClient(response_url, session=self.session, retry_handlers=retry_handlers())
            try:
                result = await hook.send_dict(message.response())
                if result.status_code == 200:
                    await share_image(self.client, message, channel_id, user_id)
                    return
                log.warning("Slack refused a reply (HTTP %s: %s)", result.status_code, str(result.body)[:100])
            except Exception as error:
                log.warning("a reply could not be sent to its response_url: %s", type(error).__name__)
        await self._post(channel_id, user_id, message)

    async def _post(self, channel_id: str | None, user_id: str, message: SlackMessage) -> None:
        """A reply without a response_url: ephemeral in the channel, else in the person's messages with the app;
        then its image, if the text arrived somewhere."""
        try:
            if not message.ephemeral and channel_id:
                await self.client.chat_postMessage(channel=channel_id, **message.post())
                await share_image(self.client, message, channel_id, user_id)
                return
            if channel_id:
                await self.client.chat_postEphemeral(channel=channel_id, user=user_id, text=message.text, blocks=message.blocks)
                await share_image(self.client, message, channel_id, user_id)
                return
        except Exception as error:
            log.info("posting a reply in %s failed (%s); sending it directly", channel_id, _why(error))
        try:
            await self.client.chat_postMessage(channel=user_id, **message.post())
        except Exception as error:
            log.warning("a reply to %s could not be delivered: %s", user_id, _why(error))
            return
        await share_image(self.client, message, None, user_id)  # the text went to the IM: so does the image


def _why(error: Exception) -> str:
    """Slack's error code, or the kind of failure: never the request, which may carry a token or response_url."""
    return str(error.response.get("error")) if isinstance(error, SlackApiError) else type(error).__name__


async def create_adapter(settings: Settings, config: SlackConfig, *, clock: Clock | None = None,
                         catalog: Catalog | None = None, socket_mode: bool = False) -> SlackAdapter:
    """The Slack side of the composition root: one Web API client for replies and scheduled posts alike."""
    session = ClientSession(timeout=ClientTimeout(total=30))  # created inside the running loop, closed by close()
    client = web_client(config, session)
    try:
        services = await build(settings, clock=clock)
    except BaseException:
        await session.close()
        raise
    return SlackAdapter(services, client, config, catalog=catalog, socket_mode=socket_mode, session=session)
