"""Latency summaries for the stand-ins and the benchmarks: one definition of median and p99 for every figure quoted."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class LatencyStats:
    """Summary of ack latencies in seconds; ``p99`` uses the nearest-rank method (no interpolation)."""

    count: int
    median: float
    p99: float
    max: float

    @classmethod
    def from_samples(cls, samples: Iterable[float]) -> LatencyStats:
        """Summarise samples; raises ValueError on none, because a latency claim needs at least one sample."""
        ordered = sorted(samples)
        if not ordered:
            raise ValueError("no latency samples recorded")
        rank = max(1, math.ceil(0.99 * len(ordered)))
        return cls(len(ordered), statistics.median(ordered), ordered[rank - 1], ordered[-1])

    def describe(self, unit: float = 1000.0, suffix: str = "ms") -> str:
        return f"median {self.median * unit:.1f} {suffix}, p99 {self.p99 * unit:.1f} {suffix}, max {self.max * unit:.1f} {suffix}"
