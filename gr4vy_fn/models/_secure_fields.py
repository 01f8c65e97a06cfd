"""The secure-fields models (a card, Click to Pay or a stored method); import them from gr4vy_fn.models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from ._rules import ANY_TEXT as _ANY_TEXT
from ._rules import UUID, Checked, instance, rule, shown_in_models, text


def _last_four(number: object) -> str:
    # Never more than the last four digits, and only of something long enough to be a card number.
    if isinstance(number, str) and len(number) >= 13:
        return f"'…{number[-4:]}'"
    return "<redacted>"


def _hidden(_: object) -> str:
    return "<redacted>"


_SECURITY_CODE = text(3, 4, pattern="[0-9]+")


@frozen(kw_only=True, eq=False, repr=False)
class CardPaymentMethod(Checked):
    """A raw card for the secure fields: number, expiry `MM/YY`, optional security code."""

    number: str = field(repr=_last_four, metadata={**rule(text(13, 19, pattern="[0-9]+")), "secret": True})
    expiration_date: str = field(metadata=rule(text(5, 5, pattern=r"(0[1-9]|1[0-2])/[0-9]{2}")))
    security_code: str | None = field(
        default=None, repr=_hidden, metadata={**rule(_SECURITY_CODE), "secret": True}
    )
    method: str = field(default="card", init=False)


@frozen(kw_only=True, eq=False, repr=False)
class ClickToPayPaymentMethod(Checked):
    """A Click to Pay result; the live API requires `src_dpa_id` too."""

    merchant_transaction_id: str = field(metadata=rule(_ANY_TEXT))
    src_correlation_id: str = field(metadata=rule(_ANY_TEXT))
    src_dpa_id: str | None = field(default=None, metadata=rule(_ANY_TEXT))
    src_cx_flow_id: str | None = field(default=None, metadata=rule(_ANY_TEXT))
    method: str = field(default="click-to-pay", init=False)


@frozen(kw_only=True, eq=False, repr=False)
class IdPaymentMethod(Checked):
    """A stored payment method by its id, with an optional security code."""

    id: str = field(metadata=rule(text(pattern=UUID)))
    security_code: str | None = field(
        default=None, repr=_hidden, metadata={**rule(_SECURITY_CODE), "secret": True}
    )
    method: str = field(default="id", init=False)


SecureFieldsPaymentMethod = CardPaymentMethod | ClickToPayPaymentMethod | IdPaymentMethod


@frozen(kw_only=True, eq=False, repr=False)
class CheckoutSessionSecureFieldsUpdate(Checked):
    """The body of a fields update: one payment method, and optionally a postal code."""

    payment_method: SecureFieldsPaymentMethod = field(
        metadata=rule(instance(CardPaymentMethod, ClickToPayPaymentMethod, IdPaymentMethod))
    )
    postal_code: str | None = field(default=None, metadata=rule(text(1, 50)))


shown_in_models(
    CardPaymentMethod, ClickToPayPaymentMethod, IdPaymentMethod, CheckoutSessionSecureFieldsUpdate
)

_PAYMENT_METHODS: Mapping[str, type] = {
    "card": CardPaymentMethod,
    "click-to-pay": ClickToPayPaymentMethod,
    "click_to_pay": ClickToPayPaymentMethod,  # the seed's spelling
    "id": IdPaymentMethod,
}


def payment_method_class(value: Any) -> type | None:
    """The payment-method class a body's `method` names, or None."""
    method = value.get("method") if type(value) is dict else None
    return _PAYMENT_METHODS.get(method) if type(method) is str else None
