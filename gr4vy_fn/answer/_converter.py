"""Models to wire JSON and back, in one place: one cattrs Converter reads and writes; no I/O.

Writing gives wire names, leaves unset (None) fields out, `CLEAR` as null, date-times in ISO 8601
with `Z` for UTC, enums as their wire values; reading follows the rules of `_readers`.
`converter.structure(data, cls)` reads what a server sends (types only, unknown fields ignored);
`structure_request` reads a user's dict as `Strict[cls]` (unknown fields refused, wire rules applied).
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import attrs
from cattrs import Converter
from cattrs.fns import identity
from cattrs.gen import make_dict_unstructure_fn_from_attrs, override

from .. import models
from .._redact import clip
from ..errors import ValidationError
from ..models._rules import Clear, FrozenMap
from ..models._secure_fields import SecureFieldsPaymentMethod, payment_method_class
from ._readers import (
    OpenEnumReader,
    Readers,
    ShapeError,
    is_string_map,
    open_enum,
    read_bool,
    read_date,
    read_datetime,
    read_int,
    read_number,
    read_str,
    read_string_map,
    strict,
    union_of,
    unwrapped,
)

T = TypeVar("T")


def format_datetime(value: datetime) -> str:
    """Format a date-time as ISO 8601, UTC as `Z`."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_TAGGED_UNIONS: Mapping[Any, Callable[[Any], type | None]] = {SecureFieldsPaymentMethod: payment_method_class}
_RESPONSE_ONLY = frozenset(
    {
        models.CheckoutSession,
        models.CheckoutSessionPaymentMethod,
        models.CheckoutSessionPaymentMethodDetails,
    }
)


def structure_request(data: Any, cls: type[T]) -> T:
    """Read model `cls` from a dict with every wire rule; raise ValidationError at its path (`$.x`)."""
    try:
        return converter.structure(data, strict(cls))  # type: ignore[no-any-return]
    except ShapeError as exc:
        path, problem = exc.json_path, exc.problem
    # Raised outside the handler, so the ShapeError (whose frames hold the data) is not
    # its context, and from a frame that has let go of the data: it may hold a card number.
    del data
    # The path holds the caller's keys: a card number sent as a key is hidden, and a long key cut.
    raise ValidationError(clip(path, limit=200), problem)


def _is_tuple(tp: Any) -> bool:
    return tp is tuple or _is_item_tuple(tp)


def _is_item_tuple(tp: Any) -> bool:
    return typing.get_origin(tp) is tuple


_AS_IS = frozenset({str, int, bool, float, type(None)})


def _written_as_is(tp: Any) -> bool:
    """Say whether every value of `tp` is its own JSON (`str | None`, `int | None`)."""
    members = union_of(tp)
    return bool(members) and _AS_IS.issuperset(members)


def _open_enum_union(tp: Any) -> bool:
    """Say whether `tp` is an open enum (`E | str`, `E | str | None`): a member or a plain str."""
    members = union_of(tp)
    wire_enums = [arg for arg in members if isinstance(arg, type) and issubclass(arg, models.WireEnum)]
    return bool(wire_enums) and _AS_IS.issuperset(set(members) - set(wire_enums))


def _wire_value(value: Any) -> Any:
    return value._value_ if isinstance(value, models.WireEnum) else value


def _optional_tuple(tp: Any) -> Any:
    """For `tuple[X, ...] | None` (and `| Clear`), the `tuple[X, ...]`; else None."""
    present = [arg for arg in union_of(tp) if arg is not type(None) and arg is not Clear]
    return present[0] if len(present) == 1 and _is_tuple(present[0]) else None


def make_converter() -> Converter:
    """Build the converter that reads and writes every model as wire JSON; takes nothing, raises nothing."""
    converter = Converter(structure_fallback_factory=_no_reading_rule)
    _register_readers(converter)
    converter.register_unstructure_hook(datetime, format_datetime)
    converter.register_unstructure_hook(date, date.isoformat)
    # A plain str on the wire (WireEnum, not Enum: a str subclass would be written as itself).
    converter.register_unstructure_hook(models.WireEnum, lambda member: member.value)
    converter.register_unstructure_hook(Clear, lambda _: None)
    # Optional fields whose values are their own JSON are written inline, with no call per
    # value, and open enums with one call rather than cattrs' dispatch on each value's class.
    converter.register_unstructure_hook_func(_written_as_is, identity)
    converter.register_unstructure_hook_func(_open_enum_union, _wire_value)

    def optional_tuple(tp: Any) -> Callable[[Any], Any]:
        # By the declared tuple's hook, rather than cattrs' dispatch on each value's class.
        write = converter.get_unstructure_hook(_optional_tuple(tp))
        return lambda value: None if value is None or type(value) is Clear else write(value)

    # Tuples and mappings by hooks of our own: cattrs' built-in ones register themselves as
    # they are made, which empties the dispatch cache, so every model's hook was made again
    # on the second call of a process.
    def unstructure_tuple(tp: Any) -> Callable[[Any], Any]:
        # Items by their declared type, or by their own class in a bare `tuple` (what a union holds).
        args = typing.get_args(tp)
        item = converter.get_unstructure_hook(args[0]) if args else converter.unstructure
        return list if item is identity else lambda value: [item(each) for each in value]

    def unstructure_mapping(tp: Any) -> Callable[[Any], Any]:
        args = typing.get_args(tp)
        item = converter.get_unstructure_hook(args[1]) if args else converter.unstructure
        return lambda value: {key: item(each) for key, each in value.items()}

    converter.register_unstructure_hook_factory(_is_tuple, unstructure_tuple)
    converter.register_unstructure_hook_factory(
        lambda tp: tp is FrozenMap or is_string_map(tp), unstructure_mapping
    )
    converter.register_unstructure_hook_factory(lambda tp: _optional_tuple(tp) is not None, optional_tuple)

    def unstructure_model(cls: type) -> Callable[[Any], Any]:
        hints = typing.get_type_hints(cls)
        fields = [field.evolve(type=hints[field.name]) for field in attrs.fields(cls)]
        # `method` tells the payment-method union apart: always sent, though it has a default.
        overrides: dict[str, Any] = {}
        if "method" in attrs.fields_dict(cls):
            overrides["method"] = override(omit_if_default=False)
        return make_dict_unstructure_fn_from_attrs(
            fields, cls, converter, _cattrs_omit_if_default=True, _cattrs_include_init_false=True, **overrides
        )

    converter.register_unstructure_hook_factory(attrs.has, unstructure_model)
    return converter


def _no_reading_rule(tp: Any) -> Callable[[Any, Any], Any]:
    """The hook of a type no rule reads (a mistake in the calling code): it raises TypeError."""
    asked = unwrapped(tp)

    def refuse(_: Any, __: Any = None) -> Any:
        msg = f"no structuring rule for {asked!r}: only gr4vy_fn's models are read"
        raise TypeError(msg)

    return refuse


def _register_readers(converter: Converter) -> None:
    """Register the reading rules of `_readers` on `converter`, each as a hook or a hook factory."""
    for tp, read in ((str, read_str), (bool, read_bool), (int, read_int), (float, read_number)):
        converter.register_structure_hook(tp, read)
    converter.register_structure_hook(datetime, read_datetime)
    converter.register_structure_hook(date, read_date)
    converter.register_structure_hook_func(is_string_map, read_string_map)
    converter.register_structure_hook_factory(
        lambda tp: open_enum(tp) is not None,
        lambda tp: OpenEnumReader(open_enum(tp)),  # type: ignore[arg-type]
    )
    readers = Readers(converter.get_structure_hook, unions=_TAGGED_UNIONS, response_only=_RESPONSE_ONLY)
    converter.register_structure_hook_factory(_is_item_tuple, readers.tuple)
    converter.register_structure_hook_factory(readers.is_union, readers.union)
    converter.register_structure_hook_factory(readers.is_model, readers.model)


converter = make_converter()


# The wire shape in and out, for handlers that receive and return JSON. A card number or security
# code is never written out: send it with `update_checkout_session_fields`, never store or return it.


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
