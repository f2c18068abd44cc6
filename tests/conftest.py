"""Shared fixtures: a real SQLite file per test, a frozen clock, and console sessions (errbot's testbot idea)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bots.console.session import ConsoleSession
from commands.dispatch import Dispatcher
from commands.notifier import CollectingNotifier
from commands.registry import load_catalog
from commands.runtime import bind_duties
from core.bootstrap import Services, build
from core.clock import FrozenClock, shifted_environment
from core.settings import Settings

# 10:00 UTC on a Tuesday: after the default 09:00 UTC post, before its 21:00 reveal.
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

# Every `rounds` process a test starts (and any service built from the environment) runs on one shared timeline
# that starts there too, never on today's date.
if "ROUNDS_CLOCK_START" not in os.environ:
    os.environ.update(shifted_environment(START))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def notifier() -> CollectingNotifier:
    return CollectingNotifier()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "rounds.db")


@pytest.fixture
async def services(db_path: str, clock: FrozenClock, notifier: CollectingNotifier) -> AsyncIterator[Services]:
    """Services whose runner runs the console's duties through `notifier` when a test calls `runner.run_due()`;
    the alarm is not started, so nothing runs behind the test's back."""
    built = await build(Settings(db_path=db_path), clock=clock)
    built.runner.serve(*bind_duties(built, [notifier]))
    yield built
    await built.close()


@pytest.fixture
def dispatcher() -> Dispatcher:
    return Dispatcher(load_catalog())


@pytest.fixture
def console(services: Services, dispatcher: Dispatcher) -> Callable[..., ConsoleSession]:
    """console('alice', admin=True) → a session for that person in the default community."""
    def make(user: str = "alice", admin: bool = False, community: str = "default") -> ConsoleSession:
        return ConsoleSession(services, dispatcher, user=user, community=community, admin=admin)
    return make
