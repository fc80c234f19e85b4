"""Secrets never shown: every credential field (password and uid too) in ccxt's DEBUG request logs, rich
pretty-printing of the config structs, and errors about malformed ``${...}`` patterns."""

from __future__ import annotations

import io
import logging

import ccxt
import pytest
import rich
from rich.console import Console
from rich.pretty import Pretty, pretty_repr

from arbkit.config import parse_config
from arbkit.errors import ConfigurationError
from arbkit.exchanges.ccxt_client import build_client
from arbkit.exchanges.generic import generic_spec
from arbkit.masking import mask

KEY = "okxkey-1234567890abcdef"
SECRET = "okxsecret-0987654321fedcba"
PASSPHRASE = "my-okx-passphrase-42"
UID = "uid-424242424242"
TOKEN = "hdr-token-5555666677778888"

CONFIG = f"""
exchanges:
  okx:
    ccxt_id: okx
    api_key: {KEY}
    secret_key: {SECRET}
    password: {PASSPHRASE}
    uid: {UID}
    base_url: http://127.0.0.1:9
    custom_headers: {{X-Desk-Token: {TOKEN}}}
    secret_fields: [X-Desk-Token]
  binance:
    api_key: {KEY}
    secret_key: {SECRET}
    base_url: https://api.binance.com
"""
SECRETS = (KEY, SECRET, PASSPHRASE, UID, TOKEN)


def _shown(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


async def test_ccxt_debug_request_log_masks_password_and_every_credential(caplog: pytest.LogCaptureFixture) -> None:
    okx = parse_config(CONFIG).get_exchange_config("okx")
    client = build_client(generic_spec(okx), okx, private=True)
    try:
        with caplog.at_level(logging.DEBUG):
            # A signed OKX request carries the passphrase in OK-ACCESS-PASSPHRASE; ccxt logs the headers at DEBUG
            # before it sends them (to a closed loopback port here, so the request itself fails).
            with pytest.raises(ccxt.NetworkError):
                await client.private_get_account_balance()
    finally:
        await client.close()
    assert "OK-ACCESS-PASSPHRASE" in caplog.text  # the request line was logged
    assert _shown(caplog.text) == []
    assert mask(PASSPHRASE) in caplog.text and mask(TOKEN) in caplog.text


def test_rich_pretty_print_and_repr_show_masked_credentials() -> None:
    config = parse_config(CONFIG)
    okx = config.get_exchange_config("okx")
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    console.print(okx)
    console.print(Pretty(config))
    rich.print(okx, file=buffer)
    text = buffer.getvalue() + pretty_repr(okx) + pretty_repr(config) + repr(okx) + str(config)
    assert "api_key" in text and "password" in text  # the fields are there, their values masked
    assert _shown(text) == []
    assert mask(KEY) in text and mask(PASSPHRASE) in text


@pytest.mark.parametrize(
    "value",
    [
        "${BINANCE_SECRET_sk-live-abcdefghijklmnop",  # no closing brace: the rest of the line is the secret
        "${sk live abcdefghijklmnopqrstuv}",  # not a variable name
    ],
)
def test_malformed_pattern_error_masks_what_follows(value: str) -> None:
    text = CONFIG.replace(f"secret_key: {SECRET}\n    password", f"secret_key: '{value}'\n    password")
    with pytest.raises(ConfigurationError) as info:
        parse_config(text)
    message = str(info.value)
    assert message.startswith("exchanges.okx.secret_key: malformed ${...} pattern")
    assert "abcdefghijklmnop" not in message and "\n" not in message
