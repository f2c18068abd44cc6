"""`/resource …`: ask the library in plain words (typos and abbreviations welcome), open an entry, mark it helpful,
and suggest a resource for this community; admins approve or reject suggestions from a queue."""

from __future__ import annotations

from commands.context import Context
from commands.registry import Group, Option, action, command
from commands.replies import Reply, notice
from commands.resources.views import (
    DECIDE_ACTION,
    HELPFUL_ACTION,
    SEARCH_ACTION,
    SHOW_ACTION,
    decided_text,
    entry_reply,
    found_reply,
    queue_reply,
    suggested_text,
)
from core.resources.rules import typed_tags

GROUP = Group("resource", "The IMG pathway library: search it, suggest the community's own resources",
              root_as="search")
QUERY_LIMIT = 300
ENTRY = Option("id", "The entry's id (its Open button carries it)", required=True, max_length=64)


async def _titles(ctx: Context, typed: str) -> list[str]:
    return await ctx.services.resources.complete(ctx.community_id, typed)


@command("resource", "Ask the IMG pathway library: ECFMG, USMLE, ERAS, the Match, visas, USCE…",
         Option("query", "Your question in your own words, like 'how do I get ECFMG certified'", required=True,
                max_length=QUERY_LIMIT, suggest=_titles))
async def search(ctx: Context, query: str) -> Reply:
    return await _search(ctx, query)


@action(SEARCH_ACTION, Option("query", "What to search for", max_length=QUERY_LIMIT))
async def search_again(ctx: Context, query: str) -> Reply:
    return await _search(ctx, query)


async def _search(ctx: Context, query: str) -> Reply:
    found = await ctx.services.resources.search(ctx.community_id, query)
    return found_reply(found, found.hits[0].helpful if found.hits else 0)


@action(SHOW_ACTION, ENTRY)
async def show(ctx: Context, id: str) -> Reply:
    resource = await ctx.services.resources.entry(ctx.community_id, id)
    count, marked = await ctx.services.resources.helpful(ctx.community_id, ctx.member.id, resource.id)
    return entry_reply(resource, count, marked)


@action(HELPFUL_ACTION, ENTRY, Option("mark", "Mark it (yes) or take the mark back (no)", choices=("yes", "no")))
async def helpful(ctx: Context, id: str, mark: str) -> Reply:
    changed, count = await ctx.services.resources.mark_helpful(ctx.community_id, ctx.member.id, id, mark == "yes")
    if mark == "yes":
        said = "👍 Marked helpful" if changed else "👍 You had already marked it helpful"
        return notice(f"{said}: {count} in this community. Helpful entries rank higher in this community's search.")
    return notice("Your helpful mark is taken back." if changed else "You hadn't marked that one helpful.")


@command("resource suggest", "Suggest a resource for this community's library (an admin approves it)",
         Option("title", "What it is, like 'IMG residency survival guide'", required=True, max_length=90),
         Option("link", "Its address (https://…)", required=True, max_length=300),
         Option("note", "Why it helps, in a sentence or two", max_length=500),
         Option("tags", "A few words to find it by, like 'usce observership'", max_length=120),
         form=True)
async def suggest(ctx: Context, title: str, link: str, note: str = "", tags: str = "") -> Reply:
    suggestion = await ctx.services.resources.suggest(ctx.community_id, ctx.member, title, link, note,
                                                      typed_tags(tags))
    return notice(suggested_text(suggestion))


@command("resource queue", "Suggestions waiting for a decision, with Approve and Reject buttons", admin=True)
async def queue(ctx: Context) -> Reply:
    pending = await ctx.services.resources.pending(ctx.community_id)
    waiting = await ctx.services.resources.waiting(ctx.community_id)
    return queue_reply(pending, await ctx.services.people.names([s.author_id for s in pending]), waiting)


@action(DECIDE_ACTION, Option("number", "The suggestion", kind="integer", min_value=1, max_value=10**9),
        Option("verdict", "approve or reject", choices=("approve", "reject")), admin=True)
async def decide(ctx: Context, number: int, verdict: str) -> Reply:
    decided = await ctx.services.resources.decide(ctx.community_id, number, verdict == "approve", ctx.member.id)
    return notice(decided_text(decided))
