"""Wire rules for request models, declared beside each field as its metadata; no I/O.

Also what every model module shares (`CLEAR`, `WireEnum`, the common rules, `shown_in_models`): a
leaf, so the model modules need not import the package, which imports them.

A check is a function `(value, path) -> None` that raises ValidationError; `field(metadata=rule(check))`
declares it, and `Checked` models apply their fields' rules when built, through a function generated
per class on first use (metadata rather than attrs validators, which would compile a call per field
into each `__init__` at every cold start). Messages name the field path and the rule broken, never the
value, which may be a card number or security code.
"""

from __future__ import annotations

import linecache
import math
import re
import sys
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, NoReturn, TypeVar, final

import attrs

from .._value import Value
from ..errors import ValidationError


@final
class Clear:
    """The type of `CLEAR`, its only instance."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "CLEAR"

    def __reduce__(self) -> str:
        return "CLEAR"  # pickled and copied as the module's one instance


CLEAR = Clear()
"""Give this to a nullable field of an update body to send `null` and clear the field on the server.

None leaves a field out of the body; `CLEAR` writes it as `null`.
"""


Check = Callable[[Any, str], None]
T = TypeVar("T")

MAX_INT = 99_999_999
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _type_name(value: object) -> str:
    return type(value).__name__


def _fail(path: str, rule: str) -> NoReturn:
    raise ValidationError(path, rule)


def passes(
    check: Check, test: str, made: Callable[[], dict[str, object]] | None = None, **names: object
) -> Check:
    """Give `check` the test a valid value passes at once, for the generated code of `Checked`; return it.

    `test` is an expression of the value `v`; `{name}` in it stands for `names[name]`, or for that of
    the dict `made()` returns when the code is generated (a compiled pattern, made only if needed).
    `check` is called (to say which rule failed) only when `test` fails: both accept the same values.
    """
    check.passes = (test, names, made)  # type: ignore[attr-defined]
    return check


def quick_test(check: Check, suffix: str = "") -> tuple[str, dict[str, object]] | None:
    """The expression of `v` given to `check` by `passes`, and the objects it names (each name
    ending in `suffix`, so that several can share a namespace); None for a check without one."""
    if not hasattr(check, "passes"):
        return None
    expression, names, made = check.passes
    if made is not None:
        names = {**names, **made()}
    renamed = {name: f"{name}{suffix}" for name in names}
    return expression.format(**renamed), {renamed[name]: value for name, value in names.items()}


def rule(check: Check, *, clearable: bool = False) -> dict[str, Any]:
    """The metadata declaring a field's wire rule: `check`, and whether `CLEAR` may stand for a value."""
    return {"rule": (check, clearable)}


class Checked(Value):
    """A request model: once attrs has set the fields, each field's declared rule is checked.

    None passes, unless the field has no default (then it "is required");
    `CLEAR` passes where the field's rule allows it.
    """

    __slots__ = ()

    def __attrs_post_init__(self) -> None:
        cls = type(self)
        check = _CHECKERS.get(cls)
        if check is None:
            check = _CHECKERS[cls] = _checker_of(cls)
        try:
            check(self)
        except ValidationError as error:
            broken = error
        else:
            return
        # The checks' frames hold the value (a card number, maybe): the error is
        # raised again from here, a frame that never held it, without them.
        raise broken.with_traceback(None)


_CHECKERS: dict[type, Callable[[Any], None]] = {}


def _checker_of(cls: type) -> Callable[[Any], None]:
    """Generate the function checking `cls`'s field rules: straight-line code, for a loop over the fields
    made building a 20-item create request some 50% slower."""
    globs: dict[str, Any] = {"fail": _fail, "CLEAR": CLEAR}
    lines = ["def check(self):"]
    for index, field in enumerate(attrs.fields(cls)):
        if "rule" not in field.metadata:
            continue
        check, clearable = field.metadata["rule"]
        globs[f"c{index}"] = check
        path = f"{cls.__name__}.{field.name}"
        lines.append(f"    v = self.{field.name}")
        if field.default is attrs.NOTHING:
            lines.append(f"    if v is None: fail({path!r}, 'is required')")
        test = "v is not None and v is not CLEAR" if clearable else "v is not None"
        quick = quick_test(check, str(index))
        if quick is not None:
            expression, names = quick
            globs.update(names)
            test += f" and not ({expression})"
        lines.append(f"    if {test}: c{index}(v, {path!r})")
    lines.append("    return")
    check = compiled(lines, f"<gr4vy_fn rules {cls.__qualname__}>", globs, "check")
    return typing.cast(Callable[[Any], None], check)


def compiled(lines: list[str], filename: str, globs: dict[str, Any], name: str) -> object:
    """Run generated source (a function `name` defined by `lines`) in `globs`; return the function.

    Shared by the rule checks here and the readers of answer._readers (different functions from
    different inputs, both needed for speed). The source goes to linecache, for tracebacks.
    """
    source = "\n".join(lines) + "\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), globs)  # noqa: S102 - our own generated source
    return globs[name]


def _plain_text(value: str) -> bool:
    """Say whether `value` is ASCII without NUL, the text every rule accepts without a closer look."""
    return value.isascii() and "\x00" not in value


def _text_ok(value: str, path: str) -> None:
    if "\x00" in value:
        _fail(path, "must not contain NUL characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            _fail(path, "must be valid Unicode text (no lone surrogates)")


def text(min_length: int = 1, max_length: int | None = None, pattern: str | None = None) -> Check:
    """A string of `min_length..max_length` characters, fully matching `pattern`."""
    bounds = f"{min_length}..{max_length}" if max_length is not None else f"at least {min_length}"
    longest = sys.maxsize if max_length is None else max_length

    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            _fail(path, f"must be a string, not {_type_name(value)}")
        if not (min_length <= len(value) <= longest):
            _fail(path, f"must have {bounds} characters")
        _text_ok(value, path)
        # re.fullmatch compiles the pattern on the first failure only (re keeps it): none at import.
        if pattern and re.fullmatch(pattern, value) is None:
            _fail(path, f"must match {pattern}")

    length = f"len(v) >= {min_length}" if max_length is None else f"{min_length} <= len(v) <= {max_length}"
    test = f"type(v) is str and {length} and v.isascii() and '\\x00' not in v"
    if not pattern:
        return passes(check, test)
    test += " and {fullmatch}(v) is not None"
    return passes(check, test, made=lambda: {"fullmatch": re.compile(pattern).fullmatch})


def integer(minimum: int = 0, maximum: int = MAX_INT) -> Check:
    """An int (not a bool) in `minimum..maximum`."""

    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(path, f"must be an integer, not {_type_name(value)}")
        if not minimum <= value <= maximum:
            _fail(path, f"must be in {minimum}..{maximum}")

    return passes(check, f"type(v) is int and {minimum} <= v <= {maximum}")


def number(minimum: float, maximum: float) -> Check:
    """A finite int or float (not a bool) in `minimum..maximum`."""

    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _fail(path, f"must be a number, not {_type_name(value)}")
        if not math.isfinite(value) or not minimum <= value <= maximum:
            _fail(path, f"must be a finite number in {minimum:g}..{maximum:g}")

    return check


def _boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        _fail(path, f"must be true or false, not {_type_name(value)}")


boolean = passes(_boolean, "type(v) is bool")
"""A bool."""


def one_of(enum: type[Enum]) -> Check:
    """A member (or the value) of `enum`."""
    values = frozenset(member.value for member in enum)

    def check(value: Any, path: str) -> None:
        if not isinstance(value, str) or value not in values:
            _fail(path, f"must be one of the {enum.__name__} values")

    return passes(check, "isinstance(v, str) and v in {values}", values=values)


def instance(*classes: type) -> Check:
    """An instance of one of the model `classes` (validated when it was built)."""
    names = " or ".join(cls.__name__ for cls in classes)

    def check(value: Any, path: str) -> None:
        if not isinstance(value, classes):
            _fail(path, f"must be a {names}, not {_type_name(value)}")

    return passes(check, "isinstance(v, {classes})", classes=classes)


def items(check_item: Check, max_items: int | None = None) -> Check:
    """A tuple whose items each pass `check_item`."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, tuple):
            _fail(path, f"must be a list, not {_type_name(value)}")
        if max_items is not None and len(value) > max_items:
            _fail(path, f"must have at most {max_items} items")
        index = 0
        try:
            for index, item in enumerate(value):  # noqa: B007 - `index` names the item that failed
                check_item(item, path)
        except ValidationError as exc:
            # The item's path is built only now: `path[3]`, then whatever the item's rule added.
            raise ValidationError(f"{path}[{index}]{exc.path[len(path) :]}", exc.rule) from None

    if not hasattr(check_item, "passes"):
        return check
    # Each item's own test, in a comprehension of the generated code: a cart's items (and each
    # item's categories) pass without a call per item.
    item_test, names, made = check_item.passes
    most = "" if max_items is None else f" and len(v) <= {max_items}"
    return passes(check, f"type(v) is tuple{most} and all([({item_test}) for v in v])", made, **names)


def string_map(value: Any, path: str) -> None:
    """A mapping of strings to strings."""
    if isinstance(value, Mapping) and all(
        type(key) is str and type(item) is str and _plain_text(key) and _plain_text(item)
        for key, item in value.items()
    ):
        return  # the common case, passed without building a path per key
    if not isinstance(value, Mapping):
        _fail(path, f"must be a mapping of strings to strings, not {_type_name(value)}")
    for key, item in value.items():
        if not isinstance(key, str):
            _fail(path, f"keys must be strings, not {_type_name(key)}")
        _text_ok(key, path)
        if not isinstance(item, str):
            _fail(f"{path}[{key!r}]", f"must be a string, not {_type_name(item)}")
        _text_ok(item, f"{path}[{key!r}]")


def timestamp(value: Any, path: str) -> None:
    """A timezone-aware datetime."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        _fail(path, "must be a datetime with a time zone")


def day(value: Any, path: str) -> None:
    """A date (not a datetime)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        _fail(path, "must be a date")


def to_tuple(value: Iterable[T] | None) -> tuple[T, ...] | None:
    """Turn any iterable but a string or mapping into a tuple (models hold tuples); keep None and CLEAR."""
    if type(value) is list:  # the common case, without the Mapping test below (an ABC's, slow)
        return tuple(value)
    if value is None or value is CLEAR or isinstance(value, tuple):  # type: ignore[comparison-overlap]
        return value
    if isinstance(value, (str, bytes, Mapping)):
        return value  # type: ignore[return-value]  # refused by the items() check
    return tuple(value)


class FrozenMap(dict[str, str]):
    """A dict of strings that cannot be changed, so the model holding it is hashable."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[type[FrozenMap], tuple[dict[str, str]]]:
        return (FrozenMap, (dict(self),))  # rebuilt whole: pickle would otherwise set items one by one

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        msg = "this mapping is read-only: build a new model (attrs.evolve) to change it"
        raise TypeError(msg)

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only


def to_frozen_map(value: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """Copy a mapping into a FrozenMap, so a model never shares it with the caller."""
    if value is None or value is CLEAR or type(value) is FrozenMap or not isinstance(value, Mapping):  # type: ignore[comparison-overlap]
        return value
    return FrozenMap(value)


class WireEnum(str, Enum):
    """A str enum whose str() and format() give the wire value, as JSON does."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


COUNTRY = text(pattern="[A-Z]{2}")
ANY_TEXT = text(min_length=0)  # the schemas set no length for these
PHONE = text(pattern=r"\+[1-9][0-9]{1,14}")
AMOUNT = integer()


def shown_in_models(*classes: type) -> None:
    """Give each of `classes` the module users import it from, `gr4vy_fn.models`, as its `__module__`:
    repr, pydoc, errors and pickles name it, and annotations are read in its namespace."""
    for cls in classes:
        cls.__module__ = __package__  # gr4vy_fn.models


shown_in_models(WireEnum)
