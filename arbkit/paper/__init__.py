"""Paper trading: a latency-aware, pessimistic fill model behind the execution layer's OrderBackend seam."""

from arbkit.paper.clock import BookView, Clock, WallClock

__all__ = ["BookView", "Clock", "WallClock"]
