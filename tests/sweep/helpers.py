"""What the sweep tests share: a small two-venue recording made from vendor snapshot rows, a base config, and small
real cell functions (they read the recording) for the runner's machinery before the paper replay is involved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arbkit.config import ArbkitConfig
from arbkit.execution.config import execution_config
from arbkit.recording import import_tardis, load_updates

T0 = 1_700_000_000_000_000  # us
BASE_CONFIG = """\
exchanges:
  binance:
    api_key: ${BINANCE_API_KEY:}
    secret_key: ${BINANCE_SECRET_KEY:}
    base_url: https://api.binance.com
    websocket_url: wss://stream.binance.com:9443/ws
  gateio:
    api_key: ${GATEIO_API_KEY:}
    secret_key: ${GATEIO_SECRET_KEY:}
    base_url: https://api.gateio.ws
    websocket_url: wss://api.gateio.ws/ws/v4/
arbitrage:
  enabled_exchanges: [binance, gateio]
  fee_overrides:
    binance: {taker: 0.0002}
    gateio: {taker: 0.0002}
  arbitrage_pairs:
    - {id: btc_usdt, base_asset: BTC, quote_asset: USDT, min_profit_bps: 1, max_notional: 20000}
execution:
  max_notional_per_leg: 1000
  leg_timeout_ms: 2000
"""


def write_base(folder: Path, text: str = BASE_CONFIG) -> Path:
    path = folder / "config.yaml"
    path.write_text(text)
    return path


def _snapshot_file(
    path: Path, vendor: str, symbol: str, books: list[tuple[int, float]], levels: int = 5, t0: int = T0
) -> Path:
    cols = [f"{s}[{i}].{f}" for i in range(levels) for s in ("asks", "bids") for f in ("price", "amount")]
    lines = [",".join(["exchange", "symbol", "timestamp", "local_timestamp", *cols])]
    for k, (offset, mid) in enumerate(books):
        cells: list[str] = []
        size = f"{0.5 + 0.001 * k:.3f}"  # every book distinct, so each is one recorded update
        for i in range(levels):
            cells += [f"{mid + 1.0 + i:.2f}", size, f"{mid - 1.0 - i:.2f}", size]
        lines.append(",".join([vendor, symbol, str(t0 + offset - 300), str(t0 + offset), *cells]))
    path.write_text("\n".join(lines) + "\n")
    return path


def make_recording(folder: Path, name: str, rich_bps: float = 60.0, books: int = 30, t0: int = T0) -> Path:
    """binance flat at 60,000 and gateio ``rich_bps`` above it for the middle third: buy binance, sell gateio
    (books 50 ms apart from ``t0``, in us)."""
    out = folder / name
    scratch = folder / f".{name}-csv"
    scratch.mkdir(parents=True)
    flat = [(i * 50_000, 60000.0) for i in range(books)]
    lifted = [
        (i * 50_000 + 25_000, 60000.0 * (1 + rich_bps / 1e4) if books // 3 <= i < 2 * books // 3 else 60000.0)
        for i in range(books)
    ]
    binance = _snapshot_file(scratch / "b.csv", "binance", "BTCUSDT", flat, t0=t0)
    gateio = _snapshot_file(scratch / "g.csv", "gate-io", "BTC_USDT", lifted, t0=t0)
    import_tardis([binance], "binance", "BTC/USDT", out, depth=5)
    import_tardis([gateio], "gateio", "BTC/USDT", out, depth=5)
    return out


def crossings(recording: str, config: ArbkitConfig, *, seed: int = 0) -> dict[str, Any]:
    """A small real cell function: walks the recorded tops and 'trades' each cross above the pair's threshold at
    the config's notional; P&L and equity follow from the recording and the cell's values."""
    pair = config.sections["arbitrage"]["arbitrage_pairs"][0]
    threshold = float(pair["min_profit_bps"])
    notional = execution_config(config).max_notional_per_leg
    best: dict[str, tuple[float, float]] = {}
    equity: list[tuple[int, float]] = []
    pnl, opportunities = 0.0, 0
    for update in load_updates(recording):
        best[update.exchange] = (update.bids[0][0], update.asks[0][0])
        if len(best) < 2:
            continue
        (b_bid, b_ask), (g_bid, g_ask) = best["binance"], best["gateio"]
        edge_bps = max(g_bid / b_ask - 1, b_bid / g_ask - 1) * 1e4 - 4.0  # both 2 bps taker fees
        if edge_bps > threshold:
            opportunities += 1
            pnl += notional * edge_bps / 1e4
            equity.append((update.ts, pnl))
    executions = opportunities
    return {
        "recording": recording,
        "config_hash": "test",
        "updates": len(load_updates(recording)),
        "opportunities": opportunities,
        "executions": executions,
        "outcomes": {"FILLED": executions},
        "refusals": {},
        "fill_ratio": 1.0 if executions else 0.0,
        "pnl_quote": pnl + seed * 0.0,
        "max_drawdown_quote": 0.0,
        "stuck": 0,
        "edge_predicted_quote": pnl,
        "edge_captured_quote": pnl * 0.9,
        "equity": equity,
        "journal_path": None,
    }


def crossings_failing_at_300(recording: str, config: ArbkitConfig, *, seed: int = 0) -> dict[str, Any]:
    """``crossings``, except a leg timeout of 300 ms raises, as a broken cell would."""
    if execution_config(config).leg_timeout_ms == 300:
        raise RuntimeError("leg_timeout_ms=300 is where this cell breaks")
    return crossings(recording, config, seed=seed)
