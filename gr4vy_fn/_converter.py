"""Models to wire JSON and back, in one place: cattrs writes, the generated readers read; no I/O.

`converter` writes request bodies and answers: wire names, unset (None)
fields left out, `CLEAR` as null, date-times in ISO 8601 with `Z` for UTC,
enums as their wire values. `structure_answer` reads what a server sends
(types only, unknown fields ignored); `structure_request` reads a dict given
by a user, the emulator or the command line (unknown fields refused, the
request models' wire rules applied). Both use the one set of reading rules in
`_structure`.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from types import UnionType
from typing import Any, TypeVar

import attrs
from cattrs import Converter
from cattrs.fns import identity
from cattrs.gen import make_dict_unstructure_fn_from_attrs, override

from . import models
from ._clear import Clear
from ._lazy import field_types, names_later
from ._rules import FrozenMap
from ._structure import Engine, ShapeError
from .errors import ValidationError

T = TypeVar("T")


def format_datetime(value: datetime) -> str:
    """Format a date-time as ISO 8601, UTC as `Z`."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _TaggedUnions(Mapping[Any, Callable[[Any], type | None]]):
    """Each tagged union, with the function choosing its class from a value: the secure fields'
    payment method, once its module is made (no annotation can name the union before)."""

    def _made(self) -> Mapping[Any, Callable[[Any], type | None]]:
        secure_fields = sys.modules.get(f"{__package__}._secure_fields")
        if secure_fields is None:
            return {}
        return {secure_fields.SecureFieldsPaymentMethod: secure_fields.payment_method_class}

    def __getitem__(self, tp: Any) -> Callable[[Any], type | None]:
        return self._made()[tp]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._made())

    def __len__(self) -> int:
        return len(self._made())


_UNIONS = _TaggedUnions()
_RESPONSE_ONLY = frozenset(
    {
        models.CheckoutSession,
        models.CheckoutSessionPaymentMethod,
        models.CheckoutSessionPaymentMethodDetails,
    }
)
_answers = Engine(strict=False, unions=_UNIONS, response_only=_RESPONSE_ONLY)
_requests = Engine(strict=True, unions=_UNIONS, response_only=_RESPONSE_ONLY)


def structure_answer(data: Any, cls: type[T]) -> T:
    """Read model `cls` from what a server sent; raise ShapeError with the path of a wrong type."""
    return _answers.hook(cls)(data)  # type: ignore[no-any-return]


def structure_request(data: Any, cls: type[T]) -> T:
    """Read model `cls` from a dict with every wire rule; raise ValidationError at its path (`$.x`)."""
    try:
        return _requests.hook(cls)(data)  # type: ignore[no-any-return]
    except ShapeError as exc:
        path, problem = exc.json_path, exc.problem
    # Raised outside the handler, so the ShapeError (whose frames hold the data) is not
    # its context, and from a frame that has let go of the data: it may hold a card number.
    del data
    raise ValidationError(path, problem)


def _is_tuple(tp: Any) -> bool:
    return tp is tuple or typing.get_origin(tp) is tuple


def _is_mapping(tp: Any) -> bool:
    return tp is FrozenMap or typing.get_origin(tp) in (Mapping, dict)


_AS_IS = frozenset({str, int, bool, float, type(None)})


def _union_of(tp: Any) -> tuple[Any, ...]:
    """The members of a union annotation (`X | None`), or () for any other annotation."""
    is_union = typing.get_origin(tp) in (typing.Union, UnionType)
    return typing.get_args(tp) if is_union else ()


def _written_as_is(tp: Any) -> bool:
    """Say whether every value of `tp` is its own JSON (`str | None`, `int | None`)."""
    members = _union_of(tp)
    return bool(members) and _AS_IS.issuperset(members)


def _open_enum_union(tp: Any) -> bool:
    """Say whether `tp` is an open enum (`E | str`, `E | str | None`): a member or a plain str."""
    members = _union_of(tp)
    wire_enums = [arg for arg in members if isinstance(arg, type) and issubclass(arg, models.WireEnum)]
    return bool(wire_enums) and _AS_IS.issuperset(set(members) - set(wire_enums))


def _wire_value(value: Any) -> Any:
    return value._value_ if isinstance(value, models.WireEnum) else value


def _optional_tuple(tp: Any) -> Any:
    """For `tuple[X, ...] | None` (and `| Clear`), the `tuple[X, ...]`; else None."""
    present = [arg for arg in _union_of(tp) if arg is not type(None) and arg is not Clear]
    return present[0] if len(present) == 1 and _is_tuple(present[0]) else None


def make_converter() -> Converter:
    """Build the converter that writes models as wire JSON."""
    converter = Converter()
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
    converter.register_unstructure_hook_factory(_is_mapping, unstructure_mapping)
    converter.register_unstructure_hook_factory(lambda tp: _optional_tuple(tp) is not None, optional_tuple)

    def unstructure_model(cls: type) -> Callable[[Any], Any]:
        types = field_types(cls)
        fields = [field.evolve(type=types[field.name]) for field in attrs.fields(cls)]
        # A field naming a class not made yet is written by its value's own class (made by then).
        overrides: dict[str, Any] = {
            name: override(unstruct_hook=converter.unstructure)
            for name, tp in types.items()
            if names_later(tp)
        }
        # `method` tells the payment-method union apart: always sent, though it has a default.
        if "method" in types:
            overrides["method"] = override(omit_if_default=False)
        return make_dict_unstructure_fn_from_attrs(
            fields, cls, converter, _cattrs_omit_if_default=True, _cattrs_include_init_false=True, **overrides
        )

    converter.register_unstructure_hook_factory(attrs.has, unstructure_model)
    return converter


converter = make_converter()
