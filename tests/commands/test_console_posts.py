"""Posts the console's notifier prints are part of the conversation: their buttons can be pressed, they wrap like
replies, they wait for the reply of the command that set them off, and they put the prompt back under them."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from bots.console.notifier import ConsoleNotifier
from bots.console.render import render
from bots.console.session import ConsoleSession
from commands.dispatch import Dispatcher
from commands.registry import load_catalog
from commands.replies import Card, Reply
from commands.runtime import bind_duties
from core.bootstrap import Services, build
from core.settings import Settings

LONG = " ".join(["hemoglobin"] * 40)


@dataclass
class Screen:
    services: Services
    out: io.StringIO
    notifier: ConsoleNotifier

    def session(self, user: str, *, admin: bool = False, channel: str = "general") -> ConsoleSession:
        session = ConsoleSession(self.services, Dispatcher(load_catalog()), user=user, admin=admin, channel=channel)
        self.notifier.audience.append(session)
        return session

    async def answers(self) -> int:
        return int((await self.services.db.fetchone(text("SELECT COUNT(*) AS n FROM answers")))["n"])


@pytest.fixture
async def screen(db_path, clock) -> AsyncIterator[Screen]:
    services = await build(Settings(db_path=db_path), clock=clock)
    out = io.StringIO()
    notifier = ConsoleNotifier(out, width=60)
    services.runner.serve(*bind_duties(services, [notifier]))
    yield Screen(services, out, notifier)
    await services.close()


async def test_the_buttons_of_a_channel_post_can_be_pressed(screen: Screen) -> None:
    ada = screen.session("ada", admin=True)
    elsewhere = screen.session("bob", channel="lounge")
    await ada.send("/rounds channel")
    await screen.services.runner.run_due()  # 10:00, after today's 09:00: the post goes out now
    assert "📣 posted in #general" in screen.out.getvalue() and "[A] [B] [C] [D] [E]" in screen.out.getvalue()

    pressed = await ada.send("[C]")
    assert "There is no" not in pressed.text and "chose" in pressed.text, pressed.text
    assert await screen.answers() == 1
    assert "There is no [C] button" in (await elsewhere.send("[C]")).text  # the post was not in bob's channel
    assert await screen.answers() == 1


async def test_the_buttons_of_a_direct_message_are_its_recipients(screen: Screen) -> None:
    bob, cleo = screen.session("bob"), screen.session("cleo")
    question = await screen.session("ada").send("/qotd")
    await screen.notifier.direct("console:bob", Reply(text="Today's question", buttons=question.buttons))

    assert "chose" in (await bob.send("[B]")).text
    assert "There is no [B] button" in (await cleo.send("[B]")).text
    assert await screen.answers() == 1


async def test_posts_wrap_between_words_like_replies(screen: Screen) -> None:
    reply = Reply(text=LONG, cards=(Card("Question of the day", LONG),))
    await screen.notifier.post("general", reply)
    printed = screen.out.getvalue()
    lines = printed.splitlines()
    assert all(len(line) <= 60 for line in lines), max(lines, key=len)
    assert all(word == "hemoglobin" for line in lines if "hemoglobin" in line for word in line.strip("│ ").split())
    assert render(reply, 60) in printed  # the same wrapping as a reply


async def test_a_post_waits_for_the_reply_of_the_command_being_handled(screen: Screen) -> None:
    with screen.notifier.holding():
        await screen.notifier.post("general", Reply(text="the post"))
        assert "the post" not in screen.out.getvalue()
        print("the confirmation", file=screen.out)
    assert screen.out.getvalue() == "the confirmation\n\n📣 posted in #general:\nthe post\n"


async def test_a_post_while_the_prompt_waits_redraws_the_prompt(screen: Screen) -> None:
    screen.notifier.prompt = "> "
    print("> ", end="", file=screen.out)
    screen.notifier.waiting = True
    await screen.notifier.post("general", Reply(text="the post"))
    assert screen.out.getvalue() == "> \n📣 posted in #general:\nthe post\n> "
    screen.notifier.waiting = False
    await screen.notifier.post("general", Reply(text="again"))
    assert screen.out.getvalue().endswith("again\n")  # no prompt when none is waiting
