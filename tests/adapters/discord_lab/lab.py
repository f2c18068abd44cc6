"""`/flashcards` (every option kind) and the `/lab` group: echo, an oversized reply, a slow public reply."""

from __future__ import annotations

import asyncio

from commands.context import Context
from commands.registry import Group, Option, command
from commands.replies import Button, Card, Field, Reply, notice

GROUP = Group("lab", "Test-only lab commands")
TOPICS = ["cardiology", "cardiac arrest", "nephrology", "neurology"]
SLOW_SECONDS = 0.5  # tests shorten or lengthen this


async def _topics(ctx: Context, typed: str) -> list[str]:
    return [t for t in TOPICS if typed.lower() in t]


@command("flashcards", "Drill flashcards (test-only declaration)",
         Option("count", "How many cards", kind="integer", required=True, min_value=1, max_value=10),
         Option("deck", "Which deck", choices=("step1", "step2ck", "step3")),
         Option("topic", "A topic", max_length=40, suggest=_topics),
         Option("weight", "How hard", kind="number", min_value=0, max_value=1),
         Option("shuffle", "Shuffle the cards", kind="boolean"),
         Option("post-in", "Where to post", kind="channel"),
         Option("for-role", "Who it is for", kind="role"))
async def flashcards(ctx: Context, count: int, deck: str | None = None, topic: str | None = None,
                     weight: float | None = None, shuffle: bool = False, **rest: str) -> Reply:
    where, role = rest.get("post-in"), rest.get("for-role")
    return notice(f"count={count!r} deck={deck!r} topic={topic!r} weight={weight!r} shuffle={shuffle!r} "
                  f"post-in={where!r} for-role={role!r} admin={ctx.is_admin!r} roles={list(ctx.roles)!r}")


@command("lab echo", "Say something back to everyone", Option("text", "What to say", required=True, max_length=500))
async def echo(ctx: Context, text: str) -> Reply:
    return Reply(text=f"{ctx.member.display} said: {text}")


@command("lab big", "A reply far over every Discord limit")
async def big(ctx: Context) -> Reply:
    fields = tuple(Field(f"Field {i} " + "n" * 300, "v" * 1100, inline=False) for i in range(30))
    cards = tuple(Card(title="T" * 300, body="b" * 5000, fields=fields, footer="f" * 3000, accent="#27ae60") for _ in range(12))
    buttons = tuple(Button(f"Button {i} " + "x" * 90, "lab.press", (str(i),)) for i in range(30))
    return Reply(text="t" * 2500, cards=cards, buttons=buttons, private=True)


@command("lab slow", "A public reply that takes a while")
async def slow(ctx: Context) -> Reply:
    await asyncio.sleep(SLOW_SECONDS)
    return Reply(text="Posted for everyone after a slow start")


SPECIALTIES = tuple(f"specialty-{i:02d}" for i in range(30))


@command("lab pick", "Pick from more choices than Discord can list",
         Option("specialty", "One of thirty", required=True, choices=SPECIALTIES))
async def pick(ctx: Context, specialty: str) -> Reply:
    return notice(f"picked {specialty}")
