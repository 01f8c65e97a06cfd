"""The converter's hooks: made once per process, on first use, never again."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLES
from fresh_python import FreshPython

# In a fresh process (a test run has made most hooks already), count the readers and cattrs
# unstructure functions made by a first and a second round of the same calls.
HOOKS_MADE = """
import json, sys
import gr4vy_fn as g
from gr4vy_fn import _converter, _structure, operations

made = []
make_reader = _structure.Engine._make
make_writer = _converter.make_dict_unstructure_fn_from_attrs

def reader(engine, tp):
    made.append(repr(tp))
    return make_reader(engine, tp)

def writer(fields, cls, *args, **kwargs):
    made.append(cls.__name__)
    return make_writer(fields, cls, *args, **kwargs)

_structure.Engine._make = reader
_converter.make_dict_unstructure_fn_from_attrs = writer
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
    calls()
    rounds.append(list(made))
print(json.dumps(rounds))
"""


HOOKS_RUN = FreshPython("-c", HOOKS_MADE, str(SAMPLES / "session_201.json"))


@pytest.mark.fresh_python(HOOKS_RUN)
def test_the_second_decode_and_create_body_make_no_hook() -> None:
    """Decoding a session and writing a create body make their hooks on the first call only."""
    first, second = json.loads(HOOKS_RUN.output())
    assert {"CheckoutSession", "CheckoutSessionCreateRequest", "CartItem"} <= set(first)
    assert "<class 'gr4vy_fn.models.CheckoutSession'>" in first  # the reader, seen by the count
    assert second == []
