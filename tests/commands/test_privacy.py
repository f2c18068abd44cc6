"""`/privacy export` and `/privacy delete` through the console harness, down to the database (SQLite, then
PostgreSQL): a member sees their own data, and erases it after confirming, while the post keeps its counts."""

from __future__ import annotations

import json

from commands.privacy import BODY_BUDGET, CONFIRM_SECONDS, ERASE_ACTION, digest
from commands.replies import Button
from core.storage.transfer import member_data


def shown_json(reply) -> dict:
    return json.loads(reply.cards[0].body)


async def answered(console, services, user: str, letter: str = "B", report: str | None = None) -> int:
    session = console(user)
    await session.send("/qotd")
    await session.send(f"[{letter}]")
    post_id = (await services.qotd.today(await services.communities.get("console:default")))[0].id
    if report:
        await session.send(f'/qotd-report post:{post_id} note:"{report}"')
    return post_id


async def test_export_shows_only_the_member_their_own_answers_and_reports(console, services):
    await answered(console, services, "alice", "B", report="the stem contradicts the key")
    await answered(console, services, "bob", "C")
    reply = await console("alice").send("/privacy export")
    assert reply.private and "Only you can see this" in reply.text
    data = shown_json(reply)
    assert data["member"]["id"] == "console:alice" and data["member"]["display_name"] == "alice"
    assert [(a["community"], a["choice"]) for a in data["answers"]] == [("console:default", "B")]
    assert [r["note"] for r in data["reports"]] == ["the stem contradicts the key"]
    assert "console:bob" not in reply.cards[0].body


async def test_export_for_someone_rounds_never_saw_says_there_is_nothing(console):
    reply = await console("newcomer").send("/privacy export")
    assert reply.private and reply.text == "Rounds keeps nothing about you: no answers, no reports, no settings."


async def test_delete_asks_first_and_the_button_erases_the_member_but_keeps_the_counts(console, services):
    post_id = await answered(console, services, "alice", "B", report="typo in option D")
    await answered(console, services, "bob", "B")
    before = (await services.qotd.distribution(post_id)).counts
    alice = console("alice")
    asked = await alice.send("/privacy delete")
    assert asked.private and "cannot be undone" in asked.text
    [button] = asked.buttons
    assert (button.label, button.action, button.style) == ("Erase my data", ERASE_ACTION, "danger")
    assert (await member_data(services.db, "console:alice"))["answers"]  # asking erased nothing

    _, question = await services.qotd.today(await services.communities.get("console:default"))
    cards = 0 if question.answer == "B" else 1  # a wrong answer put the question in alice's review queue
    assert len((await member_data(services.db, "console:alice"))["review_cards"]) == cards
    done = await alice.send("[Erase my data]")
    assert done.private and done.text.startswith("Erased. 1 answer no longer linked to you")
    assert "1 report" in done.text and "1 activity record" in done.text and "deleted with your streaks" in done.text
    assert ("1 review card" in done.text) == bool(cards)
    left = await member_data(services.db, "console:alice")
    assert (left["member"], left["answers"], left["reports"], left["review_cards"]) == (None, [], [], [])
    assert (await services.qotd.distribution(post_id)).counts == before == {"B": 2}
    assert (await member_data(services.db, "console:bob"))["answers"]

    again = await alice.send("[Erase my data]")
    assert again.text == "Rounds keeps nothing about you any more: there was nothing left to erase."
    assert (await services.qotd.distribution(post_id)).counts == before


async def test_a_stale_or_someone_else_s_erase_button_does_nothing(console, services, clock):
    await answered(console, services, "alice", "A")
    issued = int(clock.now().timestamp())
    bob = console("bob")
    forged = Button("Erase my data", ERASE_ACTION, (digest("console:alice"), str(issued)))
    reply = await services_press(bob, forged)
    assert "someone else's data" in reply.text
    alice = console("alice")
    await alice.send("/privacy delete")
    clock.advance(seconds=CONFIRM_SECONDS + 1)
    late = await alice.send("[Erase my data]")
    assert "expired, so nothing was erased" in late.text
    assert (await member_data(services.db, "console:alice"))["answers"]
    broken = await alice.dispatcher.press(alice.context, f"rounds:{ERASE_ACTION}:{digest('console:alice')}:soon")
    assert "no longer in use" in broken.text
    assert (await member_data(services.db, "console:alice"))["answers"]


async def services_press(session, button: Button):
    return await session.dispatcher.press(session.context, button.custom_id)


def test_a_long_history_is_cut_to_the_most_recent_answers_that_fit():
    from commands.privacy import fitted

    data = {"format": "rounds.member", "version": 1, "member": {"id": "console:x"}, "reports": [],
            "answers": [{"community": "console:default", "post": f"2026-{n:04d}", "choice": "A", "correct": True,
                         "question_id": f"q{n}", "answered_at": "2026-11-24T10:00:00.000000+00:00",
                         "changed_at": None} for n in range(200)]}
    body, shown = fitted(data)
    assert len(body) <= BODY_BUDGET and 0 < shown < 200
    parsed = json.loads(body)
    assert parsed["answers"] == data["answers"][:shown] and parsed["answers_not_shown"] == 200 - shown
