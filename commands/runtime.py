"""Binding the declared duties to a running process: each duty kind gets a handler that renders through the
commands layer and delivers with the notifier of the duty's platform. Adapters call `start_duties` once they can
deliver; the runner then claims only the duties of the platforms these notifiers serve."""

from __future__ import annotations

from collections.abc import Sequence

from commands.context import DutyContext
from commands.notifier import Notifier
from commands.registry import Catalog, DutySpec, load_catalog
from core.bootstrap import Services
from core.engine.duties import Duty
from core.engine.runner import DutyHandler


async def start_duties(services: Services, notifiers: Sequence[Notifier], catalog: Catalog | None = None, *,
                       catch_up: bool = True) -> None:
    """`catch_up=False` for the bots: overdue duties run in the background instead of holding up the start."""
    await services.start_duties(*bind_duties(services, notifiers, catalog), catch_up=catch_up)


def bind_duties(services: Services, notifiers: Sequence[Notifier],
                catalog: Catalog | None = None) -> tuple[dict[str, DutyHandler], frozenset[str]]:
    """Every declared duty's handler, and the platforms they may run for."""
    by_platform = {notifier.platform: notifier for notifier in notifiers}
    specs = (catalog or load_catalog()).duties.values()
    return {spec.name: _bound(spec, services, by_platform) for spec in specs}, frozenset(by_platform)


def _bound(spec: DutySpec, services: Services, notifiers: dict[str, Notifier]) -> DutyHandler:
    async def run(due: Duty) -> str | None:
        return await spec.handler(DutyContext(services, notifiers[due.platform]), due)
    return run
