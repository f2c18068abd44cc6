"""Hypothesis profiles for the fuzz suite.

- `ci` (the default): a few hundred examples per property, derandomized so every run (and CI) tries the same inputs.
- `full`: 10,000 examples per property, random seeds: `HYPOTHESIS_PROFILE=full pytest tests/fuzz`.
- `dev`: a quick smoke run while editing a property: `HYPOTHESIS_PROFILE=dev pytest tests/fuzz`.

Every property drives a real event loop it owns (see `support.LoopRunner`), so examples are sync functions and the
function-scoped-fixture check does not apply; each test builds its services once and reuses them for all examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
            HealthCheck.large_base_example]

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=_SLOW_OK)
settings.register_profile("full", max_examples=10_000, deadline=None, database=None, print_blob=True,
                          suppress_health_check=_SLOW_OK)
settings.register_profile("dev", max_examples=25, deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=_SLOW_OK)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
