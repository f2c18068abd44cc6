"""Which question a community gets: no repeat until its (filtered) bank is used up, then a new cycle."""

from __future__ import annotations

from sqlalchemy import text

from core.questions.tags import TagFilter


async def test_no_repeat_until_the_filtered_bank_is_exhausted(services, clock):
    community = await services.communities.get("console:cycle")
    community = await services.communities.update(community, tag_filter=TagFilter(frozenset({"cardiovascular"})))
    pool = {q.id for q in services.bank.available(community.id, community.tag_filter)}
    assert len(pool) >= 3

    seen = []
    for _ in range(len(pool)):
        post, question = await services.qotd.today(community)
        seen.append(question.id)
        clock.advance(days=1)
    assert set(seen) == pool  # every question once, none twice

    post, question = await services.qotd.today(community)
    assert question.id in pool and question.id != seen[-1]  # a new cycle, not yesterday's again


async def test_each_community_draws_from_its_own_filter(services):
    cardio = await services.communities.update(await services.communities.get("console:one"),
                                               tag_filter=TagFilter(frozenset({"cardiovascular"})))
    step2 = await services.communities.update(await services.communities.get("console:two"),
                                              tag_filter=TagFilter(frozenset({"step2ck", "pregnancy"})))
    _, a = await services.qotd.today(cardio)
    _, b = await services.qotd.today(step2)
    assert a.system == "cardiovascular"
    assert (b.step, b.system) == ("step2ck", "pregnancy")


async def test_a_morning_burst_claims_the_day_once(services):
    import asyncio

    community = await services.communities.get("console:burst")
    claims = 0
    posts_store = services.qotd._posts
    claim_day = posts_store.claim_day

    async def counting(*args):
        nonlocal claims
        claims += 1
        return await claim_day(*args)

    posts_store.claim_day = counting
    posts = await asyncio.gather(*(services.qotd.today(community) for _ in range(200)))
    assert claims == 1  # one task claimed; the other 199 waited on it
    assert len({post.id for post, _ in posts}) == 1
    rows = await services.db.fetchall(text("SELECT COUNT(*) AS n FROM daily_posts WHERE community_id = 'console:burst'"))
    assert rows[0]["n"] == 1
