"""Study sessions through the notifiers: Discord's scheduled events and threads, Slack's threads, via the real SDKs.

Why: the sessions capability keeps one Guild Scheduled Event in step with each session and hangs a thread on its
message. What Discord answers (50013 without Manage Events, 10070 for an event deleted by hand, 50035 for a start in
the past, 160004 for a second thread) is what the stand-in answers, so the mapping to `Unpermitted` /
`Undeliverable` and the re-creation are tested against the errors discord.py really raises. On Slack a thread is the
replies to a message: the place `open_thread` answers must take posts, edits and a retry's key lookup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import discord
import pytest
from slack_sdk.errors import SlackApiError

from bots.discord.notifier import DiscordNotifier
from bots.slack.app import SlackConfig, web_client
from bots.slack.notifier import SlackNotifier
from commands.notifier import EventHost, NativeEvent, ThreadHost
from commands.replies import Image, Reply
from core.engine.errors import Undeliverable, Unpermitted
from testkit.images import tiny_png
from testkit.standins.discord_standin import GENERAL_CHANNEL_ID, GUILD_ID, DiscordStandIn, Permission
from testkit.standins.slack_standin import DEFAULT_CHANNEL_ID, SlackStandIn

NOW = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)  # the stand-in's clock: no test depends on today's date
START = NOW + dt.timedelta(days=1)
COMMUNITY = f"discord:{GUILD_ID}"


def session(name: str = "UWorld block 12", start: dt.datetime = START, **overrides: str) -> NativeEvent:
    fields = {"location": "#study-hall", "description": "Cardio, timed, 40 questions", **overrides}
    return NativeEvent(COMMUNITY, name, start, start + dt.timedelta(hours=2), **fields)


# --- Discord --------------------------------------------------------------------------------------------------------


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn(clock=lambda: NOW) as api:
        with api.patch_discord():
            yield api


@pytest.fixture
async def notifier(standin: DiscordStandIn) -> AsyncIterator[DiscordNotifier]:
    client = discord.Client(intents=discord.Intents.none())  # REST only, no guild cache: as a duty runs
    await client.login(standin.token or "any-token")
    try:
        yield DiscordNotifier(client)
    finally:
        await client.close()


@pytest.fixture
async def may_manage_events(standin: DiscordStandIn) -> None:
    await standin.grant_bot(Permission.MANAGE_EVENTS)


def test_the_discord_notifier_hosts_events_and_threads() -> None:
    assert isinstance(DiscordNotifier(), EventHost) and isinstance(DiscordNotifier(), ThreadHost)


@pytest.mark.usefixtures("may_manage_events")
async def test_an_event_is_created_external_with_its_location_and_end(standin: DiscordStandIn,
                                                                      notifier: DiscordNotifier) -> None:
    before = len(standin.calls)
    event_id = await notifier.put_event(session(), None)

    [create] = standin.calls[before:]  # one call: no fetch of the guild first
    assert (create.method, create.path, create.status) == ("POST", f"/guilds/{GUILD_ID}/scheduled-events", 200)
    event = standin.scheduled_events[event_id]
    assert (event["entity_type"], event["privacy_level"], event["status"]) == (3, 2, 1)
    assert event["entity_metadata"] == {"location": "#study-hall"}
    assert event["scheduled_start_time"] == START.isoformat()
    assert event["scheduled_end_time"] == (START + dt.timedelta(hours=2)).isoformat()
    assert event["name"] == "UWorld block 12" and event["description"] == "Cardio, timed, 40 questions"


@pytest.mark.usefixtures("may_manage_events")
async def test_long_fields_are_clipped_to_discords_limits(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    event_id = await notifier.put_event(session("N" * 150, location="L" * 150, description="D" * 1500), None)
    event = standin.scheduled_events[event_id]
    assert len(event["name"]) == 100 and event["name"].endswith("…")
    assert len(event["entity_metadata"]["location"]) == 100 and len(event["description"]) == 1000


@pytest.mark.usefixtures("may_manage_events")
async def test_an_event_is_edited_in_place_in_one_call(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    event_id = await notifier.put_event(session(), None)
    later = START + dt.timedelta(hours=3)
    before = len(standin.calls)

    assert await notifier.put_event(session("UWorld block 13", later), event_id) == event_id

    [edit] = standin.calls[before:]
    assert (edit.method, edit.path, edit.status) == ("PATCH", f"/guilds/{GUILD_ID}/scheduled-events/{event_id}", 200)
    event = standin.scheduled_events[event_id]
    assert event["name"] == "UWorld block 13" and event["scheduled_start_time"] == later.isoformat()
    assert event["entity_type"] == 3 and event["entity_metadata"] == {"location": "#study-hall"}
    assert [action for action, *_ in standin.event_log] == ["create", "edit"]


@pytest.mark.usefixtures("may_manage_events")
async def test_an_event_deleted_by_hand_is_created_afresh(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    event_id = await notifier.put_event(session(), None)
    standin.deleted_events[event_id] = standin.scheduled_events.pop(event_id)  # an admin deleted it

    fresh = await notifier.put_event(session("UWorld block 12, moved"), event_id)

    assert fresh != event_id and standin.scheduled_events[fresh]["name"] == "UWorld block 12, moved"
    patch, create = standin.calls[-2:]
    assert (patch.method, patch.status, patch.response["code"]) == ("PATCH", 404, 10070)
    assert (create.method, create.status) == ("POST", 200)


@pytest.mark.usefixtures("may_manage_events")
async def test_an_event_is_cancelled_and_a_gone_one_is_left_alone(standin: DiscordStandIn,
                                                                   notifier: DiscordNotifier) -> None:
    event_id = await notifier.put_event(session(), None)
    await notifier.cancel_event(COMMUNITY, event_id)
    assert standin.scheduled_events[event_id]["status"] == 4
    assert standin.event_log[-1] == ("edit", event_id, {"status": 4})

    await notifier.cancel_event(COMMUNITY, event_id)  # already cancelled: Discord refuses the change, that is fine
    standin.scheduled_events.pop(event_id)
    await notifier.cancel_event(COMMUNITY, event_id)  # gone (10070): fine too
    assert [c.status for c in standin.calls[-2:]] == [400, 404]


async def test_without_manage_events_it_is_unpermitted_until_granted(standin: DiscordStandIn,
                                                                      notifier: DiscordNotifier) -> None:
    with pytest.raises(Unpermitted) as refused:
        await notifier.put_event(session(), None)
    assert refused.value.permission == "Manage Events" and isinstance(refused.value, Undeliverable)
    assert isinstance(refused.value.__cause__, discord.Forbidden) and refused.value.__cause__.code == 50013
    assert standin.scheduled_events == {}

    await standin.grant_bot(Permission.MANAGE_EVENTS)
    event_id = await notifier.put_event(session(), None)
    assert event_id in standin.scheduled_events

    await standin.revoke_bot(Permission.MANAGE_EVENTS)
    with pytest.raises(Unpermitted):
        await notifier.put_event(session("renamed"), event_id)
    with pytest.raises(Unpermitted):
        await notifier.cancel_event(COMMUNITY, event_id)


@pytest.mark.usefixtures("may_manage_events")
async def test_a_start_in_the_past_is_undeliverable_with_discords_reason(standin: DiscordStandIn,
                                                                         notifier: DiscordNotifier) -> None:
    with pytest.raises(Undeliverable) as refused:
        await notifier.put_event(session(start=NOW - dt.timedelta(minutes=5)), None)
    assert not isinstance(refused.value, Unpermitted)
    assert "scheduled_start_time" in str(refused.value) and refused.value.__cause__.code == 50035  # type: ignore[union-attr]


@pytest.mark.parametrize("community", ["discord:1200000000000009999", "slack:T0123"])
async def test_a_server_gone_or_not_discords_is_undeliverable(notifier: DiscordNotifier, community: str) -> None:
    event = NativeEvent(community, "Mock OET", START, START + dt.timedelta(hours=1), "Zoom")
    with pytest.raises(Undeliverable):
        await notifier.put_event(event, None)


async def test_a_thread_on_a_posted_message_takes_posts(standin: DiscordStandIn, notifier: DiscordNotifier) -> None:
    await standin.grant_bot(Permission.CREATE_PUBLIC_THREADS)
    message_id = await notifier.post(str(GENERAL_CHANNEL_ID), Reply(text="Session #3: UWorld block 12"))
    assert message_id is not None

    thread_id = await notifier.open_thread(str(GENERAL_CHANNEL_ID), message_id, "Session #3 " + "x" * 120)

    assert thread_id == message_id  # Discord gives a message's thread the message's id
    thread = standin.threads[thread_id]
    assert len(thread["name"]) == 100 and thread["parent_id"] == str(GENERAL_CHANNEL_ID)
    await notifier.post(thread_id, Reply(text="Starting in 15 minutes"))
    assert [m["content"] for m in standin.thread_messages(thread_id)] == ["Starting in 15 minutes"]
    assert notifier.thread_link(thread_id) == f"<#{thread_id}>"

    assert await notifier.open_thread(str(GENERAL_CHANNEL_ID), message_id, "again") == thread_id  # 160004: that one


async def test_without_create_public_threads_a_thread_is_unpermitted(standin: DiscordStandIn,
                                                                     notifier: DiscordNotifier) -> None:
    message_id = await notifier.post(str(GENERAL_CHANNEL_ID), Reply(text="Session #3"))
    assert message_id is not None
    with pytest.raises(Unpermitted) as refused:
        await notifier.open_thread(str(GENERAL_CHANNEL_ID), message_id, "Session #3")
    assert refused.value.permission == "Create Public Threads" and standin.threads == {}

    with pytest.raises(Undeliverable) as gone:
        await notifier.open_thread(str(GENERAL_CHANNEL_ID), "1200000000000007777", "Session #4")
    assert not isinstance(gone.value, Unpermitted)


# --- Slack ----------------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk reads HTTP(S)_PROXY itself and ignores NO_PROXY, so a CI proxy would swallow 127.0.0.1 traffic."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as api:
        yield api


@pytest.fixture
def on_slack(slack: SlackStandIn) -> SlackNotifier:
    return SlackNotifier(web_client(SlackConfig(bot_token="xoxb-sessions-bot-token", api_url=slack.api_url)))


def test_the_slack_notifier_hosts_threads_but_not_events() -> None:
    assert isinstance(SlackNotifier(), ThreadHost) and not isinstance(SlackNotifier(), EventHost)


async def test_a_slack_thread_opens_without_a_call_and_takes_replies(slack: SlackStandIn,
                                                                     on_slack: SlackNotifier) -> None:
    parent = await on_slack.post(DEFAULT_CHANNEL_ID, Reply(text="Session #3: UWorld block 12"))
    assert parent is not None
    before = len(slack.calls())

    place = await on_slack.open_thread(DEFAULT_CHANNEL_ID, parent, "Session #3")

    assert place == f"{DEFAULT_CHANNEL_ID}/{parent}" and len(slack.calls()) == before
    reply = await on_slack.post(place, Reply(text="Starting in 15 minutes"))
    [posted] = slack.thread_replies(DEFAULT_CHANNEL_ID, parent)
    assert posted["ts"] == reply and posted["text"].startswith("Starting in 15 minutes")
    assert [m["ts"] for m in slack.channel_messages(DEFAULT_CHANNEL_ID) if "reply_count" in m] == [parent]
    assert on_slack.thread_link(place) == f"<#{DEFAULT_CHANNEL_ID}>"

    assert reply is not None
    await on_slack.edit(place, reply, Reply(text="Starting now"))
    [edited] = slack.thread_replies(DEFAULT_CHANNEL_ID, parent)
    assert edited["text"].startswith("Starting now") and edited["ts"] == reply


async def test_a_retried_post_into_a_thread_finds_the_first_by_its_key(slack: SlackStandIn,
                                                                       on_slack: SlackNotifier) -> None:
    parent = await on_slack.post(DEFAULT_CHANNEL_ID, Reply(text="Session #3"), key="session.announce:3")
    assert parent is not None
    place = await on_slack.open_thread(DEFAULT_CHANNEL_ID, parent, "Session #3")
    since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # the stand-in's ts are the wall clock's: any moment before it

    first = await on_slack.post(place, Reply(text="Reminder"), key="session.remind:3")
    again = await on_slack.post(place, Reply(text="Reminder"), key="session.remind:3", since=since)

    assert again == first and len(slack.thread_replies(DEFAULT_CHANNEL_ID, parent)) == 1
    [lookup] = slack.calls("conversations.replies")
    assert lookup.params["ts"] == parent and not slack.calls("conversations.history")
    other = await on_slack.post(place, Reply(text="Starting"), key="session.start:3", since=since)
    assert other != first and len(slack.thread_replies(DEFAULT_CHANNEL_ID, parent)) == 2


async def test_an_image_posted_into_a_slack_thread_is_shared_in_the_thread(slack: SlackStandIn,
                                                                            on_slack: SlackNotifier) -> None:
    parent = await on_slack.post(DEFAULT_CHANNEL_ID, Reply(text="Session #3"))
    assert parent is not None
    place = await on_slack.open_thread(DEFAULT_CHANNEL_ID, parent, "Session #3")
    await on_slack.post(place, Reply(text="Attendance", image=Image(tiny_png(3, 3), "Who came")))
    [shared] = slack.shared_files(DEFAULT_CHANNEL_ID)
    assert shared.thread_ts == parent


async def test_the_slack_standin_reads_a_thread_parent_first_a_page_at_a_time(slack: SlackStandIn,
                                                                              on_slack: SlackNotifier) -> None:
    """What the retry's lookup relies on: conversations.replies as Slack answers it (slack_sdk's own call)."""
    parent = await on_slack.post(DEFAULT_CHANNEL_ID, Reply(text="Session #3"))
    assert parent is not None and on_slack.client is not None
    place = await on_slack.open_thread(DEFAULT_CHANNEL_ID, parent, "Session #3")
    replies = [await on_slack.post(place, Reply(text=f"reply {n}")) for n in range(3)]

    first = await on_slack.client.conversations_replies(channel=DEFAULT_CHANNEL_ID, ts=replies[1] or "", limit=2)
    assert [m["ts"] for m in first["messages"]] == [parent, replies[0]] and first["has_more"]
    cursor = first["response_metadata"]["next_cursor"]
    rest = await on_slack.client.conversations_replies(channel=DEFAULT_CHANNEL_ID, ts=parent, limit=2, cursor=cursor)
    assert [m["ts"] for m in rest["messages"]] == replies[1:] and not rest["has_more"]
    with pytest.raises(SlackApiError) as unknown:
        await on_slack.client.conversations_replies(channel=DEFAULT_CHANNEL_ID, ts="1.000001")
    assert unknown.value.response["error"] == "thread_not_found"
