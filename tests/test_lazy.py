"""Models made on first use: not by an import or a call that does not need them; the same names otherwise."""

from __future__ import annotations

import json
import pickle
import pydoc
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from fresh_python import FreshPython

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


FRESH_RUN = FreshPython(
    "-c", FRESH, str(SAMPLES / "session_201.json"), str(SAMPLES / "session_with_card.json")
)


@pytest.mark.fresh_python(FRESH_RUN)
def test_a_call_without_buyer_or_airline_makes_neither() -> None:
    """Importing, decoding a plain session and writing a create body make none of those classes."""
    seen = json.loads(FRESH_RUN.output())
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


# The public models and enums of gr4vy_fn.models, those made on first use included.
PUBLIC_MODELS = {
    *("Address", "AgeGroup", "Airline", "AirlineLeg", "AirlinePassenger", "BillingDetails"),
    *("CardPaymentMethod", "CardScheme", "CardType", "CartItem", "CheckoutSession"),
    *("CheckoutSessionCreateRequest", "CheckoutSessionPaymentMethod", "CheckoutSessionPaymentMethodDetails"),
    *("CheckoutSessionSecureFieldsUpdate", "ClickToPayPaymentMethod", "GuestBuyer", "IdPaymentMethod"),
    *("Intent", "PaymentSource", "ProductType", "RouteType", "SecureFieldsPaymentMethod", "ShippingDetails"),
    *("TaxId", "TaxIdKind", "TicketDeliveryMethod", "WireEnum"),
}


def test_star_import_binds_every_public_name() -> None:
    """`from gr4vy_fn.models import *` binds the public models and enums, those made on first use included."""
    names: dict[str, Any] = {}
    exec("from gr4vy_fn.models import *", names)  # noqa: S102 - the statement under test
    del names["__builtins__"]
    assert set(names) == PUBLIC_MODELS | {"make_all"}
    for name in MADE_ON_FIRST_USE:
        assert names[name] is getattr(models, name)


def test_pydoc_lists_the_models_made_on_first_use() -> None:
    """help(gr4vy_fn.models) documents each class made on first use, as a class of that module."""
    text = pydoc.plain(pydoc.render_doc(models))
    for name in MADE_ON_FIRST_USE:
        if isinstance(getattr(models, name), type):
            assert f"class {name}(" in text


@pytest.mark.parametrize("name", MADE_ON_FIRST_USE)
def test_classes_made_on_first_use_name_their_public_module(name: str) -> None:
    """Each class made on first use says it is of gr4vy_fn.models, and its pickles name that module."""
    value = getattr(models, name)
    if not isinstance(value, type):
        return  # the payment-method union: no module of its own
    assert value.__module__ == "gr4vy_fn.models"
    assert pydoc.locate(f"gr4vy_fn.models.{name}") is value
    assert b"gr4vy_fn.models" in pickle.dumps(value)
    assert b"gr4vy_fn._" not in pickle.dumps(value)


# In a fresh process: the values a pickle (argv[1]) holds, without gr4vy_fn imported first.
UNPICKLE = """
import pickle, sys
values = pickle.loads(open(sys.argv[1], "rb").read())
import gr4vy_fn as g
assert values == [
    g.GuestBuyer(billing_details=g.BillingDetails(tax_id=g.TaxId(value="1", kind=g.TaxIdKind.GB_VAT))),
    g.Airline(legs=[g.AirlineLeg(route_type=g.RouteType.ONE_WAY)]),
    g.CheckoutSessionSecureFieldsUpdate(payment_method=g.IdPaymentMethod(id=sys.argv[2])),
]
print(sorted({type(value).__module__ for value in values}))
"""


@pytest.mark.parametrize("module", ["gr4vy_fn.models", "gr4vy_fn._buyer"])
def test_pickles_naming_either_module_load_in_a_fresh_process(module: str, tmp_path: Path) -> None:
    """Pickles naming gr4vy_fn.models (made before and after the move) or the buyer's own module load."""
    values = [
        models.GuestBuyer(
            billing_details=models.BillingDetails(tax_id=models.TaxId(value="1", kind="gb.vat"))
        ),
        models.Airline(legs=[models.AirlineLeg(route_type=models.RouteType.ONE_WAY)]),
        models.CheckoutSessionSecureFieldsUpdate(payment_method=models.IdPaymentMethod(id=SESSION_UUID)),
    ]
    made = pickle.dumps(values, protocol=0)  # each class named in plain text: `c<module>\n<name>\n`
    assert made.count(b"cgr4vy_fn.models\n") >= 4
    if (
        module != "gr4vy_fn.models"
    ):  # what a pickle of the buyer's classes said while they named their own module
        made = made.replace(b"cgr4vy_fn.models\nGuestBuyer\n", f"c{module}\nGuestBuyer\n".encode())
        assert f"c{module}\n".encode() in made
    path = tmp_path / "values.pickle"
    path.write_bytes(made)
    assert FreshPython("-c", UNPICKLE, str(path), SESSION_UUID).output().split() == ["['gr4vy_fn.models']"]


# In a fresh process: what tools that read annotations see, after `first` (argv[1]) has run.
ANNOTATIONS = """
import inspect, json, sys, typing
import attrs
import gr4vy_fn
from gr4vy_fn import models

exec(sys.argv[1])
seen = {"made": sorted(name for name in sys.modules if name in {
    "gr4vy_fn._buyer", "gr4vy_fn._airline", "gr4vy_fn._secure_fields"})}
session, body = models.CheckoutSession, models.CheckoutSessionCreateRequest
checks = {
    "hints": lambda: typing.get_type_hints(session)["buyer"] == models.GuestBuyer | None,
    "resolved": lambda: attrs.fields(attrs.resolve_types(session)).airline.type == models.Airline | None,
    "signature": lambda: inspect.signature(session, eval_str=True).parameters["buyer"].annotation
    == models.GuestBuyer | None,
    "body hints": lambda: typing.get_type_hints(body)["airline"] == models.Airline | gr4vy_fn.Clear | None,
    "buyer hints": lambda: typing.get_type_hints(models.BillingDetails)["tax_id"] == models.TaxId | None,
    "passenger hints": lambda: str(typing.get_type_hints(models.AirlinePassenger)["date_of_birth"]),
}
for name, check in checks.items():
    try:
        seen[name] = check()
    except NameError as exc:
        seen[name] = str(exc)
print(json.dumps(seen))
"""


AFTER_MAKE_ALL = FreshPython("-c", ANNOTATIONS, "models.make_all()")
AFTER_BUYER_AND_AIRLINE = FreshPython("-c", ANNOTATIONS, "gr4vy_fn.GuestBuyer, gr4vy_fn.Airline")
AFTER_BUYER = FreshPython("-c", ANNOTATIONS, "gr4vy_fn.GuestBuyer")


def annotations_seen(run: FreshPython) -> dict[str, Any]:
    """What the annotation readers give in the fresh process `run`."""
    return json.loads(run.output())  # type: ignore[no-any-return]


@pytest.mark.fresh_python(AFTER_MAKE_ALL)
def test_make_all_lets_annotation_readers_resolve_every_model() -> None:
    """After make_all(), get_type_hints, resolve_types and signature(eval_str=True) resolve every name."""
    seen = annotations_seen(AFTER_MAKE_ALL)
    assert seen == {
        "made": ["gr4vy_fn._airline", "gr4vy_fn._buyer", "gr4vy_fn._secure_fields"],
        "hints": True,
        "resolved": True,
        "signature": True,
        "body hints": True,
        "buyer hints": True,
        "passenger hints": "datetime.date | None",
    }


@pytest.mark.fresh_python(AFTER_BUYER_AND_AIRLINE)
def test_a_class_made_on_first_use_is_known_to_annotation_readers_once_made() -> None:
    """Asking for GuestBuyer and Airline is enough: the session's annotations and theirs resolve."""
    seen = annotations_seen(AFTER_BUYER_AND_AIRLINE)
    assert seen["made"] == ["gr4vy_fn._airline", "gr4vy_fn._buyer"]  # not the secure fields
    assert [seen[name] for name in ("hints", "resolved", "signature", "body hints", "buyer hints")] == [
        True
    ] * 5


@pytest.mark.fresh_python(AFTER_BUYER)
def test_annotation_readers_name_a_class_not_made_yet() -> None:
    """Before the classes are made, the readers raise NameError for them, as models' docstring says."""
    seen = annotations_seen(AFTER_BUYER)
    assert seen["made"] == ["gr4vy_fn._buyer"]  # asking the package for one home makes no other
    assert seen["buyer hints"] is True  # its home's other classes are known once one of them is made
    assert seen["hints"] == seen["resolved"] == seen["body hints"] == "name 'Airline' is not defined"
