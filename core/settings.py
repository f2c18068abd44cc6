"""Settings from the environment only: secrets never live in files or code."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DB = "rounds.db"


@dataclass(frozen=True)
class Settings:
    # The database: a SQLite file path (the embedded default), or a URL such as postgresql://user:pass@host/db.
    db_path: str = DEFAULT_DB
    log_level: str = "WARNING"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """DATABASE_URL (PostgreSQL for several processes) wins; else ROUNDS_DB, a SQLite file, else rounds.db."""
        env = os.environ if env is None else env
        database = env.get("DATABASE_URL", "").strip() or env.get("ROUNDS_DB") or DEFAULT_DB
        return cls(db_path=database, log_level=env.get("ROUNDS_LOG_LEVEL", "WARNING"))
