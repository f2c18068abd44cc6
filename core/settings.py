"""Settings from the environment only: secrets never live in files or code."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from core.clock import Clock, clock_for

DEFAULT_DB = "rounds.db"


@dataclass(frozen=True)
class Settings:
    # The database: a SQLite file path (the embedded default), or a URL such as postgresql://user:pass@host/db.
    db_path: str = DEFAULT_DB
    log_level: str = "WARNING"
    clock_start: str | None = None  # ROUNDS_CLOCK_START: run as if it were this instant (demos, process tests)
    clock_epoch: str | None = None  # ROUNDS_CLOCK_EPOCH: the wall-clock instant at which it was that instant

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """DATABASE_URL (PostgreSQL for several processes) wins; else ROUNDS_DB, a SQLite file, else rounds.db."""
        env = os.environ if env is None else env
        database = env.get("DATABASE_URL", "").strip() or env.get("ROUNDS_DB") or DEFAULT_DB
        return cls(db_path=database, log_level=env.get("ROUNDS_LOG_LEVEL", "WARNING"),
                   clock_start=env.get("ROUNDS_CLOCK_START") or None, clock_epoch=env.get("ROUNDS_CLOCK_EPOCH") or None)

    def clock(self) -> Clock:
        """The wall clock, or the shifted one ROUNDS_CLOCK_START asks for."""
        return clock_for(self.clock_start, self.clock_epoch)
