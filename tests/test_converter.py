"""The converter: cattrs reads and writes every model, its hooks made once per process, on first use."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from cattrs import Converter
from conftest import SAMPLES
from fresh_python import FreshPython
from pytest_mock import MockerFixture

import gr4vy_fn as g
from gr4vy_fn import operations
from gr4vy_fn.answer import _converter, _readers

# In a fresh process (a test run has made most hooks already), count the readers and cattrs
# unstructure functions made by a first and a second round of the same calls.
HOOKS_MADE = """
import json, sys
import gr4vy_fn as g
from gr4vy_fn import operations
from gr4vy_fn.answer import _converter
from gr4vy_fn.answer import _readers

import linecache
made = []
make_writer = _converter.make_dict_unstructure_fn_from_attrs

def writer(fields, cls, *args, **kwargs):
    made.append(cls.__name__)
    return make_writer(fields, cls, *args, **kwargs)

_converter.make_dict_unstructure_fn_from_attrs = writer

def readers():  # each reader written registers its source under a name of its own
    return {name for name in linecache.cache if name.startswith("<gr4vy_fn structure")}

body = open(sys.argv[1], "rb").read()
request = operations.get_checkout_session(json.loads(body)["id"])
answer = g.HttpResponse(status=200, headers={}, body=body)

def calls():
    session = g.decode(request, answer)
    assert isinstance(session, g.CheckoutSession), session
    g.to_dict(session)
    item = g.CartItem(name="Mug", quantity=1, unit_amount=900, categories=["kitchen"])
    operations.new_checkout_session(g.CheckoutSessionCreateRequest(cart_items=[item], metadata={"a": "b"}))

rounds = []
for _ in range(2):
    made.clear()
    before = readers()
    calls()
    rounds.append(list(made) + sorted(readers() - before))
print(json.dumps(rounds))
"""


SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"
HOOKS_RUN = FreshPython("-c", HOOKS_MADE, str(SAMPLES / "session_201.json"))


@pytest.mark.fresh_python(HOOKS_RUN)
def test_the_second_decode_and_create_body_make_no_hook() -> None:
    """Decoding a session and writing a create body make their hooks on the first call only."""
    first, second = json.loads(HOOKS_RUN.output())
    assert {"CheckoutSession", "CheckoutSessionCreateRequest", "CartItem"} <= set(first)
    assert "<gr4vy_fn structure CheckoutSession>" in first  # the reader, seen by the count
    assert second == []


def test_an_answer_and_a_dict_are_read_by_the_cattrs_converter(mocker: MockerFixture) -> None:
    """decode and from_dict both go through the one cattrs Converter's structure."""
    structure = mocker.spy(Converter, "structure")
    body = (SAMPLES / "session_201.json").read_bytes()
    session = g.decode(operations.get_checkout_session(json.loads(body)["id"]), g.HttpResponse(200, {}, body))
    assert isinstance(session, g.CheckoutSession)
    item = g.from_dict(g.CartItem, {"name": "Mug", "quantity": 1, "unit_amount": 900})
    assert item == g.CartItem(name="Mug", quantity=1, unit_amount=900)
    assert [call.args[2] for call in structure.call_args_list] == [
        g.CheckoutSession,
        _readers.Strict[g.CartItem],
    ]


def test_every_reading_rule_is_a_hook_of_the_converter() -> None:
    """Asked for a scalar type, the converter applies the rule a model's field gets."""
    structure: Any = _converter.converter.structure  # asked for unions too, which its types do not say
    assert structure(1299.0, int) == 1299
    assert structure("2026-11-26T19:04:05.1234567Z", datetime) == datetime(
        2026, 11, 26, 19, 4, 5, 123456, tzinfo=timezone.utc
    )
    assert structure("gift_card", g.ProductType | str) is g.ProductType.GIFT_CARD
    assert structure("soon", g.ProductType | str) == "soon"
    assert structure(["a"], tuple[str, ...]) == ("a",)
    method = structure({"method": "id", "id": SESSION_ID}, g.models.SecureFieldsPaymentMethod)
    assert method == g.IdPaymentMethod(id=SESSION_ID)
    for value, tp in [(True, int), ("1", int), (1.5, int), (1, str), ({}, datetime), ([1], tuple[str, ...])]:
        with pytest.raises(_readers.ShapeError):
            structure(value, tp)
    with pytest.raises(TypeError, match="no structuring rule for <class 'complex'>"):
        structure({}, complex)
