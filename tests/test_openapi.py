"""Cross-decoding: answers generated from the API's own OpenAPI schemas all decode, and write back unchanged.

The strategy is built from the schema file (tests/data), not from our models:
every optional field present or not, every enum value, nulls where nullable,
date-times with 0 to 9 fractional digits and any offset, integers sent as
integer-valued floats, and keys and enum values this version does not know.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import OPENAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gr4vy_fn as g
from gr4vy_fn import operations as ops

SPEC: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
UNKNOWN = "a-value-from-a-newer-api"
_ALPHABET = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a `$ref` into the components."""
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def date_times() -> st.SearchStrategy[str]:
    """RFC 3339 date-times: 0 to 9 fractional digits, Z or an offset."""
    return st.builds(
        lambda moment, digits, fraction, zone: (
            moment.isoformat(timespec="seconds") + (f".{fraction:09d}"[: digits + 1] if digits else "") + zone
        ),
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
        st.integers(0, 9),
        st.integers(0, 999_999_999),
        st.sampled_from(["Z", "+00:00", "-05:30", "+14:00", "-23:59"]),
    )


def integers(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    low = int(schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1))
    high = int(schema.get("maximum", 2**31))
    # JSON Schema 2020-12: 1299.0 is an integer too.
    return st.integers(low, high) | st.integers(low, high).map(float)


def strings(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") == "date-time":
        return date_times()
    if schema.get("format") == "date":
        return st.dates().map(lambda day: day.isoformat())
    if schema.get("format") == "uuid":
        return st.uuids().map(str)
    low, high = schema.get("minLength", 0), schema.get("maxLength", 30)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda text: low <= len(text) <= high)
    return st.text(_ALPHABET, min_size=low, max_size=min(high, 30))


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema allows, with unknown keys and enum values the API may add."""
    schema = resolve(schema)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return st.one_of([from_schema(option) for option in options])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from([*schema["enum"], UNKNOWN])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return integers(schema)
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False)
    if kind == "string":
        return strings(schema)
    if kind == "array":
        return st.lists(from_schema(schema["items"]), max_size=2)
    if "properties" in schema:
        properties = schema["properties"]
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {name: from_schema(properties[name]) for name in required},
            optional={
                **{name: from_schema(spec) for name, spec in properties.items() if name not in required},
                "x_added_later": st.integers(),
            },
        )
    if schema.get("type") == "object":
        return st.dictionaries(
            st.text(_ALPHABET, max_size=5), from_schema(schema["additionalProperties"]), max_size=3
        )
    raise AssertionError(schema)  # pragma: no cover - a schema shape this strategy does not know


def instant(text: str) -> datetime:
    """An RFC 3339 date-time as Python holds it, read without the package's parser."""
    match = re.fullmatch(r"(.{19})(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    assert match is not None
    head, fraction, zone = match.groups()
    moment = datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(
        microsecond=int((fraction or "0")[:6].ljust(6, "0"))
    )
    if zone == "Z":
        return moment.replace(tzinfo=timezone.utc)
    sign = -1 if zone[0] == "-" else 1
    return moment.replace(tzinfo=timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))))


def wire(schema: dict[str, Any], value: Any) -> Any:
    """The shape the model keeps: no nulls, no unknown keys, no constant tags; instants, ints."""
    schema = resolve(schema)
    if value is None:
        return None
    if "anyOf" in schema:
        options = [resolve(option) for option in schema["anyOf"] if resolve(option).get("type") != "null"]
        return wire(options[0], value)
    if "properties" in schema:
        kept = {}
        for name, item in value.items():
            spec = schema["properties"].get(name)
            if spec is None or "const" in spec:  # a tag written by the class, or left out
                continue
            kept_item = wire(spec, item)
            if kept_item is not None:
                kept[name] = kept_item
        return kept
    if schema.get("type") == "array":
        return [wire(schema["items"], item) for item in value]
    if schema.get("format") == "date-time":
        return instant(value)
    if schema.get("type") == "integer":
        return int(value)
    return value


SESSION = SCHEMAS["CheckoutSession"]


# Four answers per example, 250 examples: 1,000 answers, each drawn on its own, for a quarter of
# hypothesis's cost per example (a failing answer still shrinks; the other three shrink to minimal ones).
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=st.lists(
        st.tuples(from_schema(SESSION), st.sampled_from(["new", "get", "update"])), min_size=4, max_size=4
    )
)
def test_every_session_the_schema_allows_decodes(answers: list[tuple[dict[str, Any], str]]) -> None:
    """No answer the schema allows is refused, and to_dict of the model gives back what it keeps."""
    for body, operation in answers:
        request = {
            "new": ops.new_checkout_session(),
            "get": ops.get_checkout_session(body["id"]),
            "update": ops.update_checkout_session(body["id"], g.CheckoutSessionCreateRequest()),
        }[operation]
        response = g.HttpResponse(status=request.success_status, headers={}, body=json.dumps(body).encode())
        session = g.decode(request, response)
        assert isinstance(session, g.CheckoutSession), session
        assert wire(SESSION, g.to_dict(session)) == wire(SESSION, body)


@pytest.mark.parametrize("name", ["CheckoutSession", "CartItem", "AirlinePassenger", "Airline", "GuestBuyer"])
def test_the_models_have_every_field_of_the_schema(name: str) -> None:
    """Every property the schema declares is a field of the model of the same name."""
    model = getattr(g, name)
    assert set(SCHEMAS[name]["properties"]) <= {field.name for field in model.__attrs_attrs__}
