"""The wire shape in and out, for handlers that receive and return JSON: `from_dict`, `to_dict`, `to_json`.

`to_dict` writes what the API itself would: wire names, ISO 8601 date-times
(`Z` for UTC), enums as their wire values, unset fields left out, `CLEAR` as
null. A card number or security code is never written out: `to_dict` raises
ValidationError for a value holding one (send it with
`update_checkout_session_fields`, never store or return it).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import attrs

from ._converter import converter, structure_request
from .errors import ValidationError

T = TypeVar("T")

__all__ = ["from_dict", "to_dict", "to_json"]


def from_dict(cls: type[T], data: Any) -> T:
    """Build model `cls` from its wire shape (a dict as `json.loads` gives it).

    Request models apply their wire rules. A null reads as None: for this API
    a null and a missing field mean the same, on create and on update alike.
    Returns the model. Raises ValidationError
    naming the path (`$.cart_items[0].quantity`) of an unknown key, a missing
    field or a bad value, never the value itself.
    """
    return structure_request(data, cls)


def to_dict(value: object) -> dict[str, Any]:
    """Return the wire shape of model `value`: a dict `json.dumps` can write.

    Raises ValidationError if `value` holds a card number or security code,
    and TypeError if it is not a model.
    """
    if not attrs.has(type(value)):
        msg = f"to_dict takes a gr4vy_fn model, not {type(value).__name__}"
        raise TypeError(msg)
    _refuse_secrets(value, "$")
    return converter.unstructure(value)  # type: ignore[no-any-return]


def to_json(value: object) -> str:
    """Return the wire JSON of model `value` (UTF-8 text); raises as `to_dict` does."""
    return json.dumps(to_dict(value), ensure_ascii=False, allow_nan=False)


def _refuse_secrets(value: object, path: str) -> None:
    """Raise ValidationError at the first set field marked secret, searching nested models."""
    if isinstance(value, tuple):
        for index, item in enumerate(value):
            _refuse_secrets(item, f"{path}[{index}]")
        return
    if not attrs.has(type(value)):
        return
    for field in attrs.fields(type(value)):  # type: ignore[arg-type]
        item = getattr(value, field.name)
        if field.metadata.get("secret") and item is not None:
            raise ValidationError(f"{path}.{field.name}", "is a secret and is never written out")
        if attrs.has(type(item)) or isinstance(item, tuple):
            _refuse_secrets(item, f"{path}.{field.name}")
