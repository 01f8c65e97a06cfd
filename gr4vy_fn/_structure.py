"""Structuring hooks for reading responses: one lean, generated function per model class.

cattrs' general-purpose generated code calls a hook per field and collects
errors field by field; answers are read on every call, so these hooks check
primitive fields inline, call nested hooks only for nested shapes, and stop at
the first wrong type with its path (`$.cart_items[3].quantity`). Instances are
built without `__init__`, whose rules are for requests. Request models
read from JSON (the emulator, the command line) keep cattrs' own hooks.
"""

from __future__ import annotations

import linecache
import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

import attrs

Hook = Callable[[Any, Any], Any]
_PRIMITIVES = (str, int, bool)


class ShapeError(Exception):
    """A response value of the wrong type or shape, at a path into the JSON."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def within(self, segment: str) -> ShapeError:
        """Return this error with `segment` (a field name or `[index]`) in front of its path."""
        joined = segment + ("" if not self.path or self.path.startswith("[") else ".") + self.path
        return ShapeError(joined, self.problem)

    def __str__(self) -> str:
        path = self.path if self.path.startswith("[") or not self.path else "." + self.path
        return f"${path}: {self.problem}"


def _wrong(field: str, expected: str, value: object) -> ShapeError:
    return ShapeError(field, f"expected {expected}, got {type(value).__name__}")


def _missing(field: str) -> Any:
    raise ShapeError(field, "is required")


def _nested_failure(field: str, exc: Exception) -> ShapeError:
    if isinstance(exc, ShapeError):
        return exc.within(field)
    return ShapeError(field, str(exc) or type(exc).__name__)


def optional_of(tp: Any) -> Any:
    """Return X for an `X | None` annotation, else None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    return args[0] if args[1] is type(None) else args[1]


def open_enum(tp: Any) -> type[Enum] | None:
    """Return E for an `E | str` or `E | str | None` annotation, the shape of every enum field."""
    args = [arg for arg in typing.get_args(tp) if arg is not type(None)]
    if len(args) == 2 and str in args:
        other = args[0] if args[1] is str else args[1]
        if isinstance(other, type) and issubclass(other, Enum):
            return other
    return None


def _resolved_on_first_use(globs: dict[str, Any], key: str, nested: Callable[[Any], Hook], tp: Any) -> Hook:
    """A stand-in that makes the nested hook when first needed (most answers never need
    the airline or buyer shapes), then puts it in its place."""

    def first_use(value: Any, _: Any) -> Any:
        hook = globs[key] = nested(tp)
        return hook(value, _)

    return first_use


def _setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """The fastest way to set field `name` on a new instance of frozen `cls`: its slot's own setter."""
    slot = getattr(cls, name, None)
    if type(slot).__name__ == "member_descriptor":
        return typing.cast(Callable[[Any, Any], None], slot.__set__)  # type: ignore[union-attr]
    return lambda instance, value: object.__setattr__(instance, name, value)


def model_hook(cls: type, nested: Callable[[Any], Hook]) -> Hook:
    """Generate the structuring function for attrs class `cls`; `nested(type)` gives other hooks."""
    attrs.resolve_types(cls)
    globs: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "wrong": _wrong,
        "missing": _missing,
        "failure": _nested_failure,
    }
    lines = [
        "def structure(o, _):",
        "    if type(o) is not dict:",
        "        raise wrong('', 'an object', o)",
        "    get = o.get",
    ]
    assignments = []
    for index, field in enumerate(attrs.fields(cls)):
        name, value = field.name, f"v{index}"
        if not field.init:
            globs[f"d{index}"] = field.default
            globs[f"s{index}"] = _setter(cls, name)
            assignments.append(f"    s{index}(o, d{index})")
            continue
        inner = optional_of(field.type)
        nullable = inner is not None
        inner = inner if nullable else field.type
        if field.default is attrs.NOTHING:
            lines.append(f"    {value} = o['{name}'] if '{name}' in o else missing('{name}')")
        elif field.default is None:
            lines.append(f"    {value} = get('{name}')")
        else:
            # A null where the class has a default (a `type` tag, say) means the default.
            globs[f"d{index}"] = field.default
            lines.append(f"    {value} = get('{name}')")
            lines.append(f"    if {value} is None: {value} = d{index}")
        enum = open_enum(field.type)
        if inner in _PRIMITIVES:
            test = f"type({value}) is not {inner.__name__}"
            if nullable:
                test = f"{value} is not None and {test}"
            lines.append(f"    if {test}: raise wrong('{name}', '{inner.__name__}', {value})")
        elif enum is not None:
            # Known values become members; an unknown one stays a str (the API adds values).
            globs[f"m{index}"] = {member.value: member for member in enum}.get
            indent = "    "
            if type(None) in typing.get_args(field.type):
                lines.append(f"    if {value} is not None:")
                indent = "        "
            lines += [
                f"{indent}member = m{index}({value})",
                f"{indent}if member is not None: {value} = member",
                f"{indent}elif type({value}) is not str: raise wrong('{name}', 'str', {value})",
            ]
        else:
            globs[f"h{index}"], globs[f"t{index}"] = (
                _resolved_on_first_use(globs, f"h{index}", nested, inner),
                inner,
            )
            indent = "    "
            if nullable:
                lines.append(f"    if {value} is not None:")
                indent = "        "
            lines += [
                f"{indent}try:",
                f"{indent}    {value} = h{index}({value}, t{index})",
                f"{indent}except Exception as e:",
                f"{indent}    raise failure('{name}', e) from None",
            ]
        globs[f"s{index}"] = _setter(cls, name)
        assignments.append(f"    s{index}(o, {value})")
    # The instance is built without __init__: what the server sends is not held to the
    # request-side rules __init__ applies, and skipping it halves the cost of a large cart.
    lines += ["    o = new(cls)", *assignments, "    return o"]
    source = "\n".join(lines) + "\n"
    filename = f"<gr4vy_fn structure {cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), globs)  # noqa: S102 - our own generated source
    return typing.cast(Hook, globs["structure"])


def tuple_hook(item: Hook, item_type: Any) -> Hook:
    """Structure a JSON list into a tuple, naming the index of the first bad item."""
    if item_type in _PRIMITIVES:
        return _primitive_tuple_hook(item_type)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _wrong("", "a list", value)
        try:
            return tuple([item(each, item_type) for each in value])
        except Exception:  # noqa: S110 - found again below, with its index
            pass
        for index, each in enumerate(value):
            try:
                item(each, item_type)
            except Exception as exc:
                raise _nested_failure(f"[{index}]", exc) from None
        raise AssertionError  # pragma: no cover - the fast path failed, so one item fails

    return structure


def _primitive_tuple_hook(kind: type) -> Hook:
    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _wrong("", "a list", value)
        for index, each in enumerate(value):
            if type(each) is not kind:
                raise _wrong(f"[{index}]", kind.__name__, each)
        return tuple(value)

    return structure
