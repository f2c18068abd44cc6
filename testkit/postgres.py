"""A throwaway PostgreSQL server for tests, benchmarks and CI: `initdb` into a temporary directory, started on a
free loopback port, stopped (and the directory removed) at the end, whatever happened.

`initdb` refuses to run as root, so as root the server's programs run as the `postgres` user through `runuser`; the
directory is made world-readable for that user. A developer with a server of their own sets
`ROUNDS_TEST_DATABASE_URL` instead, and nothing is started.

    python -m testkit.postgres start DIR    # prints the URL of database `rounds` on the new server
    python -m testkit.postgres stop DIR
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from testkit.slack_process import free_port

SERVICE_USER = "postgres"
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


def attach(directory: Path) -> Cluster:
    return Cluster(directory, int((directory / "port").read_text()))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m testkit.postgres start|stop DIR", file=sys.stderr)
        return 2
    directory = Path(argv[1])
    if argv[0] == "stop":
        if (directory / "port").exists():
            attach(directory).stop()
        shutil.rmtree(directory, ignore_errors=True)
        return 0
    try:
        print(start(directory).create_database("rounds"))
    except (Unavailable, RuntimeError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
