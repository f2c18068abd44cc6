"""A throwaway PostgreSQL server for tests, benchmarks and CI: `initdb` into a temporary directory, started on a
free loopback port, stopped (and the directory removed) at the end, whatever happened.

`initdb` refuses to run as root, so as root the server's programs run as the `postgres` user through `runuser`; the
directory is made world-readable for that user. A developer with a server of their own sets
`ROUNDS_TEST_DATABASE_URL` instead, and nothing is started.

    python -m testkit.postgres start DIR    # prints the URL of database `rounds` on the new server
    python -m testkit.postgres stop DIR
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import make_url

from testkit.slack_process import free_port

SERVICE_USER = "postgres"
T = TypeVar("T")
SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/opt/postgresql*/bin")


class Unavailable(Exception):
    """No PostgreSQL server programs on this machine: the PostgreSQL half of the suite is skipped, saying why."""


def bin_dir() -> Path:
    """Where initdb and pg_ctl are: on PATH, else the distribution's versioned folder (Debian keeps initdb off PATH)."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    for pattern in SEARCH:
        for found in sorted(glob.glob(pattern), reverse=True):
            if (Path(found) / "initdb").exists():
                return Path(found)
    raise Unavailable("no PostgreSQL server programs found (initdb): install PostgreSQL, or set "
                      "ROUNDS_TEST_DATABASE_URL to a server of your own")


@dataclass
class Cluster:
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SERVICE_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database on this server; returns its URL."""
        self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", SERVICE_USER, "-q", "-v", "ON_ERROR_STOP=1",
                  "-c", f'CREATE DATABASE "{name}"', as_service=False)
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def _run(self, program: str, *args: str, as_service: bool = True, check: bool = True) -> None:
        executable = str(bin_dir() / program) if program != "psql" else (shutil.which("psql") or str(bin_dir() / "psql"))
        command = [executable, *args]
        if as_service and os.geteuid() == 0:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed: {(result.stderr or result.stdout).strip()[:500]}")


def start(directory: Path) -> Cluster:
    """initdb and start a server whose files and socket live in `directory` (made if missing)."""
    bin_dir()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, SERVICE_USER)
    cluster = Cluster(directory, free_port())
    cluster._run("initdb", "-D", str(cluster.data), "-A", "trust", "-U", SERVICE_USER, "-E", "UTF8", "--no-sync")
    options = f"-p {cluster.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    try:
        cluster._run("pg_ctl", "-D", str(cluster.data), "-w", "-l", str(directory / "log"), "-o", options, "start")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    (directory / "port").write_text(str(cluster.port))
    return cluster


class Maintenance:
    """Creates and drops databases on a server through one connection to its maintenance database, on an event loop
    of its own in a background thread: usable from synchronous code (pytest's session fixtures) without touching the
    event loop a test runs in. A clone of a migrated template takes ~80 ms; migrating a blank database ~150 ms."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="postgres-maintenance", daemon=True)
        self._thread.start()
        try:
            self._conn: asyncpg.Connection = self.run(asyncpg.connect(self._dsn(self.url.database or "postgres"),
                                                                       timeout=10))
        except BaseException:
            self._stop_loop()
            raise

    def database_url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, name: str, template: str = "template0") -> str:
        """A new database copied from `template` (template0: blank); returns its URL."""
        self.run(self._conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        return self.database_url(name)

    def drop(self, name: str) -> None:
        self.run(self._conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        try:
            self.run(self._conn.close(timeout=5))
        finally:
            self._stop_loop()

    def _dsn(self, database: str) -> str:
        return self.url.set(drivername="postgresql", database=database).render_as_string(hide_password=False)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


def attach(directory: Path) -> Cluster:
    return Cluster(directory, int((directory / "port").read_text()))


def remove(directory: Path) -> None:
    """Stop the server in `directory` if one runs there, and delete the directory."""
    if (directory / "port").exists():
        attach(directory).stop()
    shutil.rmtree(directory, ignore_errors=True)


def reap_when_gone(owner: int, directory: Path) -> subprocess.Popen[bytes]:
    """A watcher, in a session of its own, that removes the server once process `owner` is gone: the server is
    stopped even when its owner never runs its clean-up (SIGKILL, a CI timeout's SIGTERM)."""
    return subprocess.Popen([sys.executable, "-m", "testkit.postgres", "reap", str(owner), str(directory)],
                            start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[1])


def _reap(owner: int, directory: Path) -> int:
    while True:
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            remove(directory)
            return 0
        except PermissionError:  # alive, as another user
            pass
        time.sleep(1)


def main(argv: list[str]) -> int:
    if argv[:1] == ["reap"] and len(argv) == 3 and argv[1].isdigit():
        return _reap(int(argv[1]), Path(argv[2]))
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m testkit.postgres start|stop DIR", file=sys.stderr)
        return 2
    directory = Path(argv[1])
    if argv[0] == "stop":
        remove(directory)
        return 0
    try:
        print(start(directory).create_database("rounds"))
    except (Unavailable, RuntimeError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
