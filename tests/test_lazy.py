"""Models made on first use: not by an import or a call that does not need them; the same names otherwise."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from typing import Any

import pytest
from conftest import SAMPLES

import gr4vy_fn
from gr4vy_fn import _converter, models
from gr4vy_fn._lazy import field_types, is_later, later, made

MADE_ON_FIRST_USE = sorted(models.MADE_ON_FIRST_USE)
SESSION_UUID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"

# In a fresh process: what `import gr4vy_fn`, a decode of a session without buyer or airline and
# a create body made, and the classes a session holding both (given as argv[1]) decodes into.
FRESH = """
import json, sys
import gr4vy_fn as g
from gr4vy_fn import models, operations

def made():  # the modules defining those classes, imported: the classes made
    homes = {"gr4vy_fn" + home for home in models.MADE_ON_FIRST_USE.values()}
    return sorted(homes & set(sys.modules))

seen = {"import": made()}
plain = open(sys.argv[1], "rb").read()
full = open(sys.argv[2], "rb").read()
request = operations.get_checkout_session(json.loads(plain)["id"])
assert isinstance(g.decode(request, g.HttpResponse(status=200, headers={}, body=plain)), g.CheckoutSession)
item = g.CartItem(name="Mug", quantity=1, unit_amount=900)
operations.new_checkout_session(g.CheckoutSessionCreateRequest(cart_items=[item], metadata={"a": "b"}))
seen["calls"] = made()
request = operations.get_checkout_session(json.loads(full)["id"])
session = g.decode(request, g.HttpResponse(status=200, headers={}, body=full))
seen["decoded"] = [type(session.buyer).__name__, type(session.airline).__name__]
seen["written"] = sorted(g.to_dict(session))
print(json.dumps(seen))
"""


def test_a_call_without_buyer_or_airline_makes_neither() -> None:
    """Importing, decoding a plain session and writing a create body make none of those classes."""
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            FRESH,
            str(SAMPLES / "session_201.json"),
            str(SAMPLES / "session_with_card.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(shown.stdout)
    assert seen["import"] == []
    assert seen["calls"] == []
    assert seen["decoded"] == ["GuestBuyer", "Airline"]  # made when an answer holds them
    assert {"buyer", "airline"} <= set(seen["written"])


@pytest.mark.parametrize("name", MADE_ON_FIRST_USE)
def test_each_name_made_on_first_use_is_one_class(name: str) -> None:
    """Each name resolves from gr4vy_fn.models and gr4vy_fn, always to the same object, and is in dir()."""
    value = getattr(models, name)
    assert getattr(models, name) is value
    assert name in dir(models)
    if name in gr4vy_fn.__all__:
        assert getattr(gr4vy_fn, name) is value
        assert name in dir(gr4vy_fn)
    if isinstance(value, type):
        assert pickle.loads(pickle.dumps(value)) is value  # noqa: S301 - our own bytes


def test_instances_of_classes_made_on_first_use_pickle() -> None:
    """A buyer, an airline and a secure-fields update pickle to equal values."""
    values: list[Any] = [
        gr4vy_fn.GuestBuyer(billing_details=gr4vy_fn.BillingDetails(address=gr4vy_fn.Address(city="Oslo"))),
        gr4vy_fn.Airline(legs=[gr4vy_fn.AirlineLeg(route_type=gr4vy_fn.RouteType.ONE_WAY)]),
        gr4vy_fn.CheckoutSessionSecureFieldsUpdate(payment_method=gr4vy_fn.IdPaymentMethod(id=SESSION_UUID)),
    ]
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value  # noqa: S301 - our own bytes


def test_a_name_never_defined_is_still_an_attribute_error() -> None:
    """Asking either module for a name it does not have raises AttributeError naming it."""
    with pytest.raises(AttributeError, match="GuestBuyr"):
        models.GuestBuyr  # type: ignore[attr-defined]  # noqa: B018 - the look-up is the test
    with pytest.raises(AttributeError, match="Airlines"):
        gr4vy_fn.Airlines  # type: ignore[attr-defined]  # noqa: B018


def test_a_stand_in_is_made_into_its_class_on_request() -> None:
    """The stand-in for a name made on first use is a class of that name, and `made` gives the real one."""
    stand_in = later("gr4vy_fn.models", "GuestBuyer")
    assert (stand_in.__name__, is_later(stand_in)) == ("GuestBuyer", True)
    assert made(stand_in) is models.GuestBuyer
    assert made(models.GuestBuyer) is models.GuestBuyer
    assert field_types(models.CheckoutSession)["buyer"] == models.GuestBuyer | None  # made: the class


def test_a_reader_asked_for_a_stand_in_reads_its_class() -> None:
    """The reader of a stand-in is the reader of the class it stands for."""
    read = _converter._answers.hook(later("gr4vy_fn.models", "GuestBuyer"))
    assert read({"display_name": "Ada"}) == models.GuestBuyer(display_name="Ada")


def test_the_tagged_unions_hold_the_payment_method_once_made() -> None:
    """The payment-method union is known to the readers, with its chooser, once its module is made."""
    unions = dict(_converter._UNIONS)
    assert list(unions) == [models.SecureFieldsPaymentMethod]
    assert unions[models.SecureFieldsPaymentMethod]({"method": "id"}) is models.IdPaymentMethod
