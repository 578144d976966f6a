"""Strong ETags of rendered bodies and the parsing of If-Match (RFC 9110 strong comparison)."""

from __future__ import annotations

import hashlib

import pytest

from slotwise.api.etag import IfMatch, etag_of, precondition, tagged_response
from slotwise.api.render import city_dict, json_response, render_json, template_dict
from slotwise.api.schemas import CityOut, TemplateOut
from slotwise.domain.models import City, Template

BERLIN = City(id=4, name="Berlin «Mitte»", timezone="Europe/Berlin", active=True)


def test_the_etag_is_a_quoted_hash_of_exactly_the_body_sent() -> None:
    response = tagged_response(city_dict(BERLIN), 201)

    assert response.status_code == 201
    assert response.body == json_response(city_dict(BERLIN)).body
    assert response.headers["etag"] == f'"{hashlib.sha256(response.body).hexdigest()[:32]}"'
    assert response.headers["content-type"] == "application/json"


def test_the_etag_changes_with_anything_the_client_sees() -> None:
    other = City(id=4, name="Berlin «Mitte»", timezone="Europe/Berlin", active=False)

    assert etag_of(render_json(city_dict(BERLIN))) != etag_of(render_json(city_dict(other)))


def test_city_and_template_render_as_their_response_models() -> None:
    template = Template(id=9, city_id=None, key="reminder", text='say "hi" \\ 🙂')

    assert json_response(city_dict(BERLIN)).body == CityOut.of(BERLIN).model_dump_json().encode()
    assert (
        json_response(template_dict(template)).body
        == TemplateOut.of(template).model_dump_json().encode()
    )


@pytest.mark.parametrize(
    ("header", "tags", "any_"),
    [
        ("*", set(), True),
        (" * ", set(), True),
        ('"abc"', {'"abc"'}, False),
        ('"abc", "def"', {'"abc"', '"def"'}, False),
        ('"abc",W/"def"', {'"abc"'}, False),  # weak tags never match strongly
        ('W/"abc"', set(), False),
        ("abc", set(), False),  # unquoted: malformed, matches nothing
        ('"abc" junk', set(), False),
        ("", set(), False),
        ('"a,b"', {'"a,b"'}, False),
    ],
)
def test_if_match_parsing(header: str, tags: set[str], any_: bool) -> None:
    assert IfMatch.parse(header) == IfMatch(any_, frozenset(tags))


def test_no_header_is_no_precondition() -> None:
    assert precondition(None, city_dict) is None


def test_the_precondition_compares_the_entitys_current_etag() -> None:
    current = tagged_response(city_dict(BERLIN)).headers["etag"]

    for header, expected in [
        (current, True),
        (f'"stale", {current}', True),
        ('"stale"', False),
        (f"W/{current}", False),
        ("*", True),
    ]:
        check = precondition(header, city_dict)
        assert check is not None
        assert check(BERLIN) is expected, header
