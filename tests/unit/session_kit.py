"""What the study-session tests share: a community, members, a session made the way `/study new` makes one, and the
duties it planned read back from the database. The clock starts at conftest's START (Tuesday 2026-11-24 10:00 UTC)."""

from __future__ import annotations

from datetime import datetime

from core.bootstrap import Services
from core.clock import FrozenClock, iso
from core.community.members import Member
from core.engine.duties import Duty
from core.sessions.model import Session
from core.sessions.rules import check_draft
from core.sessions.service import occurrence_key, reminder_key

COMMUNITY = "console:default"
OTHER = "console:other"
CHANNEL = "general"
NEW_YORK, BERLIN = "America/New_York", "Europe/Berlin"


def member(name: str) -> Member:
    return Member(f"console:{name}", name.title())


AUTHOR = member("author")


async def new_session(services: Services, clock: FrozenClock, when: str = "2026-11-26 19:00", zone: str = NEW_YORK, *,
                      community: str = COMMUNITY, channel: str | None = CHANNEL, topic: str = "UWorld block 12",
                      **options: object) -> Session:
    """A session as `/study new` makes it: the draft checked at the clock's now, then created."""
    draft = check_draft(topic, when, zone, clock.now(), **options)  # type: ignore[arg-type]
    return await services.sessions.create(community, AUTHOR, channel, draft)


async def pending(services: Services, kind: str, community: str = COMMUNITY) -> list[Duty]:
    return await services.duties.pending(kind, community)


async def pending_keys(services: Services, kind: str, community: str = COMMUNITY) -> set[str]:
    return {d.key for d in await pending(services, kind, community)}


async def due_of(services: Services, kind: str, key: str, community: str = COMMUNITY) -> datetime | None:
    found = [d for d in await pending(services, kind, community) if d.key == key]
    return found[0].due_at if found else None


async def duty(services: Services, kind: str, key: str, community: str = COMMUNITY) -> Duty:
    """The pending duty of `kind` and `key`, as the runner would hand it to its handler."""
    found = [d for d in await pending(services, kind, community) if d.key == key]
    assert found, f"no pending {kind} {key}; pending: {sorted(d.key for d in await pending(services, kind, community))}"
    return found[0]


def okey(session: Session, occurrence: datetime) -> str:
    return occurrence_key(session.id, occurrence)


def rkey(session: Session, occurrence: datetime, who: Member) -> str:
    return reminder_key(session.id, occurrence, who.id)


__all__ = ["AUTHOR", "BERLIN", "CHANNEL", "COMMUNITY", "NEW_YORK", "OTHER", "due_of", "duty", "iso", "member",
           "new_session", "okey", "pending", "pending_keys", "rkey"]
