"""The one way JSON becomes a model: a structuring function generated per model class; no I/O.

Each field's annotation decides how its value is read, by the rules below,
written once: `str`, `bool` exactly; `int`, or a float with an integer value
(JSON Schema counts `1299.0` as an integer); a `float` field takes any finite
number; date-times in RFC 3339 with any number of fractional digits
(truncated to microseconds); dates `YYYY-MM-DD`; an `Enum | str` field gives
the member, or keeps a value this version does not know as a plain `str`;
lists become tuples; the payment-method union is chosen by its `method`.

Two ways of reading, from the same rules:

- answers (what a server sends, for `decode`): unknown fields are ignored and
  the instance is built without `__init__`, because the server is the
  authority on its data and the request-side rules are not its to follow.
- `strict` (a dict given to `from_dict`): an unknown field is refused, and a
  request model is built through `__init__`, so its wire rules run.

Every failure is a ShapeError naming the JSON path (`$.cart_items[3].quantity`).
"""

from __future__ import annotations

import linecache
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import attrs

from ._clear import Clear
from ._lazy import field_types, is_later, made
from ._rules import FrozenMap
from .errors import ValidationError

Hook = Callable[[Any], Any]
_PRIMITIVES = (str, bool)


class ShapeError(Exception):
    """A value of the wrong type or shape, at a path into the JSON."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def within(self, segment: str) -> ShapeError:
        """Return this error with `segment` (a field name or `[index]`) in front of its path."""
        joined = segment + ("" if not self.path or self.path.startswith("[") else ".") + self.path
        return ShapeError(joined, self.problem)

    @property
    def json_path(self) -> str:
        """The path from the document's root: `$`, `$.id`, `$.cart_items[0].name`."""
        return "$" + ("" if not self.path or self.path.startswith("[") else ".") + self.path

    def __str__(self) -> str:
        return f"{self.json_path}: {self.problem}"


def _wrong(field: str, expected: str, value: object) -> ShapeError:
    return ShapeError(field, f"expected {expected}, got {type(value).__name__}")


def _missing(field: str) -> Any:
    raise ShapeError(field, "is required")


def _unknown(field: str) -> Any:
    raise ShapeError(field, "is not a field of this object")


# RFC 3339 (and, leniently, a space for `T` or no zone), with any number of fractional digits.
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):?([0-5]\d))?",
    re.ASCII,  # digits 0-9 only, not every Unicode digit int() would read
)
# Python 3.11's fromisoformat (in C) reads every form the pattern admits, as `by_hand`
# does (a test holds them equal); 3.10's reads only some, so there it is done by hand.
_FAST_ISO = sys.version_info >= (3, 11)


def parse_datetime(value: str) -> datetime:
    """Parse an RFC 3339 date-time (`Z` or an offset, fractions truncated to microseconds).

    Raises ValueError when it is not one, or names a time Python cannot hold (a leap second).
    """
    match = _DATETIME.fullmatch(value)
    if match is None:
        msg = "not an RFC 3339 date-time"
        raise ValueError(msg)
    if _FAST_ISO:
        return datetime.fromisoformat(value.replace("z", "Z"))
    return by_hand(match)


def by_hand(match: re.Match[str]) -> datetime:
    """The date-time a match of the pattern names; ValueError if Python cannot hold it."""
    year, month, day_, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    tz: timezone | None = None
    if zulu:
        tz = timezone.utc
    elif sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)  # ValueError from 24 hours on
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(int(year), int(month), int(day_), int(hour), int(minute), int(second), micros, tzinfo=tz)


def _datetime(value: Any) -> datetime:
    if type(value) is not str:
        raise _wrong("", "a date-time string", value)
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise ShapeError("", f"not a date-time Python can hold ({exc})") from None


def _date(value: Any) -> date:
    if type(value) is not str:
        raise _wrong("", "a date string", value)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ShapeError("", f"not a date ({exc})") from None


def _integer(value: Any) -> int:
    # JSON has one number type: 1299.0 is the integer 1299 (not a bool, not 1299.5).
    if type(value) is float and value.is_integer():
        return int(value)
    raise _wrong("", "an integer", value)


def _number(value: Any) -> float:
    if type(value) is float or type(value) is int:
        return typing.cast(float, value)
    raise _wrong("", "a number", value)


def _string_map(value: Any) -> FrozenMap:
    if type(value) is not dict:
        raise _wrong("", "an object", value)
    for key, item in value.items():
        if type(item) is not str:
            raise _wrong(f"[{key!r}]", "str", item)
    return FrozenMap(value)


def _open_enum(tp: Any) -> type[Enum] | None:
    """For an annotation, the open enum in it (`E | str`, `E | str | None`), else None."""
    args = [arg for arg in typing.get_args(tp) if arg is not type(None) and arg is not Clear]
    enum = None
    if len(args) == 2 and str in args:
        other = args[0] if args[1] is str else args[1]
        if isinstance(other, type) and issubclass(other, Enum):
            enum = other
    return enum


def _inner(tp: Any) -> Any:
    """The type of a value that is present: X for `X | None` or `X | Clear | None`, else `tp` itself."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) not in (typing.Union, types.UnionType) or type(None) not in args:
        return tp
    present = tuple(arg for arg in args if arg is not type(None) and arg is not Clear)
    return present[0] if len(present) == 1 else typing.Union[present]  # noqa: UP007 - built at run time


class Engine:
    """The generated structuring functions for one way of reading, made on first use of each type.

    `strict` refuses unknown fields and builds request models through
    `__init__`; otherwise unknown fields are ignored and nothing but types is
    checked. `unions` maps a union annotation to the function choosing its class from a
    value; `response_only` are the classes only a server sends, never checked
    by request rules.
    """

    def __init__(
        self,
        *,
        strict: bool,
        unions: Mapping[Any, Callable[[Any], type | None]],
        response_only: frozenset[type],
    ) -> None:
        self.strict = strict
        self._unions = unions
        self._response_only = response_only
        self._hooks: dict[Any, Hook] = {}

    def hook(self, tp: Any) -> Hook:
        """The function that reads a value of annotation `tp`, raising ShapeError."""
        found = self._hooks.get(tp)
        if found is None:
            found = self._hooks[tp] = self._make(tp)
        return found

    def _make(self, tp: Any) -> Hook:
        if is_later(tp):
            return self.hook(made(tp))  # a class made on first use: needed now, by a value
        if tp in self._unions:
            return self._union_hook(self._unions[tp])
        if attrs.has(tp):
            return self._model_hook(tp)
        if typing.get_origin(tp) is tuple:
            return self._tuple_hook(typing.get_args(tp)[0])
        # str, bool and int fields are checked inline by the generated code; these are the rest.
        simple: dict[Any, Hook] = {datetime: _datetime, date: _date, float: _number}
        if tp in simple:
            return simple[tp]
        if typing.get_origin(tp) in (Mapping, dict):
            return _string_map
        msg = f"no structuring rule for {tp!r}"
        raise TypeError(msg)

    def _union_hook(self, choose: Callable[[Any], type | None]) -> Hook:
        def structure(value: Any) -> Any:
            cls = choose(value)
            if cls is None:
                raise ShapeError("method", "must be card, click-to-pay or id")
            return self.hook(cls)(value)

        return structure

    def _tuple_hook(self, item_type: Any) -> Hook:
        if item_type in _PRIMITIVES:
            return _primitive_tuple_hook(item_type)
        item: list[Hook] = []  # made on first use: nested shapes most answers never carry

        def structure(value: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise _wrong("", "a list", value)
            if not item:
                item.append(self.hook(item_type))
            read = item[0]
            try:
                return tuple([read(each) for each in value])
            except ShapeError:
                pass  # read again, item by item, to name the first that fails
            for index, each in enumerate(value):
                try:
                    read(each)
                except ShapeError as exc:
                    raise exc.within(f"[{index}]") from None
            raise AssertionError  # pragma: no cover - reading is deterministic: an item failed above

        return structure

    def _model_hook(self, cls: type) -> Hook:
        type_of = field_types(cls)  # a class made on first use stays unmade until a value needs it
        with_rules = self.strict and cls not in self._response_only
        fields = attrs.fields(cls)
        globs: dict[str, Any] = {
            "cls": cls,
            "new": object.__new__,
            "wrong": _wrong,
            "missing": _missing,
            "unknown": _unknown,
            "ShapeError": ShapeError,
            "ValidationError": ValidationError,
            "rule_failure": _rule_failure,
            "known": frozenset(field.name for field in fields),
            "integer": _integer,
        }
        lines = [
            "def structure(o):",
            "    if type(o) is not dict:",
            "        raise wrong('', 'an object', o)",
            "    get = o.get",
        ]
        if self.strict:
            lines += ["    if not known.issuperset(o):", "        unknown(min(set(o) - known, key=str))"]
        names: list[tuple[int, str]] = []
        for index, field in enumerate(fields):
            if field.init:
                lines += self._field_lines(globs, index, field, type_of[field.name])
                names.append((index, field.name))
            else:
                globs[f"d{index}"] = field.default
        if with_rules:
            # Built through __init__: its converters and the field's wire rules run.
            arguments = ", ".join(f"{name}=v{index}" for index, name in names)
            lines += [
                "    try:",
                f"        return cls({arguments})",
                "    except ValidationError as e:",
                "        raise rule_failure(e) from None",
            ]
        else:
            # Built without __init__: what a server sends is not held to the request-side rules,
            # and skipping __init__ halves the cost of a large cart. The fields are stored on a
            # draft, then the draft becomes a `cls` (see _draft_of).
            globs["draft"] = _draft_of(cls)
            lines.append("    o = new(draft)")
            for index, field in enumerate(fields):
                value = f"v{index}" if field.init else f"d{index}"
                lines.append(f"    o.{field.name} = {value}")
            lines += ["    o.__class__ = cls", "    return o"]
        source = "\n".join(lines) + "\n"
        filename = f"<gr4vy_fn structure {cls.__qualname__}{' strict' if self.strict else ''}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), globs)  # noqa: S102 - our own generated source
        return typing.cast(Hook, globs["structure"])

    def _field_lines(
        self, globs: dict[str, Any], index: int, field: attrs.Attribute[Any], tp: Any
    ) -> list[str]:
        name, value = field.name, f"v{index}"
        enum = _open_enum(tp)
        inner = _inner(tp)
        nullable = inner is not tp
        lines = []
        if field.default is attrs.NOTHING:
            lines.append(f"    {value} = o['{name}'] if '{name}' in o else missing('{name}')")
        else:
            lines.append(f"    {value} = get('{name}')")
        if field.default is not None and field.default is not attrs.NOTHING:
            # A null where the class has a default (a `type` tag, say) means the default.
            globs[f"d{index}"] = field.default
            lines.append(f"    if {value} is None: {value} = d{index}")
        indent = "    "
        if nullable:
            lines.append(f"    if {value} is not None:")
            indent = "        "
        if inner in _PRIMITIVES:
            kind = inner.__name__
            lines.append(f"{indent}if type({value}) is not {kind}: raise wrong('{name}', '{kind}', {value})")
        elif inner is int:
            lines.append(f"{indent}if type({value}) is not int:")
            lines += _guarded(indent + "    ", f"{value} = integer({value})", name)
        elif enum is not None:
            globs[f"m{index}"] = {member.value: member for member in enum}.get
            lines += [
                f"{indent}if type({value}) is not str: raise wrong('{name}', 'str', {value})",
                f"{indent}{value} = m{index}({value}, {value})",
            ]
        else:
            globs[f"h{index}"] = _on_first_use(globs, f"h{index}", self.hook, inner)
            lines += _guarded(indent, f"{value} = h{index}({value})", name)
        return lines


def _guarded(indent: str, statement: str, name: str) -> list[str]:
    return [
        f"{indent}try:",
        f"{indent}    {statement}",
        f"{indent}except ShapeError as e:",
        f"{indent}    raise e.within('{name}') from None",
    ]


def _primitive_tuple_hook(kind: type) -> Hook:
    def structure(value: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _wrong("", "a list", value)
        for index, each in enumerate(value):
            if type(each) is not kind:
                raise _wrong(f"[{index}]", kind.__name__, each)
        return tuple(value)

    return structure


def _rule_failure(exc: ValidationError) -> ShapeError:
    """A model's rule broken (`CartItem.categories[0]`), as a path within the object (`categories[0]`)."""
    return ShapeError(exc.path.partition(".")[2], exc.rule)


def _on_first_use(globs: dict[str, Any], key: str, make: Callable[[Any], Hook], tp: Any) -> Hook:
    """A stand-in that makes the nested hook when first needed (most answers never need
    the airline or buyer shapes), then puts it in its place."""

    def first_use(value: Any) -> Any:
        hook = globs[key] = make(tp)
        return hook(value)

    return first_use


def _draft_of(cls: type) -> type:
    """A subclass of frozen, slotted `cls` whose fields can be stored as plain attributes.

    It adds no slots, so an instance can be turned into a `cls` by assigning
    its `__class__` once its fields are set; the result is frozen like any
    other. Plain stores are several times faster than calling each slot's
    setter past the frozen `__setattr__`, which is most of reading a large cart.
    """
    # Both methods restored: Python then uses its own attribute store for the class, at full speed.
    body = {"__slots__": (), "__setattr__": object.__setattr__, "__delattr__": object.__delattr__}
    return type(f"{cls.__name__}Draft", (cls,), body)
