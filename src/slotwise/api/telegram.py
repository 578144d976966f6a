"""Telegram Mini App (Web App) init data: signing and validation, exactly as Telegram specifies.

Why: a bot token alone lets its holder act as any candidate. The Mini App's ``initData`` is
signed by Telegram with a key derived from the bot's token, and names the user who opened it,
so the API can check that the candidate a request acts for is the user Telegram vouched for.

The check (https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
``data_check_string`` = the received ``key=value`` pairs except ``hash``, sorted by key, joined
by ``"\\n"``; ``secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)``; the expected hash is
``hex(HMAC_SHA256(key=secret_key, msg=data_check_string))``, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

#: Longer init data is refused before any parsing (real init data is well under 2 KiB).
MAX_INIT_DATA_LENGTH = 4096
#: How far ``auth_date`` may lie in the future (clock skew between Telegram and us).
MAX_FUTURE_SKEW_SECONDS = 60


class InitDataError(ValueError):
    """Init data that proves nothing: the message says why (safe to show the client)."""


@dataclass(frozen=True, slots=True)
class WebAppUser:
    """The user Telegram vouched for."""

    id: int
    auth_date: int


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: Mapping[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def init_data_hash(fields: Mapping[str, str], bot_token: str) -> str:
    """The hex ``hash`` Telegram puts into init data with these fields."""
    message = data_check_string(fields).encode()
    return hmac.new(_secret_key(bot_token), message, hashlib.sha256).hexdigest()


def sign_init_data(fields: Mapping[str, str], bot_token: str) -> str:
    """Init data as Telegram would send it (what a test or a local Mini App stand-in needs)."""
    return urlencode({**fields, "hash": init_data_hash(fields, bot_token)})


def _fields(init_data: str) -> dict[str, str]:
    if len(init_data) > MAX_INIT_DATA_LENGTH:
        raise InitDataError("init data is too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("init data is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("init data repeats a key")
    return fields


def _user_id(raw: str | None) -> int:
    try:
        user = json.loads(raw) if raw is not None else None
    except ValueError:
        user = None
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InitDataError("init data has no user with an id")
    return user_id


def _auth_date(raw: str | None, now: float, max_age: float) -> int:
    if raw is None or not raw.isdigit() or len(raw) > 12:
        raise InitDataError("init data has no valid auth_date")
    auth_date = int(raw)
    if auth_date > now + MAX_FUTURE_SKEW_SECONDS:
        raise InitDataError("init data auth_date is in the future")
    if now - auth_date > max_age:
        raise InitDataError("init data has expired; reopen the Mini App")
    return auth_date


def validate_init_data(init_data: str, bot_token: str, *, now: float, max_age: float) -> WebAppUser:
    """The user ``init_data`` was signed for, or ``InitDataError`` saying why it proves nothing.

    The signature is checked before anything it covers is trusted.
    """
    fields = _fields(init_data)
    received = fields.get("hash", "")
    expected = init_data_hash(fields, bot_token)
    if not hmac.compare_digest(received.encode("utf-8", "replace"), expected.encode()):
        raise InitDataError("init data signature is invalid")
    auth_date = _auth_date(fields.get("auth_date"), now, max_age)
    return WebAppUser(id=_user_id(fields.get("user")), auth_date=auth_date)
