"""Settings from the environment only: secrets never live in files or code."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from core.clock import Clock, clock_for


@dataclass(frozen=True)
class Settings:
    db_path: str = "rounds.db"
    log_level: str = "WARNING"
    clock_start: str | None = None  # ROUNDS_CLOCK_START: run as if it were this instant (demos, process tests)
    clock_epoch: str | None = None  # ROUNDS_CLOCK_EPOCH: the wall-clock instant at which it was that instant

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(db_path=env.get("ROUNDS_DB") or "rounds.db", log_level=env.get("ROUNDS_LOG_LEVEL", "WARNING"),
                   clock_start=env.get("ROUNDS_CLOCK_START") or None, clock_epoch=env.get("ROUNDS_CLOCK_EPOCH") or None)

    def clock(self) -> Clock:
        """The wall clock, or the shifted one ROUNDS_CLOCK_START asks for."""
        return clock_for(self.clock_start, self.clock_epoch)
