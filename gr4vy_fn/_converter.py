"""The package's cattrs converters, from one factory: wire JSON to models and back; no I/O.

`converter` writes request bodies and reads answers. Reading checks types
strictly (a string is never silently turned into an int, nor an int into a
bool) and leaves the request-side rules to the server, the authority on its
own data. Writing drops unset (None) fields, so a body carries only what was
given. `structure_request` reads request bodies (the emulator, the command
line) with every wire rule, and refuses unknown fields as the API's schemas do.
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, TypeVar

import attrs
from cattrs import Converter, transform_error
from cattrs.errors import (
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from . import models as m
from ._structure import model_hook, open_enum, tuple_hook
from .errors import ValidationError

T = TypeVar("T")

_FAST_ISO = sys.version_info >= (3, 11)
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def parse_datetime(value: str) -> datetime:
    """Parse an ISO 8601 date-time with `Z` or an offset and 0 to 6 fractional digits."""
    if _FAST_ISO and _DATETIME.fullmatch(value):
        # Python 3.11's parser (in C) reads every form the pattern admits.
        return datetime.fromisoformat(value.replace("z", "Z"))
    match = _DATETIME.fullmatch(value)
    if match is None:
        msg = "not an ISO 8601 date-time"
        raise ValueError(msg)
    year, month, day_, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    tz: timezone | None = None
    if zulu:
        tz = timezone.utc
    elif sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    return datetime(
        int(year),
        int(month),
        int(day_),
        int(hour),
        int(minute),
        int(second),
        int((fraction or "0").ljust(6, "0")),
        tzinfo=tz,
    )


def format_datetime(value: datetime) -> str:
    """Format a date-time as ISO 8601, UTC as `Z`."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _wrong_type(expected: str, value: Any) -> TypeError:
    return TypeError(f"expected {expected}, got {type(value).__name__}")


def _strict(kind: type[T]) -> Callable[[Any, Any], T]:
    """A hook accepting exactly `kind`: JSON gives no subclasses, and no int for a bool."""

    def structure(value: Any, _: Any) -> T:
        if type(value) is kind:
            return value
        raise _wrong_type(kind.__name__, value)

    return structure


_structure_str = _strict(str)


def _structure_float(value: Any, _: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"expected a number, got {type(value).__name__}"
        raise TypeError(msg)
    return value


def _structure_datetime(value: Any, _: Any) -> datetime:
    return parse_datetime(_structure_str(value, None))


def _structure_date(value: Any, _: Any) -> date:
    return date.fromisoformat(_structure_str(value, None))


def _open_enum_hook(tp: Any) -> Callable[[Any, Any], Any]:
    enum = open_enum(tp)
    assert enum is not None
    members: dict[Any, Any] = {member.value: member for member in enum}
    if type(None) in typing.get_args(tp):
        members[None] = None

    def structure(value: Any, _: Any) -> Any:
        # A value this version does not know stays a plain str.
        found = members.get(value, members)
        return _structure_str(value, None) if found is members else found

    return structure


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


_PAYMENT_METHODS: Mapping[str, type] = {
    "card": m.CardPaymentMethod,
    "click-to-pay": m.ClickToPayPaymentMethod,
    "click_to_pay": m.ClickToPayPaymentMethod,  # the seed's spelling
    "id": m.IdPaymentMethod,
}


def make_converter(*, for_requests: bool = False) -> Converter:
    """Build a converter with every hook of the package registered.

    By default it reads answers: unknown fields ignored, lean hooks. With
    `for_requests` it reads request bodies: unknown fields refused, every
    failure collected by cattrs for a precise message.
    """
    converter = Converter(detailed_validation=for_requests, forbid_extra_keys=for_requests)

    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _strict(int))
    converter.register_structure_hook(bool, _strict(bool))
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(datetime, format_datetime)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook_factory(lambda tp: open_enum(tp) is not None, _open_enum_hook)

    def structure_tuple(tp: Any) -> Callable[[Any, Any], Any]:
        item = converter.get_structure_hook(typing.get_args(tp)[0])
        item_type = typing.get_args(tp)[0]
        if not for_requests:
            return tuple_hook(item, item_type)

        def structure(value: Any, _: Any) -> tuple[Any, ...]:
            if not isinstance(value, list):
                msg = f"expected a list, got {type(value).__name__}"
                raise TypeError(msg)
            try:
                return tuple([item(each, item_type) for each in value])
            except Exception:  # noqa: S110 - the slow path below says which items failed
                pass
            errors = []
            for index, each in enumerate(value):
                try:
                    item(each, item_type)
                except Exception as exc:
                    note = IterableValidationNote(f"Structuring {tp} @ index {index}", index, item_type)
                    exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                    errors.append(exc)
            raise IterableValidationError(f"While structuring {tp}", errors, tp)

        return structure

    converter.register_structure_hook_factory(_is_homogeneous_tuple, structure_tuple)

    def structure_payment_method(value: Any, _: Any) -> m.SecureFieldsPaymentMethod:
        method = value.get("method") if isinstance(value, dict) else None
        cls = _PAYMENT_METHODS.get(method) if isinstance(method, str) else None
        if cls is None:
            raise ValidationError("payment_method.method", "must be card, click-to-pay or id")
        # `method` is fixed by the class: it chose the class, and is not an argument.
        fields = {key: item for key, item in value.items() if key != "method"}
        return typing.cast(m.SecureFieldsPaymentMethod, converter.structure(fields, cls))

    converter.register_structure_hook(m.SecureFieldsPaymentMethod, structure_payment_method)

    def structure_model(cls: type) -> Callable[[Any, Any], Any]:
        if not for_requests:
            return model_hook(cls, converter.get_structure_hook)
        return make_dict_structure_fn(cls, converter)

    def unstructure_model(cls: type) -> Callable[[Any], Any]:
        # `method` tells the payment-method union apart: always sent, though it has a default.
        if "method" in attrs.fields_dict(cls):
            return make_dict_unstructure_fn(
                cls,
                converter,
                _cattrs_omit_if_default=True,
                _cattrs_include_init_false=True,
                method=override(omit_if_default=False),
            )
        return make_dict_unstructure_fn(
            cls, converter, _cattrs_omit_if_default=True, _cattrs_include_init_false=True
        )

    converter.register_structure_hook_factory(attrs.has, structure_model)
    converter.register_unstructure_hook_factory(attrs.has, unstructure_model)
    return converter


converter = make_converter()


@lru_cache(maxsize=1)
def _request_converter() -> Converter:
    return make_converter(for_requests=True)


def _describe(exc: BaseException, _: Any) -> str:
    if isinstance(exc, ValidationError):
        return exc.rule
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown fields: {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, KeyError):
        return "is required"
    return "has the wrong type" if isinstance(exc, TypeError) else "is invalid"


def structure_request(data: Any, cls: type[T]) -> T:
    """Build request model `cls` from JSON data with the wire rules; raise ValidationError at its path."""
    try:
        return _request_converter().structure(data, cls)
    except BaseValidationError as exc:
        rule, _, path = transform_error(exc, path="$", format_exception=_describe)[0].rpartition(" @ ")
        field = _field_of(exc)
        raise ValidationError(path + (f".{field}" if field else ""), rule) from None
    except (TypeError, AttributeError, KeyError):
        raise ValidationError("$", f"must be a JSON object for {cls.__name__}") from None


def _field_of(exc: BaseException) -> str:
    """The field a model rule names, when the failure was one (cattrs knows only the container)."""
    while isinstance(exc, BaseValidationError) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, ValidationError):
        return exc.path.rpartition(".")[2]
    return ""
