"""The PostgreSQL server a benchmark measures: the one given (--url, ROUNDS_TEST_DATABASE_URL, DATABASE_URL), else a
throwaway one started from this machine's PostgreSQL programs and removed at the end; and a scratch database of the
run's own on it, so nothing is written to the database a URL names."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
from sqlalchemy import URL, make_url

from core.storage.database import StorageError, database_url
from testkit import postgres


def exit_with(run: Coroutine[Any, Any, int]) -> NoReturn:
    """Run a benchmark to its exit code; a server that cannot be used, or a bad URL, is one line and exit 2."""
    try:
        raise SystemExit(asyncio.run(run))
    except (StorageError, Unreachable) as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None


class Unreachable(Exception):
    """The PostgreSQL server cannot be used: the one line to print."""


@dataclass(frozen=True)
class Server:
    url: URL | None  # None: PostgreSQL is not measured (`note` says why)
    origin: str  # where it came from, for the figures' heading
    note: str = ""


def given_server(url: str | None) -> URL | None:
    """--url, else ROUNDS_TEST_DATABASE_URL, else DATABASE_URL when that is a PostgreSQL URL; None: none given."""
    for given, named in ((url, "--url"), (os.environ.get("ROUNDS_TEST_DATABASE_URL", "").strip(), ""),
                         (os.environ.get("DATABASE_URL", "").strip(), "")):
        if not given:
            continue
        try:
            parsed: URL | None = database_url(given)
        except StorageError:
            parsed = None
        if parsed is not None and parsed.get_backend_name() == "postgresql":
            return parsed.set(drivername="postgresql")
        if named:
            raise StorageError("--url must be a PostgreSQL URL: postgresql://USER:PASSWORD@HOST:PORT/DATABASE")
    return None


@contextmanager
def measured_server(url: str | None, database: str, throwaway_origin: str = "a throwaway server") -> Iterator[Server]:
    """The server to measure when `database` ('sqlite', 'postgresql' or 'both') asks for one."""
    server = given_server(url)
    if server is not None or database == "sqlite":
        yield Server(server, "the server given")
        return
    directory = Path(tempfile.mkdtemp(prefix="rounds-bench-pg-"))
    try:
        try:
            postgres.bin_dir()
            started = postgres.start(directory)
        except (postgres.Unavailable, RuntimeError) as error:
            yield Server(None, "", f"PostgreSQL not measured: {error}. Give --url or DATABASE_URL to measure it.")
            return
        yield Server(make_url(started.url("postgres")), throwaway_origin)
    finally:
        postgres.remove(directory)


@asynccontextmanager
async def scratch_database(server: URL) -> AsyncIterator[URL]:
    """A database of its own on the server for this run, dropped at the end whatever happened."""
    name = f"rounds_bench_{uuid.uuid4().hex[:10]}"
    try:
        maintenance = await asyncio.to_thread(postgres.Maintenance, server.render_as_string(hide_password=False))
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise Unreachable(f"the PostgreSQL server at {server.render_as_string(hide_password=True)} cannot be used: "
                          f"{str(error).strip() or type(error).__name__}") from None
    try:
        await asyncio.to_thread(maintenance.create, name)
        yield server.set(database=name)
    finally:
        await asyncio.to_thread(maintenance.drop, name)
        await asyncio.to_thread(maintenance.close)
