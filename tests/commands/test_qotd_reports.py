"""Reporting a problem with a question, through the console harness: the button on the reveal, `/qotd-report`, and
the admins' `/rounds reports` (list and resolve). The full command path down to SQLite, no mocks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bots.console.render import render
from commands.forms import FORM_ACTION
from core.qotd.reporting import NOTE_LIMIT
from core.qotd.reports import NewReport, ReportStore
from core.storage.schema import question_reports


async def revealed_feedback(session):
    """The member answers today's question with the reveal set to immediately: the explanation is shown at once."""
    admin = session.__class__(session.services, session.dispatcher, user="admin", community=session.community, admin=True)
    await admin.send("/rounds reveal immediately")
    await session.send("/qotd")
    return await session.send("[B]")


async def open_reports(services) -> list[tuple[str, str, str]]:
    r = question_reports.c
    rows = await services.db.fetchall(
        select(r.question_id, r.member_id, r.note).where(r.resolved_at.is_(None)).order_by(r.id))
    return [(r["question_id"], r["member_id"], r["note"]) for r in rows]


async def test_the_revealed_explanation_has_a_report_button_that_tells_the_console_what_to_type(console, services):
    alice = console("alice")
    feedback = await revealed_feedback(alice)
    [button] = feedback.buttons
    post_id = (await services.qotd.today(await services.communities.get("console:default")))[0].id
    assert button.label == "Report a problem" and button.action == FORM_ACTION
    assert button.custom_id == f"rounds:form:qotd-report:post={post_id}"

    hint = await alice.send("[Report a problem]")
    assert hint.private
    assert f'/qotd-report post:{post_id} note:"…"' in hint.text
    assert "Type this" in render(hint)

    done = await alice.send(f'/qotd-report post:{post_id} note:"B is also right: the stem says the patient is 70"')
    question_id = (await services.qotd.post(post_id)).question_id
    assert done.private and "Thanks" in done.text and question_id in done.text
    assert await open_reports(services) == [(question_id, "console:alice", "B is also right: the stem says the patient is 70")]


async def test_the_channel_reveal_carries_the_report_button(console, services, clock, notifier):
    admin = console("admin", admin=True)
    await admin.send("/rounds channel")  # after 09:00: today's question goes out now (10:00), its reveal 12 h later
    await services.runner.run_due()
    clock.set(datetime(2026, 11, 24, 22, 0, tzinfo=UTC))
    await services.runner.run_due()
    channel, reveal = notifier.posts[-1]
    assert reveal.cards[0].title.startswith("Answer revealed")
    post = await services.qotd.post(int(notifier.posts[0][1].buttons[0].args[0]))
    assert [b.custom_id for b in reveal.buttons] == [f"rounds:form:qotd-report:post={post.id}"]

    member = console("bob")
    member.remember(reveal)  # the post is on screen
    hint = await member.send("[Report a problem]")
    assert f"/qotd-report post:{post.id} note:" in hint.text


async def test_reporting_the_same_question_again_updates_the_report(console, services):
    alice = console("alice")
    await revealed_feedback(alice)
    [button] = (await alice.send("/qotd")).buttons  # after the reveal, /qotd shows the reveal card and its report button
    assert button.label == "Report a problem"
    post_id = int(button.args[1].removeprefix("post="))
    await alice.send(f"/qotd-report post:{post_id} note:first")
    again = await alice.send(f'/qotd-report post:{post_id} note:"second thoughts"')
    assert "now says this instead" in again.text
    [(_, member, note)] = await open_reports(services)
    assert (member, note) == ("console:alice", "second thoughts")


async def test_an_empty_or_overlong_note_is_refused_and_nothing_is_written(console, services):
    alice = console("alice")
    post_id = int((await alice.send("/qotd")).buttons[0].args[0])
    empty = await alice.send(f'/qotd-report post:{post_id} note:"   "')
    assert empty.private and "needs `note`" in empty.text
    too_long = await alice.send(f'/qotd-report post:{post_id} note:"{"x" * (NOTE_LIMIT + 1)}"')
    assert too_long.private and f"the limit is {NOTE_LIMIT}" in too_long.text
    nobody = await alice.send("/qotd-report post:999 note:typo")
    assert "no longer available" in nobody.text
    assert await open_reports(services) == []
    fits = await alice.send(f'/qotd-report post:{post_id} note:"{"x" * NOTE_LIMIT}"')
    assert "Thanks" in fits.text and len((await open_reports(services))[0][2]) == NOTE_LIMIT


async def test_another_communitys_post_cannot_be_reported_here(console, services):
    theirs = int((await console("zoe", community="other").send("/qotd")).buttons[0].args[0])
    refused = await console("alice").send(f"/qotd-report post:{theirs} note:typo")
    assert "another community" in refused.text
    assert await open_reports(services) == []


async def test_admins_list_open_reports_by_question_newest_first_and_resolve_them(console, services, clock):
    alice, bob, admin = console("alice"), console("bob"), console("admin", admin=True)
    first = int((await alice.send("/qotd")).buttons[0].args[0])
    await alice.send(f'/qotd-report post:{first} note:"answer key says E, explanation says D"')
    clock.advance(minutes=1)
    await bob.send(f"/qotd-report post:{first} note:typo")
    clock.advance(days=1)
    second = int((await alice.send("/qotd")).buttons[0].args[0])
    await alice.send(f'/qotd-report post:{second} note:"the image is missing"')
    first_q, second_q = [(await services.qotd.post(p)).question_id for p in (first, second)]

    listed = await admin.send("/rounds reports")
    assert listed.private and listed.text.startswith("2 questions with open reports")
    [card] = listed.cards
    assert [f.name for f in card.fields] == [f"{second_q} · 1 member", f"{first_q} · 2 members"]
    older = card.fields[1].value
    assert older.index("• typo") < older.index("• answer key says E")  # newest note first
    assert f"report it to the Rounds maintainers with the question id `{first_q}`" in older
    assert "resolve:<question id>" in card.footer

    refused = await bob.send("/rounds reports")
    assert refused.private and refused.text.startswith("Only community admins can use `/rounds reports`")
    assert not refused.cards

    closed = await admin.send(f"/rounds reports resolve:{first_q}")
    assert closed.text == f"Closed 2 reports on `{first_q}`."
    again = await admin.send(f"/rounds reports resolve:{first_q}")
    assert "There are no open reports" in again.text
    assert [f.name for f in (await admin.send("/rounds reports")).cards[0].fields] == [f"{second_q} · 1 member"]

    await bob.send(f"/qotd-report post:{first} note:\"still wrong\"")  # a new report after the old ones were closed
    assert len(await open_reports(services)) == 2
    not_allowed = await bob.send(f"/rounds reports resolve:{second_q}")
    assert not_allowed.text.startswith("Only community admins")
    assert len(await open_reports(services)) == 2


async def test_no_reports_says_how_members_report(console):
    empty = await console("admin", admin=True).send("/rounds reports")
    assert "No open reports" in empty.text and "Report a problem" in empty.text


async def test_a_communitys_own_question_says_to_fix_it_with_content_import(console, services):
    admin = console("admin", admin=True)
    post_id = int((await admin.send("/qotd")).buttons[0].args[0])
    community = "console:default"
    own = next(iter(services.bank.available(community, (await services.communities.get(community)).tag_filter)))
    await services.bank.import_questions([replace(own, id="my-cardio-7")], community)
    store = ReportStore(services.db)
    await store.file(NewReport(community, f"{community}/my-cardio-7", post_id, "console:alice", "typo", services.clock.now()))
    listed = await admin.send("/rounds reports")
    details = listed.cards[0].fields[0].value
    assert "fix `my-cardio-7` in your file" in details
    assert f"rounds content import FILE --community {community}" in details
    assert "maintainers" not in details


async def test_a_long_list_is_capped_with_the_count_of_the_rest(console, services, clock):
    admin = console("admin", admin=True)
    post_id = int((await admin.send("/qotd")).buttons[0].args[0])
    store = ReportStore(services.db)
    for n in range(13):
        at = clock.now() + timedelta(minutes=n)
        await store.file(NewReport("console:default", f"q-{n:02d}", post_id, "console:alice", "x" * 400, at))
    listed = await admin.send("/rounds reports")
    assert listed.text.startswith("13 questions") and "The 3 oldest are not shown" in listed.text
    fields = listed.cards[0].fields
    assert len(fields) == 10 and fields[0].name.startswith("q-12")
    assert all(len(f.value) < 1024 for f in fields)  # a Discord field's limit, notes clipped
    assert "No longer in the question bank" in fields[0].value


async def test_a_typed_report_without_a_post_is_about_todays_question(console, services):
    alice = console("alice")
    done = await alice.send('/qotd-report "option C has a typo"')
    today, _ = await services.qotd.today(await services.communities.get("console:default"))
    assert "Thanks" in done.text and today.question_id in done.text
    assert await open_reports(services) == [(today.question_id, "console:alice", "option C has a typo")]


async def test_the_report_button_under_feedback_leaves_the_answer_buttons_pressable(console, services):
    alice = console("alice")
    feedback = await revealed_feedback(alice)
    _, question = await services.qotd.today(await services.communities.get("console:default"))
    later = ["Review later"] if question.answer == "B" else []  # a wrong answer is in the review queue already
    assert [b.label for b in feedback.buttons] == ["Report a problem", *later]
    again = await alice.send("[C]")  # the question's buttons are still on screen above the feedback
    verdict = "✅ correct" if question.answer == "B" else "❌ not quite"
    assert f"You already answered this one: **B**, {verdict}. Only your first answer counts." in again.text
