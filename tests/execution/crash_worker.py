"""A trading process that dies: runs one execution against a running venue and SIGKILLs itself at a chosen point.

Used by test_resume.py as ``python -m tests.execution.crash_worker`` with ``ARBKIT_CRASH_SPEC`` (JSON: exchange
configs of the venue, journal path, limits, the plan, and ``crash`` = ``<role>:<before|after>``). The back-end
wrapper only decides WHEN the process dies; every order still goes to the real venue through ccxt.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import msgspec

from arbkit.config import ExchangeConfig
from arbkit.exchanges import factory
from arbkit.execution.backend import PrivateBackend
from arbkit.execution.config import parse_execution_config
from arbkit.execution.executor import Executor, MarketContext
from arbkit.execution.journal import Journal
from arbkit.execution.plan import ExecutionPlan
from arbkit.structs import Order, Side, Symbol, SymbolInfo


class Spec(msgspec.Struct):
    configs: dict[str, ExchangeConfig]
    journal: str
    limits: dict[str, Any]
    plan: ExecutionPlan
    market: MarketContext
    crash: str  # e.g. "h1:after" = die right after the first hedge is on the venue


class DyingBackend:
    """A real back-end whose process is killed just before or just after sending one chosen order."""

    def __init__(self, inner: PrivateBackend, crash: str) -> None:
        self.inner = inner
        self.name = inner.name
        self.role, self.when = crash.split(":")

    def _hit(self, client_id: str) -> bool:
        return client_id.endswith(self.role)

    async def place_ioc(
        self, symbol: Symbol, side: Side, quantity: float, price: float, client_id: str, guarded: bool = True
    ) -> Order:
        if self.when == "before" and self._hit(client_id):
            os.kill(os.getpid(), signal.SIGKILL)
        order = await self.inner.place_ioc(symbol, side, quantity, price, client_id, guarded)
        if self.when == "after" and self._hit(client_id):
            os.kill(os.getpid(), signal.SIGKILL)
        return order

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def main() -> None:
    spec = msgspec.json.decode(os.environ["ARBKIT_CRASH_SPEC"], type=Spec)
    privates = {}
    for name, cfg in spec.configs.items():
        privates[name] = await factory.get_composite_implementation(cfg, is_private=True).init()
    backends = {name: DyingBackend(PrivateBackend(p), spec.crash) for name, p in privates.items()}
    executor = Executor(backends, Journal(spec.journal), parse_execution_config(spec.limits))  # type: ignore[arg-type]
    await executor.execute(spec.plan, spec.market)
    raise SystemExit(3)  # reaching here means the crash point was never hit


if __name__ == "__main__":
    _ = SymbolInfo
    asyncio.run(main())
