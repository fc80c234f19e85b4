"""Updates per second of ``replay_trade`` on a one-minute, four-venue BTC/USDT recording, imported from generated
Tardis snapshots: 50 updates/s per venue, 20 levels, a random walk with venue offsets within 25 USDT that now
and then open an opportunity.

Baseline measured in the same run: the same updates pushed through the Scanner alone (no trading), so the ratio
is the cost of the simulated clock, the trader, the executor, the journal and the paper fills on top of the scan.

    PYTHONPATH=$PWD python benchmarks/replay_trade.py [--seconds 60] [--rate 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from arbkit.arbitrage.scanner import Scanner
from arbkit.paper.replay_trade import _prepare, replay_trade
from arbkit.paper.sim_market import SimMarket
from arbkit.recording import import_tardis
from arbkit.recording.reader import load_updates

VENUES = ("binance", "gateio", "mexc", "kraken")
CONFIG = """exchanges:
  binance: {base_url: "https://api.binance.com", api_key: "", secret_key: ""}
  gateio: {base_url: "https://api.gateio.ws", api_key: "", secret_key: ""}
  mexc: {base_url: "https://api.mexc.com", api_key: "", secret_key: ""}
  kraken: {base_url: "https://api.kraken.com", api_key: "", secret_key: ""}
arbitrage:
  enabled_exchanges: [binance, gateio, mexc, kraken]
  fee_overrides: {binance: {taker: 0.0002}, gateio: {taker: 0.0002}, mexc: {taker: 0.0002}, kraken: {taker: 0.0002}}
  arbitrage_pairs:
    - {id: btc_usdt, base_asset: BTC, quote_asset: USDT, min_profit_bps: 0.5}
"""


def make_recording(out: Path, seconds: int, rate: int, seed: int = 5) -> Path:
    rng = random.Random(seed)
    step_ms = 1000 // rate
    header = ["exchange", "symbol", "timestamp", "local_timestamp"]
    header += [f"{s}[{i}].{f}" for i in range(20) for s in ("asks", "bids") for f in ("price", "amount")]
    mid = 60000.0
    offsets = dict.fromkeys(VENUES, 0.0)
    lines = {v: [",".join(header)] for v in VENUES}
    for i in range(seconds * rate):
        mid += rng.choice((-1.0, 0.0, 1.0))
        for k, venue in enumerate(VENUES):
            offsets[venue] = max(-25.0, min(25.0, offsets[venue] + rng.gauss(0.0, 2.0)))
            centre = round(mid + offsets[venue], 1)
            cells: list[str] = []
            for lvl in range(20):
                size = round(rng.uniform(0.01, 0.2), 4)
                cells += [f"{centre + 0.5 + lvl:.2f}", str(size), f"{centre - 0.5 - lvl:.2f}", str(size)]
            stamp = (1_700_000_000_000 + i * step_ms + k) * 1000
            lines[venue].append(",".join([venue, "BTCUSDT", str(stamp - 300), str(stamp), *cells]))
    for venue in VENUES:
        path = out.parent / f"{venue}.csv"
        path.write_text("\n".join(lines[venue]) + "\n")
        import_tardis([path], venue, "BTC/USDT", out)
    return out


def scan_only(recording: Path, config: Path) -> float:
    """Seconds to push every update through a Scanner (the baseline)."""
    prepared = _prepare(recording, config, 0, False)
    now = [0]
    market = SimMarket(prepared.updates, lambda: now[0])
    scanner = Scanner(prepared.arbitrage)
    for exchange in market.exchanges.values():
        scanner.attach(exchange)
    started = time.perf_counter()
    for update, at in zip(prepared.updates, prepared.times, strict=True):
        now[0] = at
        market.apply(update)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=int, default=50, help="updates per second per venue")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        recording = make_recording(root / "rec", args.seconds, args.rate)
        config = root / "config.yaml"
        config.write_text(CONFIG)
        n = len(load_updates(recording))
        trade, scan, load, result = [], [], [], None
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = replay_trade(recording, config)
            trade.append(time.perf_counter() - started)
            scan.append(scan_only(recording, config))
            started = time.perf_counter()
            _prepare(recording, config, 0, False)
            load.append(time.perf_counter() - started)
        assert result is not None
        t, s = statistics.median(trade), statistics.median(scan)
        print(f"reading and preparing the recording (inside replay_trade): median {statistics.median(load):.3f} s")
        print(f"recording: {len(VENUES)} venues x {args.seconds} s, {n} updates")
        print(
            f"replay_trade: median {t:.3f} s = {n / t:,.0f} updates/s ({result.executions} executions, "
            f"{result.outcomes}, P&L {result.pnl_quote:.4g})"
        )
        print(f"scanner alone (baseline, same run): median {s:.3f} s = {n / s:,.0f} updates/s")
        print(f"ratio replay_trade / scanner alone: {t / s:.2f}x")


if __name__ == "__main__":
    main()
