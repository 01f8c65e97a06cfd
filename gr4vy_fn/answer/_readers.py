"""How JSON values are read into model fields: the reading rules, and the readers written per model class.

Each function here is a cattrs structure hook (the value and, unused, the type asked for) or a hook
factory; `_converter.make_converter` registers them all. A model class is read by a function written
for it, as cattrs' own `gen` writes one: fields of an exact type are checked inline rather than by a
call, and the instance is built through a draft class rather than `__init__` (see `_draft_of`).
`Strict[cls]` reads the same class from a user's dict: unknown keys refused, request models built
through `__init__`, so their wire rules run. Every failure is a ShapeError naming the JSON path
(`$.cart_items[3].quantity`).
"""

from __future__ import annotations

import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any, Generic, TypeVar

import attrs

from ..errors import ValidationError
from ..models._rules import Clear, FrozenMap, compiled

T = TypeVar("T")
Hook = Callable[..., Any]  # (value, the type asked for=None) -> the value read


class Strict(Generic[T]):
    """`Strict[cls]` asks the converter to read `cls` from a user's dict: unknown keys refused,
    request models built through `__init__` (their wire rules run). Never instantiated."""


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


def _unknown(key: object) -> Any:
    if type(key) is not str:
        raise _not_text(key)
    raise ShapeError(key, "is not a field of this object")


def _not_text(key: object) -> ShapeError:
    return ShapeError("", f"has a key that is not a string ({type(key).__name__})")


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


# The scalar rules, as cattrs hooks. A model's reader writes the first three inline (it knows
# them by identity, see Readers._field_lines), so a field of those types costs no call.


def _exact(kind: type) -> Hook:
    def read(value: Any, _: Any = None) -> Any:
        if type(value) is not kind:
            raise _wrong("", kind.__name__, value)
        return value

    return read


read_str = _exact(str)  # a `str`, exactly
read_bool = _exact(bool)  # a `bool`, exactly (not 0 or 1)


def read_int(value: Any, _: Any = None) -> int:
    """An `int` (not a bool), or a float with an integer value; ShapeError otherwise."""
    if type(value) is int:
        return value
    return _integer(value)


def _integer(value: Any) -> int:
    # JSON has one number type: 1299.0 is the integer 1299 (not a bool, not 1299.5).
    if type(value) is float and value.is_integer():
        return int(value)
    raise _wrong("", "an integer", value)


def read_number(value: Any, _: Any = None) -> float:
    """Any JSON number (an int or a float, not a bool); ShapeError otherwise."""
    if type(value) is float or type(value) is int:
        return typing.cast(float, value)
    raise _wrong("", "a number", value)


def _parsed(parse: Callable[[str], Any], expected: str, problem: str) -> Hook:
    def read(value: Any, _: Any = None) -> Any:
        if type(value) is not str:
            raise _wrong("", expected, value)
        try:
            return parse(value)
        except ValueError as exc:
            raise ShapeError("", f"{problem} ({exc})") from None

    return read


read_datetime = _parsed(
    parse_datetime, "a date-time string", "not a date-time Python can hold"
)  # RFC 3339, read by `parse_datetime`
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_date(value: str) -> date:
    """Parse `YYYY-MM-DD` (not the other ISO 8601 forms Python 3.11's `date.fromisoformat` reads).

    Raises ValueError when it is not one, or names no day of the calendar.
    """
    if _DATE.fullmatch(value) is None:
        msg = "not YYYY-MM-DD"
        raise ValueError(msg)
    return date.fromisoformat(value)


read_date = _parsed(parse_date, "a date string", "not a date")


def read_string_map(value: Any, _: Any = None) -> FrozenMap:
    """An object of strings, as a read-only mapping; ShapeError naming the first other value."""
    if type(value) is not dict:
        raise _wrong("", "an object", value)
    for key, item in value.items():
        if type(key) is not str:
            raise _not_text(key)
        if type(item) is not str:
            raise _wrong(f"[{key!r}]", "str", item)
    return FrozenMap(value)


def union_of(tp: Any) -> tuple[Any, ...]:
    """The members of a union annotation (`X | None`), or () for any other annotation."""
    is_union = typing.get_origin(tp) in (typing.Union, types.UnionType)
    return typing.get_args(tp) if is_union else ()


def is_string_map(tp: Any) -> bool:
    """Whether annotation `tp` is a mapping (`Mapping[str, str]`)."""
    return typing.get_origin(tp) in (Mapping, dict)


class OpenEnumReader:
    """The hook of an open enum (`E | str`): the member of a known value, else the str itself."""

    def __init__(self, enum: type[Enum]) -> None:
        self.members: Mapping[str, Enum] = {member.value: member for member in enum}

    def __call__(self, value: Any, _: Any = None) -> Any:
        if type(value) is not str:
            raise _wrong("", "str", value)
        return self.members.get(value, value)


def open_enum(tp: Any) -> type[Enum] | None:
    """For an annotation, the open enum in it (`E | str`), else None."""
    args = union_of(tp)
    if len(args) == 2 and str in args:
        other = args[0] if args[1] is str else args[1]
        if isinstance(other, type) and issubclass(other, Enum):
            return other
    return None


def present(tp: Any) -> Any:
    """The type of a value that is present: X for `X | None` or `X | Clear | None`, else `tp` itself."""
    args = union_of(tp)
    if type(None) not in args:
        return tp
    kept = tuple(arg for arg in args if arg is not type(None) and arg is not Clear)
    return kept[0] if len(kept) == 1 else typing.Union[kept]  # noqa: UP007 - built at run time


def strict(tp: Any) -> Any:
    """`Strict[tp]`, for a type known only at run time."""
    return _STRICT[tp]


_STRICT: Any = Strict


def is_strict(tp: Any) -> bool:
    """Whether `tp` is `Strict[X]`."""
    return typing.get_origin(tp) is Strict


def unwrapped(tp: Any) -> Any:
    """X for `Strict[X]`, else `tp` itself."""
    return typing.get_args(tp)[0] if is_strict(tp) else tp


class Readers:
    """The hook factories that need the converter: models, tuples and tagged unions.

    `get_hook` is the converter's `get_structure_hook`; `unions` maps each tagged
    union to the function choosing its class from a value; `response_only` are the
    classes only a server sends, never held to request rules, even when strict.
    """

    def __init__(
        self,
        get_hook: Callable[[Any], Hook],
        *,
        unions: Mapping[Any, Callable[[Any], type | None]],
        response_only: frozenset[type],
    ) -> None:
        self._get_hook = get_hook
        self._unions = unions
        self._response_only = response_only

    def strict_of(self, tp: Any) -> Any:
        """The type to read a value of `tp` by, strictly: models and unions in it marked Strict."""
        if attrs.has(tp) or tp in self._unions:
            return strict(tp)
        if typing.get_origin(tp) is tuple:
            return tuple[self.strict_of(typing.get_args(tp)[0]), ...]  # type: ignore[misc]
        return tp

    def is_model(self, tp: Any) -> bool:
        """Whether `tp` is a model class, strict or not (the predicate of `model`)."""
        return attrs.has(unwrapped(tp))

    def is_union(self, tp: Any) -> bool:
        """Whether `tp` is a tagged union, strict or not (the predicate of `union`)."""
        return unwrapped(tp) in self._unions

    def union(self, tp: Any) -> Hook:
        """The hook of a tagged union: the class its `method` names, read by that class's hook."""
        is_strict_union = is_strict(tp)
        choose = self._unions[unwrapped(tp)]
        get_hook = self._get_hook

        def structure(value: Any, _: Any = None) -> Any:
            cls = choose(value)
            if cls is None:
                raise ShapeError("method", "must be card, click-to-pay or id")
            return get_hook(strict(cls) if is_strict_union else cls)(value)

        return structure

    def tuple(self, tp: Any) -> Hook:
        """The hook of `tuple[X, ...]`: a JSON list, each item read by X's hook, as a tuple."""
        item_type = typing.get_args(tp)[0]
        if item_type is str or item_type is bool:
            return _exact_tuple(item_type)
        item: list[Hook] = []  # found on first use: nested shapes most answers never carry
        get_hook = self._get_hook

        def structure(value: Any, _: Any = None) -> tuple[Any, ...]:
            if type(value) is not list:
                raise _wrong("", "a list", value)
            if not item:
                item.append(get_hook(item_type))
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

    def model(self, tp: Any) -> Hook:
        """The hook of model class `tp` (or `Strict[cls]`): a function written for that class."""
        strict, cls = is_strict(tp), unwrapped(tp)
        hints = typing.get_type_hints(cls)
        with_rules = strict and cls not in self._response_only
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
            "def structure(o, _=None):",
            "    if type(o) is not dict:",
            "        raise wrong('', 'an object', o)",
            "    get = o.get",
        ]
        if strict:
            lines += ["    if not known.issuperset(o):", "        unknown(min(set(o) - known, key=str))"]
        names: list[tuple[int, str]] = []
        for index, field in enumerate(fields):
            if field.init:
                tp_of_field = hints[field.name]
                lines += self._field_lines(globs, index, field, tp_of_field, strict=strict)
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
        filename = f"<gr4vy_fn structure {cls.__qualname__}{' strict' if strict else ''}>"
        return typing.cast(Hook, compiled(lines, filename, globs, "structure"))

    def _field_lines(
        self, globs: dict[str, Any], index: int, field: attrs.Attribute[Any], tp: Any, *, strict: bool
    ) -> list[str]:
        name, value = field.name, f"v{index}"
        inner = present(tp)
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
        read_as = self.strict_of(inner) if strict else inner
        if attrs.has(inner) or inner in self._unions or typing.get_origin(inner) is tuple:
            # Nested shapes: their hooks are found on first use (most answers carry few of them).
            globs[f"h{index}"] = _on_first_use(globs, f"h{index}", self._get_hook, read_as)
            return lines + _guarded(indent, f"{value} = h{index}({value})", name)
        hook = self._get_hook(read_as)
        if hook is read_str or hook is read_bool:
            kind = "str" if hook is read_str else "bool"
            lines.append(f"{indent}if type({value}) is not {kind}: raise wrong('{name}', '{kind}', {value})")
        elif hook is read_int:
            lines.append(f"{indent}if type({value}) is not int:")
            lines += _guarded(indent + "    ", f"{value} = integer({value})", name)
        elif isinstance(hook, OpenEnumReader):
            globs[f"m{index}"] = hook.members.get
            lines += [
                f"{indent}if type({value}) is not str: raise wrong('{name}', 'str', {value})",
                f"{indent}{value} = m{index}({value}, {value})",
            ]
        else:
            globs[f"h{index}"] = hook
            lines += _guarded(indent, f"{value} = h{index}({value})", name)
        return lines


def _guarded(indent: str, statement: str, name: str) -> list[str]:
    return [
        f"{indent}try:",
        f"{indent}    {statement}",
        f"{indent}except ShapeError as e:",
        f"{indent}    raise e.within('{name}') from None",
    ]


def _exact_tuple(kind: type) -> Hook:
    def structure(value: Any, _: Any = None) -> tuple[Any, ...]:
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


def _on_first_use(globs: dict[str, Any], key: str, get_hook: Callable[[Any], Hook], tp: Any) -> Hook:
    """A stand-in that finds the nested hook when first needed, then puts it in its place."""

    def first_use(value: Any) -> Any:
        hook = globs[key] = get_hook(tp)
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
