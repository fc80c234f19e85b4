"""Small recordings for the replay-trade tests, written as Tardis ``book_snapshot_25`` CSV and imported with
arbkit's own importer: every book is chosen here, so each test knows the market it trades."""

from __future__ import annotations

from pathlib import Path

from arbkit.config import ArbkitConfig, parse_config
from arbkit.recording import import_tardis

T0_US = 1_700_000_000_000_000
Levels = list[tuple[float, float]]
Book = tuple[int, Levels, Levels]  # (ms after T0, bids best first, asks best first)
EXCHANGES = ("binance", "gateio")


def ladder(best: float, side: int, sizes: tuple[float, ...] = (0.02, 0.03, 0.05, 0.08, 0.1)) -> Levels:
    """Levels from ``best`` outward 1 USDT apart (``side`` -1 for bids, +1 for asks)."""
    return [(round(best + side * k, 2), size) for k, size in enumerate(sizes)]


def quote(at_ms: int, mid: float, half_spread: float = 0.5, sizes: tuple[float, ...] | None = None) -> Book:
    """A book around ``mid``."""
    if sizes is None:
        return at_ms, ladder(mid - half_spread, -1), ladder(mid + half_spread, 1)
    return at_ms, ladder(mid - half_spread, -1, sizes), ladder(mid + half_spread, 1, sizes)


def write_recording(out: Path, books: dict[str, list[Book]]) -> Path:
    """Import one BTC/USDT snapshot file per exchange into the recording ``out``."""
    for exchange, rows in books.items():
        header = ["exchange", "symbol", "timestamp", "local_timestamp"]
        header += [f"{s}[{i}].{f}" for i in range(25) for s in ("asks", "bids") for f in ("price", "amount")]
        lines = [",".join(header)]
        for at_ms, bids, asks in rows:
            cells: list[str] = []
            for i in range(25):
                for side in (asks, bids):
                    cells += [str(side[i][0]), str(side[i][1])] if i < len(side) else ["", ""]
            stamp = T0_US + at_ms * 1000
            lines.append(",".join([exchange, "BTCUSDT", str(stamp - 200), str(stamp), *cells]))
        path = out.parent / f"{out.name}-{exchange}.csv"
        path.write_text("\n".join(lines) + "\n")
        import_tardis([path], exchange, "BTC/USDT", out)
    return out


def dislocations(out: Path, seconds: int = 4, every_ms: int = 20) -> Path:
    """binance steady near 60000 with small moves; gateio 40 bps rich for 0.3 s of every second, sizes varying."""
    books: dict[str, list[Book]] = {name: [] for name in EXCHANGES}
    for i in range(seconds * 1000 // every_ms):
        at = i * every_ms
        drift = ((i * 7) % 11 - 5) * 0.5
        sizes = tuple(round(s * (1 + (i % 3) * 0.5), 4) for s in (0.02, 0.03, 0.05, 0.08, 0.1))
        books["binance"].append(quote(at, 60000.0 + drift))
        rich = 240.0 if (at % 1000) < 300 else 0.0
        books["gateio"].append(quote(at + 7, 60000.0 + drift + rich, sizes=sizes))
    return write_recording(out, books)


def config_text(latency: str = "", execution: str = "") -> str:
    """binance + gateio at their listed taker fees (10 and 20 bps), one BTC/USDT pair at 0.5 bps; ``latency`` and
    ``execution`` are extra YAML lines of the ``paper.latency_ms`` and ``execution`` sections."""
    text = """exchanges:
  binance: {base_url: "https://api.binance.com", api_key: "", secret_key: ""}
  gateio: {base_url: "https://api.gateio.ws", api_key: "", secret_key: ""}
arbitrage:
  enabled_exchanges: [binance, gateio]
  arbitrage_pairs:
    - {id: btc_usdt, base_asset: BTC, quote_asset: USDT, min_profit_bps: 0.5}
execution:
  cooldown_ms: 200
"""
    text += "".join(f"  {line}\n" for line in execution.splitlines() if line)
    if latency:
        text += "paper:\n  latency_ms:\n" + "".join(f"    {line}\n" for line in latency.splitlines() if line)
    return text


def config(latency: str = "", execution: str = "") -> ArbkitConfig:
    return parse_config(config_text(latency, execution), env={})


def moved_book(out: Path) -> Path:
    """One dislocation whose depth vanishes 10 ms later: gateio bids 40 bps rich at 100 ms; at 110 ms only 0.005
    BTC of the best rich bid is left and the next bid is 100 bps lower; from 300 ms gateio is back to normal."""
    books: dict[str, list[Book]] = {"binance": [quote(at, 60000.0) for at in range(0, 600, 20)], "gateio": []}
    gate = books["gateio"]
    gate.append(quote(7, 60000.0))
    gate.append(quote(100, 60240.0))
    gate.append((110, [(60239.5, 0.005), (59640.0, 0.5)], [(60240.5, 0.005), (60300.0, 0.5)]))
    gate += [quote(at, 60000.0) for at in range(300, 600, 20)]
    return write_recording(out, books)
