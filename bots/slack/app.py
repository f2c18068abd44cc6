"""The Slack side of Rounds: one bolt AsyncApp whose listeners translate Slack payloads into dispatcher calls.

Every command comes from the catalog: one listener per top-level name (`/qotd`, `/rounds` whose first word is the
subcommand), one action listener for every button we made (`rounds:` custom ids), one view listener for modals.

A delivery is acknowledged only once it is stored. Each listener records the delivery in the inbox (its key, its kind
and its body; a group commit shared with the deliveries arriving at the same time), then acks, then hands the work to
a task, which marks the delivery done when it is over. A Slack retry or a Socket Mode redelivery finds the key taken
and is acked and ignored. A process killed between the ack and the end of the work leaves the delivery unfinished;
`start()` runs those again, while their response_url still takes a reply. Replies go through the response_url when
there is one, else chat.postEphemeral.

Before any of that, bots/slack/edge.py checks what arrives (signature first, then encoding, nesting and shape), so
bolt and the dispatcher only ever see a well-formed payload from this workspace. Permission checks, option coercion
and friendly errors all live in the dispatcher; the adapter only gathers the facts it needs (is this person a
workspace admin, which user group do they belong to).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, ClientTimeout, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler, async_default_handlers
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bots.logs import scrub
from bots.slack.edge import (
    ACTION,
    COMMAND,
    LARGE,
    MAX_BODY,
    VIEW,
    Complaints,
    FloodGate,
    Refused,
    admit,
    cleaned,
    mapping,
    parse,
    signature_headers,
    team_id_of,
    text_of,
    verify,
)
from bots.slack.modal import CALLBACK_ID, build_modal, read_metadata, read_values
from bots.slack.notifier import SlackNotifier, share_image
from bots.slack.render import SlackMessage, render
from commands.context import Context
from commands.dispatch import Dispatcher
from commands.forms import Form
from commands.registry import Catalog, CommandSpec, load_catalog
from commands.replies import Reply, notice
from commands.runtime import start_duties
from commands.textargs import read_command
from core.bootstrap import Services, build
from core.clock import Clock, platform_now
from core.community.members import Member, namespaced
from core.community.model import Community
from core.engine.deliveries import MAX_ATTEMPTS, Deliveries
from core.errors import UserError
from core.settings import Settings

if TYPE_CHECKING:
    from bots.slack.socket import RoundsSocketModeHandler

log = logging.getLogger(__name__)

STRANGER = "Rounds here answers members of the workspace it is installed in."

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"
ADMIN_TTL = 60.0  # seconds a users.info answer about admin rights is trusted
RATE_LIMIT_RETRIES = 3
PRUNE_EVERY = 1000  # deliveries recorded between prunes of old delivery keys
SHUTDOWN_GRACE = 5.0
# Slack waits 3 s for the ack. A record normally commits in about 10 ms (one group commit); should the database be so
# slow that 2 s pass, the delivery is acked anyway with a warning: an ack that never comes certainly fails the member,
# a record that commits a moment after the ack loses the delivery only if the process dies in that moment.
RECORD_DEADLINE = 2.0
REPLAY_WINDOW = timedelta(minutes=25)  # a response_url takes replies for 30 minutes; the rest is the work's margin
LOOK_AGAIN_AFTER_FAILURE = 5.0
UNREAD = ("message",)  # parts of a body the work never reads: a press carries its whole message, not worth storing

_RECONNECTING = ("Failed to connect", "Failed to check the current session", "Failed to receive or enqueue a message")
_SUBTEAM = re.compile(r"<!subteam\^([A-Za-z0-9]+)(?:\|[^>]*)?>")


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
    start-up warning that SLACK_BOT_TOKEN in the environment is unused (we pass bolt a client made from it), and
    keeps slack_sdk's Socket Mode failures to one line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "`token` will be unused" in message or message.startswith("Failed to retrieve WSS URL"):
            return False  # the second: bots/slack/main.py logs each failed Socket Mode attempt in one line of its own
        redacted = scrub(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if message.startswith(_RECONNECTING):
            # slack_sdk's Socket Mode client retries by itself (every 10 s) and logs each failed attempt as an ERROR,
            # the first with a whole traceback: one WARNING line an attempt says it all.
            record.msg, record.args, record.exc_info, record.exc_text = redacted, (), None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
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
    """The workspace, which the edge made sure every admitted payload names."""
    return team_id_of(body) or ""


def _team_name(body: Mapping[str, Any]) -> str:
    return text_of(mapping(body.get("team")).get("domain")) or text_of(body.get("team_domain")) or ""


def _stored(body: Mapping[str, Any]) -> str:
    """The body as the inbox keeps it: what the work reads, as JSON (the edge cleaned every string already)."""
    return json.dumps({k: v for k, v in body.items() if k not in UNREAD}, ensure_ascii=False, separators=(",", ":"))


def _unreadable(kind: str, body: Mapping[str, Any]) -> bool:
    """A body read back from the inbox is checked again as on arrival: the work relies on its shape."""
    try:
        return admit(body) != kind
    except Refused:
        return True


def _loaded(text: str) -> dict[str, Any] | None:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class SlackAdapter:
    def __init__(self, services: Services, client: AsyncWebClient, config: SlackConfig, *, catalog: Catalog | None = None,
                 socket_mode: bool = False, admin_ttl: float = ADMIN_TTL, session: ClientSession | None = None,
                 record_deadline: float = RECORD_DEADLINE, platform_clock: Callable[[], datetime] = platform_now) -> None:
        self.services = services
        self.session = session  # shared by the Web API client and response_url posts: kept-alive connections
        self.client = client
        self.config = config
        self.catalog = catalog or load_catalog()
        self.dispatcher = Dispatcher(self.catalog)
        self.deliveries = Deliveries(services.db, services.clock)
        self.admin_ttl = admin_ttl
        self.record_deadline = record_deadline
        self.platform_clock = platform_clock  # Slack's request timestamps are measured against it, not the Clock
        self.complaints = Complaints(log)
        self.flood_gate = FloodGate()
        self._admins: dict[str, tuple[float, bool]] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._recorded = 0
        self._started_at = services.clock.now()  # the inbox rows from before this are a previous process's
        self._replaying: set[str] = set()
        self._next_look: datetime | None = None
        self._replayer: asyncio.Task[None] | None = None
        # bolt's own signature check is off: over HTTP the edge has verified the raw bytes before bolt sees the
        # request (bolt would parse the body twice more first); Socket Mode is not signed. Never serve
        # `self.app.web_app()` itself: serve `web_app()` below.
        # process_before_response: bolt awaits the listener, which records, acks and hands the work to a task.
        self.app = AsyncApp(client=client, signing_secret=config.signing_secret, logger=sdk_loggers(),
                            request_verification_enabled=False, process_before_response=True)
        for name in self.catalog.top_level():
            self.app.command(f"/{name}")(self._on_command)
        self.app.action(re.compile(r"^rounds:"))(self._on_action)
        self.app.view(CALLBACK_ID)(self._on_view)

    # ------------------------------------------------------------------ transport

    def web_app(self, path: str = EVENTS_PATH) -> web.Application:
        """HTTP mode: Slack posts to `path`; `/healthz` answers load balancers and process managers."""
        # lingering_time 0: after refusing a body unread (too big, unsigned), close the connection rather than read
        # and discard the rest of it for up to 10 s, which is what lets a flood of large bodies cost the event loop.
        app = web.Application(client_max_size=MAX_BODY, handler_args={"lingering_time": 0})
        app.router.add_post(path, self._http)
        app.router.add_get("/healthz", self._healthz)
        return app

    def socket_handler(self, app_token: str) -> RoundsSocketModeHandler:
        """Socket Mode: bolt's handler, with the same door as HTTP in front of bolt (bots/slack/socket.py; imported
        here, as bolt's Socket Mode machinery is only needed in that mode)."""
        from bots.slack.socket import RoundsSocketModeHandler

        return RoundsSocketModeHandler(self, app_token)

    async def _http(self, request: web.Request) -> web.Response:
        """The edge's checks, cheapest first, then bolt with the verified, parsed, cleaned body. A request refused
        on the way gets its status and at most one warning line a minute, never a traceback."""
        try:
            body = await self._admitted(request)
            bolt_request = _bolt_request(body, request)
            return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))
        except Refused as refusal:
            return await self._refuse(refusal, request)
        except Exception as error:  # bolt choked on something the edge let through: still not our 500
            return await self._refuse(Refused(400, "bolt", f"bolt could not handle it ({type(error).__name__})"), request)

    async def _admitted(self, request: web.Request) -> dict[str, Any]:
        if (request.content_length or 0) > MAX_BODY:
            raise Refused(413, "size", f"its body is over {MAX_BODY // 1024} KiB")
        timestamp, signature = signature_headers(request.headers, self.platform_clock().timestamp())
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Refused(413, "size", f"its body is over {MAX_BODY // 1024} KiB") from None
        verify(self.config.signing_secret, timestamp, signature, raw)
        body = parse(raw, request.content_type)
        self._ours(admit(body), body)
        return body

    def admitted_payload(self, payload: Any) -> dict[str, Any]:
        """A Socket Mode payload through the same checks as an HTTP body after its signature."""
        if not isinstance(payload, dict):
            raise Refused(400, "unreadable", "its payload is not an object")
        body = cleaned(payload)
        self._ours(admit(body), body)
        return body

    def _ours(self, kind: str, body: Mapping[str, Any]) -> None:
        """A command or form this app declared (the manifest lists them; bolt would answer anything else with a 404
        and a warning of several lines)."""
        if kind == COMMAND and str(body["command"])[1:] not in self.catalog.top_level():
            raise Refused(400, "command", "its command is not one of Rounds' commands")
        if kind == VIEW and mapping(body.get("view")).get("callback_id") != CALLBACK_ID:
            raise Refused(400, "shape", "its form is not one Rounds opened")

    async def _refuse(self, refusal: Refused, request: web.Request) -> web.Response:
        """The status and one short line; the connection closes after it. Whatever of the body has not arrived yet
        is never read, and in a flood of large bodies the answer is held back (FloodGate): a flood must cost their
        headers, not their bytes."""
        self.complaints.warn(refusal.kind, f"refused a Slack request with HTTP {refusal.status}: {refusal.why}")
        if request.transport is not None and not request.transport.is_closing():
            request.transport.pause_reading()
        large = request.content_length is None or request.content_length > LARGE
        if refusal.status in (401, 413) and large and self.flood_gate.note():
            await self.flood_gate.wait()
        response = web.Response(status=refusal.status, text=refusal.why)
        response.force_close()
        return response

    async def _healthz(self, request: web.Request) -> web.Response:
        if not await self.services.db.ping():
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": True})

    async def start(self) -> None:
        """Before serving: run again what a stop interrupted (now, or once the lease of the process that stopped runs
        out), then start the duties."""
        if await self.replay():
            self._replayer = asyncio.get_running_loop().create_task(self._replay_while_waiting())
        await self.start_duties()

    async def start_duties(self) -> None:
        """Daily posts and every other duty of Slack communities, delivered with this app's Web API client."""
        await start_duties(self.services, [SlackNotifier(self.client)], self.catalog, catch_up=False)

    async def replay(self) -> bool:
        """One look at the inbox: deliveries from before this start, acknowledged (or about to be) but never finished
        because the process stopped between, run again while their response_url still takes a reply; older ones are
        given up. True while some are still leased to a process that may be at work on them (look again later)."""
        found = await self.deliveries.replay(REPLAY_WINDOW, self._started_at)
        if found.given_up:
            log.warning("%d Slack deliveries were never handled and are too old to answer now (or failed %d times): "
                        "given up", found.given_up, MAX_ATTEMPTS)
        fresh = [item for item in found.due if item.key not in self._replaying]
        for item in fresh:
            body = _loaded(item.body)
            if body is None or item.kind not in (COMMAND, ACTION, VIEW) or _unreadable(item.kind, body):
                log.warning("an unfinished Slack delivery could not be read back: given up")
                self._spawn(self.deliveries.finish(item.key))
                continue
            self._replaying.add(item.key)
            self._spawn(self._work(item.key, item.kind, body))
        if fresh:
            log.warning("running again %d Slack deliveries that a stop interrupted", len(fresh))
        self._next_look = found.next_at
        return found.next_at is not None

    async def _replay_while_waiting(self) -> None:
        """Look again each time the earliest lease runs out, until nothing from before this start is unfinished."""
        while self._next_look is not None:
            await asyncio.sleep(max(0.05, (self._next_look - self.services.clock.now()).total_seconds()))
            try:
                await self.replay()
            except Exception as error:
                log.warning("looking for interrupted Slack deliveries failed (%s): trying again", type(error).__name__)
                await asyncio.sleep(LOOK_AGAIN_AFTER_FAILURE)

    async def close(self) -> None:
        """Let replies in flight finish (briefly), then close the services. Work cut short stays unfinished in the
        inbox, for the next start to run again."""
        if self._replayer is not None:
            self._replayer.cancel()
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

    # ------------------------------------------------------------------ listeners: record, ack, work, mark done

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext,
                          request: AsyncBoltRequest) -> BoltResponse | None:
        return await self._accept(COMMAND, ack, body, context, request)

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext,
                         request: AsyncBoltRequest) -> BoltResponse | None:
        return await self._accept(ACTION, ack, body, context, request)

    async def _on_view(self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext,
                       request: AsyncBoltRequest) -> BoltResponse | None:
        return await self._accept(VIEW, ack, body, context, request)  # the ack closes the modal

    async def _accept(self, kind: str, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext,
                      request: AsyncBoltRequest) -> BoltResponse | None:
        """Record the delivery, then ack it, then work: Slack never retries what it got an ack for, so an ack must
        promise nothing a crash can take back. A delivery that cannot be recorded is not acked (a 503: Slack shows
        the member an error and Socket Mode redelivers). A repeat is acked and ignored."""
        if not self._from_this_workspace(body, context):
            await ack()
            self._spawn(self._refuse_stranger(body))
            return None
        key = delivery_key(body)
        recording = asyncio.ensure_future(self.deliveries.record(key, kind, _stored(body)))
        await asyncio.wait({recording}, timeout=self.record_deadline)
        if not recording.done():
            log.warning("recording a Slack delivery took over %.1f s: acknowledged before it was stored", self.record_deadline)
            await ack()
            self._spawn(self._once_recorded(recording, key, kind, body))
            return None
        if recording.exception() is not None:
            log.warning("a Slack delivery could not be recorded (%s): not acknowledged", type(recording.exception()).__name__)
            return BoltResponse(status=503, body="")
        await ack()
        if recording.result():
            self._count_record()
            self._spawn(self._work(key, kind, body))
        else:
            retry = next(iter(request.headers.get("x-slack-retry-num") or []), None)
            log.info("ignored a repeated Slack delivery (retry %s)", retry or "without header")
        return None

    async def _once_recorded(self, recording: asyncio.Future[bool], key: str, kind: str, body: dict[str, Any]) -> None:
        """The slow path: the ack went first, the work waits for the record (and runs even if it failed: the member
        has been told it arrived)."""
        try:
            fresh = await recording
        except Exception as error:
            log.warning("an acknowledged Slack delivery could not be recorded (%s): handled unrecorded", type(error).__name__)
            try:
                await self._run(kind, body)
            except Exception:
                log.exception("handling a Slack delivery failed")
            return
        if fresh:
            self._count_record()
            await self._work(key, kind, body)

    def _count_record(self) -> None:
        self._recorded += 1
        if self._recorded % PRUNE_EVERY == 0:
            self._spawn(self.deliveries.prune())

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """The work runs after the listener returns, so bolt answers Slack the moment the record is stored. Tasks are
        kept until done, for a clean shutdown."""
        task = asyncio.get_running_loop().create_task(work)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _work(self, key: str, kind: str, body: dict[str, Any]) -> None:
        """Run a recorded delivery, then mark it done (whatever the outcome: a failure here would fail again). A task
        cancelled at shutdown is not marked, so the next start runs it again."""
        try:
            await self._run(kind, body)
        except Exception:
            log.exception("handling a Slack delivery failed")
        try:
            await self.deliveries.finish(key)
        except Exception as error:
            log.warning("a handled Slack delivery could not be marked done (%s): it may run again", type(error).__name__)
        self._replaying.discard(key)

    async def _run(self, kind: str, body: dict[str, Any]) -> None:
        if kind == COMMAND:
            await self._command(body)
        elif kind == ACTION:
            await self._press(body, mapping(body["actions"][0]))
        else:
            await self._submit(body, mapping(body.get("view")))

    def _from_this_workspace(self, body: Mapping[str, Any], context: AsyncBoltContext) -> bool:
        """One bot token serves one workspace: its team (auth.test, which bolt has asked by now) is the only
        community this process answers for. A payload from another team (a Slack Connect guest, or a forgery) would
        otherwise create that team's community just to be refused."""
        installed = context.authorize_result
        if installed is None or not installed.team_id:
            return True
        return _team_id(body) == installed.team_id

    async def _refuse_stranger(self, body: Mapping[str, Any]) -> None:
        self.complaints.warn("stranger", "refused a Slack request from another workspace than the one installed")
        user_id = text_of(body.get("user_id")) or text_of(mapping(body.get("user")).get("id")) or ""
        response_url = text_of(body.get("response_url"))
        if response_url:
            await self._respond(response_url, notice(STRANGER), None, user_id, fallback=False)  # no DM to a stranger

    # ------------------------------------------------------------------ the work

    async def _command(self, body: dict[str, Any]) -> None:
        user_id, channel_id = str(body["user_id"]), text_of(body.get("channel_id"))
        ctx = self._context(body, user_id, text_of(body.get("user_name")) or "", channel_id)
        typed = f"{str(body['command']).lstrip('/')} {from_slack(text_of(body.get('text')) or '')}"
        try:
            name, spec, raw = read_command(self.catalog, typed)
        except UserError as error:
            reply = notice(str(error))
        else:
            if spec is not None and await self._asks_with_form(ctx, spec, raw, body, channel_id):
                return
            reply = await self.dispatcher.command(ctx, name, raw)
        await self._respond(text_of(body.get("response_url")), reply, channel_id, user_id)

    async def _press(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        user = mapping(body.get("user"))
        user_id = str(user["id"])
        channel_id = text_of(mapping(body.get("channel")).get("id")) or text_of(mapping(body.get("container")).get("channel_id"))
        ctx = self._context(body, user_id, text_of(user.get("name")) or text_of(user.get("username")) or "", channel_id)
        custom_id = text_of(action.get("action_id")) or ""
        if await self._opens_form(ctx, custom_id, text_of(body.get("trigger_id")) or "", channel_id):
            return
        reply = await self.dispatcher.press(ctx, custom_id)  # a form that could not be opened: the line to type
        await self._respond(text_of(body.get("response_url")), reply, channel_id, user_id)

    async def _submit(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        name, channel_id, given = read_metadata(view)
        spec = self.catalog.commands.get(name)
        user = mapping(body.get("user"))
        user_id = str(user["id"])
        if spec is None:
            log.warning("a modal came back for an unknown command %r", name[:40])
            return
        ctx = self._context(body, user_id, text_of(user.get("name")) or text_of(user.get("username")) or "", channel_id)
        reply = await self.dispatcher.command(ctx, spec.name, Form(spec, given).submitted(read_values(spec, view)))
        await self._post(channel_id, user_id, render(reply))

    async def _asks_with_form(self, ctx: Context, spec: CommandSpec, raw: dict[str, str], body: Mapping[str, Any],
                              channel_id: str | None) -> bool:
        """A command that needs input nobody typed opens a form, for someone allowed to run it (anyone else gets the
        dispatcher's refusal instead)."""
        if raw or not (spec.form or any(o.required for o in spec.options)) or not await self.dispatcher.allowed(ctx, spec):
            return False
        return await self._open_modal(text_of(body.get("trigger_id")) or "", spec, channel_id)

    async def _opens_form(self, ctx: Context, custom_id: str, trigger_id: str, channel_id: str | None) -> bool:
        """A form button opens its command's form, for someone allowed to run the command."""
        form = self.dispatcher.form(custom_id)
        if form is None or not await self.dispatcher.allowed(ctx, form.spec):
            return False
        return await self._open_modal(trigger_id, form.spec, channel_id, form.given)

    async def _open_modal(self, trigger_id: str, spec: CommandSpec, channel_id: str | None,
                          given: Mapping[str, str] | None = None) -> bool:
        try:
            await self.client.views_open(trigger_id=trigger_id, view=build_modal(spec, channel_id, given))
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

    async def _respond(self, response_url: str | None, reply: Reply, channel_id: str | None, user_id: str, *,
                       fallback: bool = True) -> None:
        """The text through the response_url when there is one (else, with `fallback`, the Web API), then the image,
        if any."""
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
        if fallback:
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


def _bolt_request(body: dict[str, Any], request: web.Request) -> AsyncBoltRequest:
    """A bolt request for a body the edge already verified and parsed: bolt parses nothing again."""
    headers = {name: value for name, value in request.headers.items()}
    bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=headers)  # type: ignore[arg-type]
    bolt_request.body = body
    bolt_request.context = build_async_context(AsyncBoltContext({}), body)
    return bolt_request


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
