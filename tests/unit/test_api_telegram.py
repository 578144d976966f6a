"""Telegram Mini App init data: the hash computed as Telegram's documentation spells it out
(independently of ``slotwise.api.telegram``), and every way init data can fail to prove a user."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlencode

import pytest

from slotwise.api.telegram import (
    MAX_FUTURE_SKEW_SECONDS,
    InitDataError,
    data_check_string,
    sign_init_data,
    validate_init_data,
)

BOT_TOKEN = "123456:unit-test-bot-token"
NOW = 1_800_000_000.0
DAY = 86_400.0


def fields(user_id: int = 42, auth_date: float = NOW) -> dict[str, str]:
    user = json.dumps({"id": user_id, "first_name": "Ann", "language_code": "en"})
    return {"query_id": "AAHdF6IQ", "user": user, "auth_date": str(int(auth_date))}


def telegram_hash(pairs: dict[str, str], bot_token: str) -> str:
    """The documented recipe, written out step by step."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(pairs.items()) if k != "hash")
    secret_key = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret_key, check.encode(), hashlib.sha256).hexdigest()


def validate(init_data: str, token: str = BOT_TOKEN, now: float = NOW) -> int:
    return validate_init_data(init_data, token, now=now, max_age=DAY).id


def test_signed_init_data_carries_the_documented_hash_and_validates() -> None:
    signed = sign_init_data(fields(), BOT_TOKEN)
    received = dict(parse_qsl(signed))
    assert received["hash"] == telegram_hash(fields(), BOT_TOKEN)
    assert data_check_string(received).split("\n") == [
        f"auth_date={int(NOW)}",
        "query_id=AAHdF6IQ",
        f"user={fields()['user']}",
    ]
    assert validate(signed) == 42


def test_init_data_built_by_hand_validates() -> None:
    """What a client (or the README's example) does, without our helpers."""
    pairs = fields(user_id=7)
    init_data = urlencode({**pairs, "hash": telegram_hash(pairs, BOT_TOKEN)})
    assert validate(init_data) == 7


def tampered_user() -> str:
    received = dict(parse_qsl(sign_init_data(fields(), BOT_TOKEN)))
    received["user"] = json.dumps({"id": 43, "first_name": "Ann"})
    return urlencode(received)


@pytest.mark.parametrize(
    ("init_data", "reason"),
    [
        ("", "signature"),
        (urlencode(fields()), "signature"),  # no hash at all
        (sign_init_data(fields(), "654321:another-bot"), "signature"),
        (tampered_user(), "signature"),
        (sign_init_data(fields(), BOT_TOKEN).replace("hash=", "hash=0"), "signature"),
        (sign_init_data(fields(auth_date=NOW - DAY - 1), BOT_TOKEN), "expired"),
        (
            sign_init_data(fields(auth_date=NOW + MAX_FUTURE_SKEW_SECONDS + 1), BOT_TOKEN),
            "future",
        ),
        (sign_init_data({"auth_date": str(int(NOW))}, BOT_TOKEN), "user"),
        (sign_init_data({**fields(), "user": '{"id": "42"}'}, BOT_TOKEN), "user"),
        (sign_init_data({**fields(), "user": "not json"}, BOT_TOKEN), "user"),
        (sign_init_data({**fields(), "auth_date": "-5"}, BOT_TOKEN), "auth_date"),
        (sign_init_data(fields(), BOT_TOKEN) + "&user=x", "repeats"),
        ("a=b&&&", "query string"),
        ("x=" + "a" * 5000, "too long"),
    ],
    ids=[
        "empty",
        "unsigned",
        "other-bot",
        "tampered-user",
        "bad-hash",
        "expired",
        "future",
        "no-user",
        "string-id",
        "user-not-json",
        "negative-date",
        "repeated-key",
        "malformed",
        "too-long",
    ],
)
def test_init_data_that_proves_nothing_is_refused(init_data: str, reason: str) -> None:
    with pytest.raises(InitDataError, match=reason):
        validate(init_data)


def test_age_limit_is_inclusive_and_configurable() -> None:
    old = sign_init_data(fields(auth_date=NOW - DAY), BOT_TOKEN)
    assert validate(old) == 42
    with pytest.raises(InitDataError, match="expired"):
        validate_init_data(old, BOT_TOKEN, now=NOW, max_age=3600)
    slightly_ahead = sign_init_data(fields(auth_date=NOW + 5), BOT_TOKEN)
    assert validate(slightly_ahead) == 42
