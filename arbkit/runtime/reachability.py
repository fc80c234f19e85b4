"""Before a live session starts its exchanges: resolve every exchange's hosts once, with a short timeout.

Without it an offline machine spends half a minute in ccxt's retries and reports "ExchangeNotAvailable" with the
real cause (DNS) dropped. An exchange whose host does not resolve is reported as "cannot resolve HOST: no network?".
"""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from arbkit.config import ArbkitConfig, ExchangeConfig

RESOLVE_TIMEOUT_S = 3.0


def exchange_hosts(cfg: ExchangeConfig) -> list[str]:
    """The distinct host names of an exchange's REST and websocket URLs (none for a URL without a host)."""
    urls = [cfg.base_url, cfg.websocket_url, cfg.settings.get("private_websocket_url")]
    hosts = [urlsplit(u).hostname for u in urls if isinstance(u, str) and u]
    return list(dict.fromkeys(h for h in hosts if h))


async def _resolve(host: str, timeout: float) -> str | None:
    """None when ``host`` resolves, else why not, in a few words."""
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.getaddrinfo(host, 443, type=socket.SOCK_STREAM), timeout)
    except TimeoutError:
        return f"cannot resolve {host} within {timeout:g}s: no network?"
    except OSError as exc:
        detail = exc.strerror or str(exc) or type(exc).__name__
        return f"cannot resolve {host}: no network? ({detail})"
    return None


async def unresolved_exchanges(config: ArbkitConfig, timeout: float = RESOLVE_TIMEOUT_S) -> dict[str, str]:
    """Exchange name -> reason, for every configured exchange with a host that does not resolve."""
    hosts = {name: exchange_hosts(cfg) for name, cfg in config.exchanges.items()}
    unique = list(dict.fromkeys(h for names in hosts.values() for h in names))
    results = await asyncio.gather(*(_resolve(h, timeout) for h in unique))
    failed = {h: why for h, why in zip(unique, results, strict=True) if why is not None}
    out: dict[str, str] = {}
    for name, names in hosts.items():
        reasons = [failed[h] for h in names if h in failed]
        if reasons:
            out[name] = reasons[0]
    return out
