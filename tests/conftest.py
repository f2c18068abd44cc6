"""Shared fixtures: a real database per test (a SQLite file, and a PostgreSQL database beside it), a frozen clock,
and console sessions (errbot's testbot idea).

Every test built on `services` (and so on `console`) runs twice, `[sqlite]` and `[postgresql]`. The PostgreSQL half
uses the server ROUNDS_TEST_DATABASE_URL names (as the maintenance database to create test databases on), else a
throwaway server started from the distribution's programs for the session and stopped at its end. With neither, that
half is skipped and says why (`-rs` shows it in the summary); with ROUNDS_REQUIRE_POSTGRES=1 (CI) it fails instead.
Tests that open the SQLite file itself (sqlite3, PRAGMA, a corrupt file) ask for `db_path`, which is SQLite only.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bots.console.session import ConsoleSession
from commands.dispatch import Dispatcher
from commands.notifier import CollectingNotifier
from commands.registry import load_catalog
from commands.runtime import bind_duties
from core.bootstrap import Services, build
from core.clock import FrozenClock, shifted_environment
from core.settings import Settings
from core.storage.database import Database
from testkit.postgres import Maintenance, Unavailable, reap_when_gone, start

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


class PostgresServer:
    """The session's PostgreSQL server. Each test gets a database of its own, cloned from one migrated once per
    session (a clone takes ~80 ms, a migration ~150 ms); on a developer's own server the databases this run made
    are dropped at its end, and on a throwaway one the server goes with them."""

    def __init__(self, maintenance: Maintenance, *, own: bool) -> None:
        self.maintenance = maintenance
        self._own = own
        self._prefix = f"rounds_test_{os.getpid()}"
        self._numbers = itertools.count(1)
        self._made: list[str] = []
        self.template = self._make(f"{self._prefix}_template", "template0")
        maintenance.run(_migrate(maintenance.database_url(self.template)))

    def fresh(self) -> str:
        """The URL of a new database at the last migration, with no rows."""
        return self.maintenance.database_url(self._make(f"{self._prefix}_{next(self._numbers)}", self.template))

    def blank(self) -> str:
        """The URL of a new database with nothing in it, not even the migrations."""
        return self.maintenance.database_url(self._make(f"{self._prefix}_{next(self._numbers)}_blank", "template0"))

    def _make(self, name: str, template: str) -> str:
        self.maintenance.create(name, template)
        self._made.append(name)
        return name

    def close(self) -> None:
        try:
            if self._own:
                for name in reversed(self._made):
                    self.maintenance.drop(name)
        finally:
            self.maintenance.close()


async def _migrate(url: str) -> None:
    await (await Database(url).open()).close()


def _without_postgres(reason: str) -> None:
    message = f"PostgreSQL half not run: {reason}"
    if os.environ.get("ROUNDS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{message} (ROUNDS_REQUIRE_POSTGRES=1 requires it)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """ROUNDS_TEST_DATABASE_URL's server, else a throwaway one, stopped and removed at the end whatever happens: by
    the teardown, else atexit, else (SIGKILL, a CI timeout) by a watcher process that outlives this one."""
    own = os.environ.get("ROUNDS_TEST_DATABASE_URL", "").strip()
    directory: Path | None = None
    cluster = None
    reaper: subprocess.Popen[bytes] | None = None

    def stop() -> None:
        if cluster is not None:
            cluster.stop()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        if reaper is not None:
            reaper.kill()
            reaper.wait()

    maintenance: Maintenance | None = None
    reason = ""
    try:
        if not own:
            directory = Path(tempfile.mkdtemp(prefix="rounds-pg-"))  # not under pytest's 0700 tmp: the server's user reads it
            atexit.register(stop)
            reaper = reap_when_gone(os.getpid(), directory)  # even if this process is killed
            cluster = start(directory)
        maintenance = Maintenance(own or cluster.url())
    except (Unavailable, RuntimeError, OSError, ValueError, asyncpg.PostgresError) as error:  # no server to be had
        stop()
        where = "the server ROUNDS_TEST_DATABASE_URL names" if own else "a throwaway server"
        reason = f"{where}: {str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__}"
    except BaseException:
        stop()
        raise
    if maintenance is None:
        _without_postgres(reason)
        return
    try:  # a template that fails to migrate is a bug in Rounds: an error in every PostgreSQL test, never a skip
        server = PostgresServer(maintenance, own=bool(own))
    except BaseException:
        try:
            maintenance.close()
        finally:
            stop()
        raise
    try:
        yield server
    finally:
        try:
            server.close()
        finally:
            stop()
            atexit.unregister(stop)


@pytest.fixture
def pg_database(postgres_server: PostgresServer) -> str:
    """The URL of a fresh PostgreSQL database of this test's own, migrated and empty."""
    return postgres_server.fresh()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str:
    """What `Settings.db_path` takes: this test's SQLite file, or the URL of its fresh PostgreSQL database."""
    return str(request.getfixturevalue("db_path" if request.param == "sqlite" else "pg_database"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`-m postgresql` runs the PostgreSQL half alone, `-m "not postgresql"` the rest: a test on a database
    parametrized "postgresql" (`database`, or a fixture of its own like it), or asking for the server."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and any(isinstance(value, str) and value == "postgresql"
                                                   for value in callspec.params.values())
        if on_postgres or {"pg_database", "postgres_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture
async def services(database: str, clock: FrozenClock, notifier: CollectingNotifier) -> AsyncIterator[Services]:
    """Services on this test's database (run once on each) whose runner runs the console's duties through
    `notifier` when a test calls `runner.run_due()`; the alarm is not started, so nothing runs behind the test's back."""
    built = await build(Settings(db_path=database), clock=clock)
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
