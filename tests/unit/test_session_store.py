"""Study sessions in the database, on SQLite and PostgreSQL: numbering per community, the duties a new session plans,
RSVPs that exclude each other, the waitlist in the order members pressed, and the last seat decided once however
many members (or processes) press for it at the same moment."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.bootstrap import build
from core.sessions.model import Counts
from core.sessions.service import END, EVENT, POST, REFRESH, REMIND, START, TELL
from core.settings import Settings
from tests.unit.session_kit import AUTHOR, COMMUNITY, OTHER, due_of, member, new_session, okey, pending, pending_keys, rkey

STARTS = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 2026-11-26 19:00 in New York


async def test_numbers_count_up_within_each_community(services, clock):
    first = await new_session(services, clock)
    second = await new_session(services, clock, topic="OET speaking")
    elsewhere = await new_session(services, clock, community=OTHER)
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert len({first.id, second.id, elsewhere.id}) == 3
    assert (await services.sessions.find(COMMUNITY, 2)).topic == "OET speaking"
    assert (await services.sessions.find(OTHER, 1)).id == elsewhere.id


async def test_numbers_stay_unique_when_sessions_are_made_at_once(services, clock):
    made = await asyncio.gather(*[new_session(services, clock, topic=f"block {i}") for i in range(6)])
    assert sorted(s.number for s in made) == [1, 2, 3, 4, 5, 6]


async def test_a_new_session_plans_its_card_event_start_and_end(services, clock):
    session = await new_session(services, clock)
    assert session.start == STARTS and session.next_at == STARTS and session.wall == datetime(2026, 11, 26, 19, 0)
    assert [(d.key, d.due_at) for d in await pending(services, POST)] == [(str(session.id), clock.now())]
    assert [d.due_at for d in await pending(services, EVENT)] == [clock.now()]
    key = okey(session, STARTS)
    assert await due_of(services, START, key) == STARTS
    assert await due_of(services, END, key) == STARTS + timedelta(minutes=60)
    assert (await pending(services, START))[0].payload == {"session": session.id, "occurrence": "2026-11-27T00:00:00.000000+00:00"}
    assert await services.duties.outcome(START, key) == (None, 0, None)  # pending, never tried
    assert await pending(services, REMIND) == []  # nobody is going yet


async def test_going_maybe_and_cant_exclude_each_other_and_the_same_again_withdraws(services, clock):
    session = await new_session(services, clock)
    alice = member("alice")
    _, answered = await services.sessions.answer(COMMUNITY, 1, alice, "going")
    assert (answered.before, answered.after, answered.counts) == (None, "going", Counts(going=1))
    _, answered = await services.sessions.answer(COMMUNITY, 1, alice, "maybe")
    assert (answered.before, answered.after, answered.counts) == ("going", "maybe", Counts(maybe=1))
    _, answered = await services.sessions.answer(COMMUNITY, 1, alice, "cant")
    assert answered.counts == Counts(cant=1)
    _, answered = await services.sessions.answer(COMMUNITY, 1, alice, "cant")
    assert (answered.before, answered.after, answered.counts) == ("cant", None, Counts())
    assert await services.sessions.store.status(session.id, alice.id) is None


async def test_a_press_plans_one_card_refresh_for_its_slot(services, clock):
    await new_session(services, clock)
    for name in ("alice", "bob", "carol"):
        await services.sessions.answer(COMMUNITY, 1, member(name), "going")
    refreshes = await pending(services, REFRESH)
    assert len(refreshes) == 1 and refreshes[0].due_at > clock.now()


async def test_the_third_going_of_two_seats_waits_and_a_seat_given_up_goes_to_the_first_waiting(services, clock):
    session = await new_session(services, clock, capacity=2)
    alice, bob, carol, dave = (member(n) for n in ("alice", "bob", "carol", "dave"))
    for who in (alice, bob, dave, carol):  # dave presses before carol: the waitlist is in pressing order, not by name
        await services.sessions.answer(COMMUNITY, 1, who, "going")
        clock.advance(seconds=1)
    assert await services.sessions.store.members(session.id, "waiting") == [dave.id, carol.id]
    assert await services.sessions.store.counts(session.id) == Counts(going=2, waiting=2)

    _, answered = await services.sessions.answer(COMMUNITY, 1, alice, "going")  # alice withdraws
    assert answered.promoted == dave.id and answered.counts == Counts(going=2, waiting=1)
    assert await services.sessions.store.status(session.id, dave.id) == "going"
    assert rkey(session, STARTS, dave) in await pending_keys(services, REMIND)
    assert rkey(session, STARTS, alice) not in await pending_keys(services, REMIND)
    told = [d.payload for d in await pending(services, TELL)]
    assert [(t["member"], t["what"]) for t in told] == [(dave.id, "seated")]


async def test_a_waiting_member_pressing_going_again_leaves_the_waitlist(services, clock):
    session = await new_session(services, clock, capacity=1)
    await services.sessions.answer(COMMUNITY, 1, member("alice"), "going")
    _, answered = await services.sessions.answer(COMMUNITY, 1, member("bob"), "going")
    assert answered.after == "waiting"
    _, answered = await services.sessions.answer(COMMUNITY, 1, member("bob"), "going")
    assert (answered.before, answered.after, answered.counts) == ("waiting", None, Counts(going=1))
    assert await services.sessions.store.members(session.id, "waiting") == []


async def test_a_going_member_switching_to_maybe_also_frees_the_seat(services, clock):
    session = await new_session(services, clock, capacity=1)
    await services.sessions.answer(COMMUNITY, 1, member("alice"), "going")
    await services.sessions.answer(COMMUNITY, 1, member("bob"), "going")
    _, answered = await services.sessions.answer(COMMUNITY, 1, member("alice"), "maybe")
    assert answered.promoted == member("bob").id and answered.counts == Counts(going=1, maybe=1)
    assert await services.sessions.store.members(session.id, "going") == [member("bob").id]


async def test_a_larger_capacity_seats_the_waiting_in_the_order_they_pressed(services, clock):
    session = await new_session(services, clock, capacity=1)
    names = ("alice", "zed", "bob", "carol")
    for name in names:
        await services.sessions.answer(COMMUNITY, 1, member(name), "going")
        clock.advance(seconds=1)
    saved, seated = await services.sessions.edit(session, capacity=3)
    assert saved.capacity == 3 and seated == [member("zed").id, member("bob").id]
    assert await services.sessions.store.counts(session.id) == Counts(going=3, waiting=1)
    assert {rkey(session, STARTS, member(n)) for n in ("zed", "bob")} <= await pending_keys(services, REMIND)
    assert sorted(d.payload["member"] for d in await pending(services, TELL)) == [member("bob").id, member("zed").id]


async def test_the_last_seat_goes_to_exactly_one_of_many_pressing_at_once(services, clock):
    session = await new_session(services, clock, capacity=1)
    crowd = [member(f"m{i:02d}") for i in range(12)]
    results = await asyncio.gather(*[services.sessions.answer(COMMUNITY, 1, who, "going") for who in crowd])
    afters = [answered.after for _, answered in results]
    assert afters.count("going") == 1 and afters.count("waiting") == 11
    assert await services.sessions.store.counts(session.id) == Counts(going=1, waiting=11)
    winner = crowd[afters.index("going")]
    assert await pending_keys(services, REMIND) == {rkey(session, STARTS, winner)}


async def test_the_last_seat_goes_to_exactly_one_when_two_processes_press_at_once(database, clock):
    first = await build(Settings(db_path=database), clock=clock)
    second = await build(Settings(db_path=database), clock=clock)
    try:
        session = await new_session(first, clock, capacity=1)
        crowd = [member(f"m{i:02d}") for i in range(16)]
        presses = [(first if i % 2 else second).sessions.answer(COMMUNITY, 1, who, "going")
                   for i, who in enumerate(crowd)]
        results = await asyncio.gather(*presses)
        afters = [answered.after for _, answered in results]
        assert afters.count("going") == 1 and afters.count("waiting") == 15
        assert await second.sessions.store.counts(session.id) == Counts(going=1, waiting=15)
        # every press's counts are the ones after it: the waitlist grows by one a press, never by two at once
        assert sorted(answered.counts.waiting for _, answered in results) == list(range(16))
    finally:
        await first.close()
        await second.close()


async def test_withdrawals_racing_new_presses_never_overfill(database, clock):
    first = await build(Settings(db_path=database), clock=clock)
    second = await build(Settings(db_path=database), clock=clock)
    try:
        session = await new_session(first, clock, capacity=2)
        seated = [member("s1"), member("s2")]
        for who in seated:
            await first.sessions.answer(COMMUNITY, 1, who, "going")
        crowd = [member(f"m{i:02d}") for i in range(8)]
        presses = [second.sessions.answer(COMMUNITY, 1, who, "going") for who in crowd]
        presses += [first.sessions.answer(COMMUNITY, 1, who, "going") for who in seated]  # both withdraw
        await asyncio.gather(*presses)
        counts = await first.sessions.store.counts(session.id)
        assert counts == Counts(going=2, waiting=6)
    finally:
        await first.close()
        await second.close()


async def test_counts_of_several_sessions_in_one_read(services, clock):
    one = await new_session(services, clock)
    two = await new_session(services, clock, topic="OET")
    await services.sessions.answer(COMMUNITY, 1, member("alice"), "going")
    await services.sessions.answer(COMMUNITY, 2, member("alice"), "maybe")
    await services.sessions.answer(COMMUNITY, 2, AUTHOR, "cant")
    assert await services.sessions.store.counts_of([one.id, two.id]) == {
        one.id: Counts(going=1), two.id: Counts(maybe=1, cant=1)}
    assert await services.sessions.store.counts_of([]) == {}


async def test_a_permission_is_noticed_once_until_the_notice_fails(services):
    store = services.sessions.store
    assert await store.first_notice(COMMUNITY, "manage_events") is True
    assert await store.first_notice(COMMUNITY, "manage_events") is False
    assert await store.first_notice(OTHER, "manage_events") is True
    await store.notice_failed(COMMUNITY, "manage_events")
    assert await store.first_notice(COMMUNITY, "manage_events") is True



async def test_a_press_decides_on_the_capacity_stored_now_not_the_one_it_read_before(database, clock):
    """One process reads the session (capacity 1) for a press; another raises the capacity to 2 and fills the seats
    from a waitlist that is empty; the press then lands. It must get the free seat, not wait for a withdrawal."""
    first = await build(Settings(db_path=database), clock=clock)
    second = await build(Settings(db_path=database), clock=clock)
    try:
        read = await new_session(first, clock, capacity=1)
        await first.sessions.answer(COMMUNITY, 1, member("alice"), "going")
        await second.sessions.edit(await second.sessions.find(COMMUNITY, 1), capacity=2)
        answered = await first.sessions.store.answer(read, member("bob").id, "going")
        assert answered.after == "going" and answered.counts == Counts(going=2)
        lowered = await first.sessions.store.by_id(read.id)
        assert lowered is not None
        await second.sessions.edit(lowered, capacity=1)
        _, answered = await first.sessions.answer(COMMUNITY, 1, member("alice"), "going")  # a seat given up...
        assert answered.promoted is None  # ...is no free seat while two sit in one
        answered = await first.sessions.store.answer(replace(read, capacity=5), member("carol").id, "going")
        assert answered.after == "waiting"
    finally:
        await first.close()
        await second.close()
