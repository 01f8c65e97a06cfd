"""Every public model is an ordinary attrs class: standard tools read it at once in a fresh interpreter."""

from __future__ import annotations

import json
import pickle
import pydoc
from pathlib import Path
from typing import Any

import pytest
from fresh_python import FreshPython

import gr4vy_fn
from gr4vy_fn import models

SESSION_UUID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"

# The public models and enums of gr4vy_fn.models.
PUBLIC_MODELS = {
    *("Address", "AgeGroup", "Airline", "AirlineLeg", "AirlinePassenger", "BillingDetails"),
    *("CardPaymentMethod", "CardScheme", "CardType", "CartItem", "CheckoutSession"),
    *("CheckoutSessionCreateRequest", "CheckoutSessionPaymentMethod", "CheckoutSessionPaymentMethodDetails"),
    *("CheckoutSessionSecureFieldsUpdate", "ClickToPayPaymentMethod", "GuestBuyer", "IdPaymentMethod"),
    *("Intent", "PaymentSource", "ProductType", "RouteType", "SecureFieldsPaymentMethod", "ShippingDetails"),
    *("TaxId", "TaxIdKind", "TicketDeliveryMethod", "WireEnum"),
}
CLASSES = sorted(name for name in PUBLIC_MODELS if isinstance(getattr(models, name), type))

# In a fresh process, nothing called first: what each annotation reader gives for every public model.
ANNOTATIONS = """
import inspect, json, typing
import attrs
from hypothesis import strategies as st
from gr4vy_fn import models

seen = {}
for name in sorted(models.__all__):
    cls = getattr(models, name)
    if not (isinstance(cls, type) and attrs.has(cls)):
        continue
    try:
        hints = typing.get_type_hints(cls)
        attrs.resolve_types(cls)
        signature = inspect.signature(cls, eval_str=True)
        assert set(signature.parameters) <= set(hints), name
        seen[name] = {field: str(hint) for field, hint in hints.items()}
    except Exception as exc:
        seen[name] = f"{type(exc).__name__}: {exc}"
# hypothesis builds values from the annotations alone (a response model: no wire rules to meet).
method = st.from_type(models.CheckoutSessionPaymentMethod).example()
seen["from_type"] = type(method).__name__
print(json.dumps(seen))
"""

ANNOTATIONS_RUN = FreshPython("-c", ANNOTATIONS)


@pytest.mark.fresh_python(ANNOTATIONS_RUN)
def test_annotation_readers_resolve_every_model_with_no_prior_call() -> None:
    """get_type_hints, attrs.resolve_types, signature(eval_str=True) and st.from_type work at once."""
    seen: dict[str, Any] = json.loads(ANNOTATIONS_RUN.output())
    assert seen.pop("from_type") == "CheckoutSessionPaymentMethod"
    assert set(seen) == {name for name in CLASSES if not issubclass(getattr(models, name), models.WireEnum)}
    failed = {name: hints for name, hints in seen.items() if isinstance(hints, str)}
    assert failed == {}
    assert seen["CheckoutSession"]["buyer"] == "gr4vy_fn.models.GuestBuyer | None"
    assert seen["CheckoutSessionCreateRequest"]["airline"].startswith("gr4vy_fn.models.Airline | gr4vy_fn.")
    assert seen["AirlinePassenger"]["date_of_birth"] == "datetime.date | None"


@pytest.mark.parametrize("name", CLASSES)
def test_each_model_names_its_public_module(name: str) -> None:
    """Each class says it is of gr4vy_fn.models, pydoc finds it there, and its pickles name that module."""
    value = getattr(models, name)
    assert value.__module__ == "gr4vy_fn.models"
    assert pydoc.locate(f"gr4vy_fn.models.{name}") is value
    assert pickle.loads(pickle.dumps(value)) is value  # noqa: S301 - our own bytes
    assert b"gr4vy_fn._" not in pickle.dumps(value)
    if name in gr4vy_fn.__all__:
        assert getattr(gr4vy_fn, name) is value


def test_instances_pickle_to_equal_values() -> None:
    """A buyer, an airline and a secure-fields update pickle to equal values."""
    values: list[Any] = [
        gr4vy_fn.GuestBuyer(billing_details=gr4vy_fn.BillingDetails(address=gr4vy_fn.Address(city="Oslo"))),
        gr4vy_fn.Airline(legs=[gr4vy_fn.AirlineLeg(route_type=gr4vy_fn.RouteType.ONE_WAY)]),
        gr4vy_fn.CheckoutSessionSecureFieldsUpdate(payment_method=gr4vy_fn.IdPaymentMethod(id=SESSION_UUID)),
    ]
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value  # noqa: S301 - our own bytes


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


def test_pickles_load_in_a_fresh_process(tmp_path: Path) -> None:
    """Pickled models name gr4vy_fn.models, and load where gr4vy_fn was never imported before."""
    values = [
        models.GuestBuyer(
            billing_details=models.BillingDetails(tax_id=models.TaxId(value="1", kind="gb.vat"))
        ),
        models.Airline(legs=[models.AirlineLeg(route_type=models.RouteType.ONE_WAY)]),
        models.CheckoutSessionSecureFieldsUpdate(payment_method=models.IdPaymentMethod(id=SESSION_UUID)),
    ]
    made = pickle.dumps(values, protocol=0)  # each class named in plain text: `c<module>\n<name>\n`
    assert made.count(b"cgr4vy_fn.models\n") >= 4
    path = tmp_path / "values.pickle"
    path.write_bytes(made)
    run = FreshPython("-c", UNPICKLE, str(path), SESSION_UUID)
    assert run.output().split() == ["['gr4vy_fn.models']"]


def test_star_import_binds_every_public_name() -> None:
    """`from gr4vy_fn.models import *` binds the public models and enums."""
    names: dict[str, Any] = {}
    exec("from gr4vy_fn.models import *", names)  # noqa: S102 - the statement under test
    del names["__builtins__"]
    assert set(names) == PUBLIC_MODELS
    assert all(names[name] is getattr(models, name) for name in PUBLIC_MODELS)


def test_pydoc_documents_every_model_class() -> None:
    """help(gr4vy_fn.models) documents each model class as a class of that module."""
    text = pydoc.plain(pydoc.render_doc(models))
    for name in CLASSES:
        assert f"class {name}(" in text


def test_a_name_never_defined_is_an_attribute_error() -> None:
    """Asking either module for a name it does not have raises AttributeError naming it."""
    with pytest.raises(AttributeError, match="GuestBuyr"):
        models.GuestBuyr  # type: ignore[attr-defined]  # noqa: B018 - the look-up is the test
    with pytest.raises(AttributeError, match="Airlines"):
        gr4vy_fn.Airlines  # type: ignore[attr-defined]  # noqa: B018
