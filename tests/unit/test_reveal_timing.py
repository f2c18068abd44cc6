"""The reveal delay counts from when the day's question actually reached members, never from a posting time long
gone; and a process sharing the database sees a reveal time another process moved."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from bots.console.session import ConsoleSession
from commands.moments import moment
from core.bootstrap import build
from core.clock import parse_iso
from core.qotd.daily import REVEAL
from core.qotd.service import Distribution
from core.settings import Settings


async def reveal_due(services) -> datetime:
    row = await services.db.fetchone(text("SELECT due_at FROM duties WHERE kind = :kind"), {"kind": REVEAL})
    return parse_iso(row["due_at"])


async def test_setting_up_at_22_00_keeps_the_whole_delay(console, services, clock, notifier):
    """Defaults (09:00 post, 12 h delay) set up at 22:00: the post goes out now and is revealed 12 h later."""
    clock.set(datetime(2026, 11, 24, 22, 0, tzinfo=UTC))
    await console("ada", admin=True).send("/rounds channel")
    await services.runner.run_due()
    [(_, post)] = notifier.posts
    assert post.cards[0].title.startswith("Question of the day")

    alice = console("alice")
    alice.remember(post)
    feedback = await alice.send("[A]")
    assert not feedback.cards and f"revealed at **{moment(datetime(2026, 11, 25, 10, 0, tzinfo=UTC), 'UTC')}**" in feedback.text
    assert await reveal_due(services) == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    clock.set(datetime(2026, 11, 25, 9, 59, tzinfo=UTC))
    await services.runner.run_due()  # tomorrow's 09:00 question goes out; the reveal waits
    assert not any(reply.cards[0].title.startswith("Answer revealed") for _, reply in notifier.posts)
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    await services.runner.run_due()
    assert notifier.posts[-1][1].cards[0].title.startswith("Answer revealed")


async def test_a_late_announce_moves_the_reveal_for_every_process(console, services, clock, notifier, dispatcher, database):
    """A member of another process asked at 21:00 (reveal then 09:00 tomorrow); the channel post went out at 22:30,
    so the reveal moves to 10:30 and that process, which holds the post in memory, sees the new time."""
    clock.set(datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    other = await build(Settings(db_path=database), clock=clock)
    try:
        bob = ConsoleSession(other, dispatcher, user="bob")
        shown = await bob.send("/qotd")

        clock.set(datetime(2026, 11, 24, 22, 30, tzinfo=UTC))
        await console("ada", admin=True).send("/rounds channel")
        await services.runner.run_due()
        assert len(notifier.posts) == 1 and await reveal_due(services) == datetime(2026, 11, 25, 10, 30, tzinfo=UTC)

        clock.set(datetime(2026, 11, 25, 10, 15, tzinfo=UTC))  # after the first reveal time, before the new one
        bob.remember(shown)
        feedback = await bob.send("[A]")
        assert not feedback.cards and f"revealed at **{moment(datetime(2026, 11, 25, 10, 30, tzinfo=UTC), 'UTC')}**" in feedback.text
        assert (await bob.send("/qotd")).buttons  # still the question, not the reveal card
    finally:
        await other.close()


async def test_immediately_is_unchanged_by_a_late_post(console, services, clock, notifier):
    clock.set(datetime(2026, 11, 24, 22, 0, tzinfo=UTC))
    admin = console("ada", admin=True)
    await admin.send("/rounds reveal immediately")
    await admin.send("/rounds channel")
    await services.runner.run_due()
    admin.remember(notifier.posts[0][1])
    assert (await admin.send("[A]")).cards  # the explanation at once
    assert await services.db.fetchone(text("SELECT due_at FROM duties WHERE kind = :kind"), {"kind": REVEAL}) is None


def test_shares_add_up_to_100_by_largest_remainder():
    assert Distribution({"A": 1, "B": 1, "C": 1}).percentages() == {"A": 34, "B": 33, "C": 33, "D": 0, "E": 0}
    assert sum(Distribution({"A": 2, "B": 2, "C": 2, "D": 1}).percentages().values()) == 100
    assert Distribution({"B": 1, "C": 2}).percentages() == {"A": 0, "B": 33, "C": 67, "D": 0, "E": 0}
    assert Distribution({}).percentages() == dict.fromkeys("ABCDE", 0)
