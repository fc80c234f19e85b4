"""Kraken authentication: the REST ``API-Sign`` (computed exactly as Kraken does), the per-key nonce window, and the
tokens ``GetWebSocketsToken`` issues for the private websocket."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import deque

from arbkit.venue.protocols.kraken_payloads import KrakenError

__all__ = ["NONCE_WINDOW", "NonceWindow", "WsTokens", "rest_signature"]

NONCE_WINDOW = 10_000  # a nonce may trail the highest seen by this much (Kraken's "nonce window"), never repeat


def rest_signature(secret_b64: str, path: str, nonce: str, body: bytes) -> str:
    """API-Sign: base64(HMAC-SHA512(base64-decoded secret, path + SHA256(nonce + POST body)))."""
    digest = hashlib.sha256(nonce.encode() + body).digest()
    mac = hmac.new(base64.b64decode(secret_b64), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


class NonceWindow:
    """Per api key: refuses a nonce that repeats or trails the highest seen by ``NONCE_WINDOW`` or more."""

    def __init__(self) -> None:
        self._nonces: dict[str, tuple[int, deque[int]]] = {}

    def check(self, key: str, raw: str) -> None:
        """Accept and remember ``raw`` for ``key``; KrakenError("EAPI:Invalid nonce") otherwise."""
        if not raw.isdigit():
            raise KrakenError("EAPI:Invalid nonce")
        nonce = int(raw)
        highest, recent = self._nonces.get(key, (0, deque(maxlen=2048)))
        if nonce <= highest - NONCE_WINDOW or nonce in recent:
            raise KrakenError("EAPI:Invalid nonce")
        recent.append(nonce)
        self._nonces[key] = (max(highest, nonce), recent)


class WsTokens:
    """Websocket tokens handed out over REST, each naming the api key the private websocket then acts for."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}

    def issue(self, api_key: str) -> str:
        token = base64.b64encode(secrets.token_bytes(32)).decode()
        self._tokens[token] = api_key
        return token

    def owner(self, token: str) -> str | None:
        """The api key of a token, or None if the venue never issued it."""
        return self._tokens.get(token)
