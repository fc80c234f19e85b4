"""What ``arbkit scan`` remembers of the opportunity events: counts, the recently closed ones and the best one,
for the screen and the summary printed on exit. Opportunities often live about a second, less than a redraw, so
the screen shows what closed, not only what is open."""

from __future__ import annotations

from collections import deque

from arbkit.arbitrage.lifecycle import EventKind, OpportunityEvent


class Tally:
    """Fed by ``scanner.add_listener(tally.on_event)``."""

    def __init__(self, keep: int = 5) -> None:
        self.opened = 0
        self.closed = 0
        self.recent: deque[OpportunityEvent] = deque(maxlen=keep)
        self.best: OpportunityEvent | None = None
        self.opened_ms: dict[tuple[str, str, str], int] = {}  # open lifecycles: key -> when it opened

    def on_event(self, event: OpportunityEvent) -> None:
        lifecycle = event.lifecycle
        if event.kind == EventKind.OPENED:
            self.opened += 1
            self.opened_ms[lifecycle.key] = lifecycle.opened_ms
        elif event.kind == EventKind.CLOSED:
            self.closed += 1
            self.opened_ms.pop(lifecycle.key, None)
            self.recent.append(event)
            if self.best is None or event.lifecycle.peak_profit > self.best.lifecycle.peak_profit:
                self.best = event

    def summary(self) -> str:
        """How many opportunities opened and closed; on a second line the most profitable one."""
        line = f"opportunities: {self.opened} opened, {self.closed} closed"
        if self.best is not None:
            lc, sym = self.best.lifecycle, self.best.opportunity.symbol
            line += (
                f"\n  best: {sym} buy {lc.buy_exchange} sell {lc.sell_exchange}, peak {lc.peak_profit:,.2f} "
                f"{sym.quote} ({lc.peak_edge_bps:.2f} bps), lasted {lc.duration_ms / 1000:.1f}s"
            )
        return line
