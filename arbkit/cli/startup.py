"""Starting a session for ``scan`` and ``record``: with ``--live`` bounded by ``--duration``; when no exchange
starts, one line per exchange saying why (a symbol nobody lists is a usage error, exit 2)."""

from __future__ import annotations

import argparse
import asyncio

from arbkit.config import load_config
from arbkit.errors import ArbkitError, ConfigurationError
from arbkit.runtime.session import Session, connect


def _reason(exchange: str, reason: str) -> str:
    """The reason without a repeated ``exchange:`` prefix, on one line."""
    reason = " ".join(reason.split())
    while reason.lower().startswith(f"{exchange.lower()}: "):
        reason = reason[len(exchange) + 2 :]
    return reason


def startup_failure(session: Session) -> ArbkitError:
    """The error for a session in which no exchange started: one line per exchange with its reason."""
    rows = [(s.exchange, _reason(s.exchange, s.reason or s.state)) for s in session.status()]
    if rows and all(r.startswith("lists none of") for _, r in rows):
        wanted = ",".join(map(str, session.symbols))
        return ConfigurationError(
            f"symbols {wanted}: listed by none of the exchanges ({', '.join(name for name, _ in rows)})"
        )
    lines = [f"  {name}: {reason}" for name, reason in rows] or ["  no exchange is configured"]
    return ArbkitError("no exchange could be started:\n" + "\n".join(lines))


async def start_session(args: argparse.Namespace, name: str) -> Session | None:
    """The running session, or None when ``--duration`` ran out before a live session started."""
    config = load_config(args.config)
    try:  # real hosts may take their time: --duration bounds the start too; the local venue starts in a moment
        session = await asyncio.wait_for(
            connect(config, venue=not args.live, symbols=args.symbols, seed=args.seed, name=name),
            timeout=args.duration if args.live else None,
        )
    except TimeoutError:
        print(f"arbkit {name}: --duration {args.duration:g}s ran out while the exchanges were starting", flush=True)
        return None
    if not session.exchanges:
        error = startup_failure(session)
        await session.stop()
        raise error
    return session
