"""The wire shape in and out, for handlers that receive and return JSON: `from_dict`, `to_dict`, `to_json`.

`to_dict` writes what the API itself would: wire names, ISO 8601 date-times
(`Z` for UTC), enums as their wire values, unset fields left out, `CLEAR` as
null. A card number or security code is never written out: `to_dict` raises
ValidationError for a value holding one (send it with
`update_checkout_session_fields`, never store or return it).
"""

from __future__ import annotations

import functools
import json
import typing
from typing import Any, TypeVar

import attrs

from ..errors import ValidationError
from ._converter import converter, structure_request

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
    try:
        return structure_request(data, cls)
    except ValidationError as error:
        refused = error
    del data  # a traceback shows its frames' locals, and the data may hold a card number
    raise refused


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


def _refuse_secrets(value: Any, path: str) -> None:
    """Raise ValidationError at the first set field marked secret, searching nested models."""
    secret, nested = _fields_to_search(value.__class__)
    for name in secret:
        if getattr(value, name) is not None:
            raise ValidationError(f"{path}.{name}", "is a secret and is never written out")
    for name in nested:
        item = getattr(value, name)
        if isinstance(item, tuple):
            for index, model in enumerate(item):
                _refuse_secrets(model, f"{path}.{name}[{index}]")
        elif item is not None and attrs.has(type(item)):
            _refuse_secrets(item, f"{path}.{name}")


@functools.cache
def _fields_to_search(cls: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of model `cls`'s fields marked secret, and of those whose type names a model."""
    secret = tuple(field.name for field in attrs.fields(cls) if field.metadata.get("secret"))
    hints = typing.get_type_hints(cls)
    nested = tuple(name for name, tp in hints.items() if name not in secret and _names_a_model(tp))
    return secret, nested


def _names_a_model(tp: Any) -> bool:
    if isinstance(tp, type) and attrs.has(tp):
        return True
    return any(_names_a_model(arg) for arg in typing.get_args(tp))
