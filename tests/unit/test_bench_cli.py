"""``python -m bench``'s command line: its options, and ``--only`` refusing unknown keys
before anything is set up (no database, no Redis: the refusal comes first)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from bench.cli import app, parse_only
from bench.scenarios import SCENARIOS

runner = CliRunner()


def test_help_lists_the_options() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for option in ("--quick", "--only", "--database-url", "--redis-url", "--no-redis", "--out"):
        assert option in result.output


def test_only_keeps_known_keys_and_trims_them() -> None:
    assert parse_only(" list_100, zipf ,") == frozenset({"list_100", "zipf"})
    assert parse_only(None) is None
    assert parse_only("") is None


def test_only_refuses_an_unknown_key_naming_the_known_ones() -> None:
    with pytest.raises(typer.BadParameter) as refused:
        parse_only("list_100,nope")
    assert "nope" in str(refused.value)
    assert all(spec.key in str(refused.value) for spec in SCENARIOS)


def test_unknown_only_key_exits_with_a_usage_error() -> None:
    result = runner.invoke(app, ["--only", "nope", "--no-redis"])
    assert result.exit_code == 2
    assert "unknown scenario" in result.output


def test_scenario_keys_are_unique() -> None:
    keys = [spec.key for spec in SCENARIOS]
    assert len(keys) == len(set(keys))
