"""Value semantics (==, hash, repr) for attrs classes, written once instead of generated per class.

attrs compiles an __eq__, __hash__ and __repr__ for every class it builds;
with some forty classes that is a noticeable share of import time, paid by
every cold start. These generic versions read the fields attrs records, honour
each field's `eq` and `repr` settings, and cost nothing at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from attrs import fields

from ._redact import scrub


class Value:
    """Compare, hash and show an attrs instance by its fields."""

    __slots__ = ()

    def _eq_values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, a.name) for a in fields(type(self)) if a.eq)  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._eq_values() == other._eq_values()

    def __hash__(self) -> int:
        return hash((self.__class__, self._eq_values()))

    def __repr__(self) -> str:
        shown = []
        for a in fields(type(self)):  # type: ignore[arg-type]
            if a.repr is False:
                continue
            value = getattr(self, a.name)
            shown.append(f"{a.name}={a.repr(value) if callable(a.repr) else _shown(value)}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Pretty printers (hypothesis' falsifying examples, IPython) would
        # otherwise show an attrs instance field by field, bypassing __repr__.
        printer.text(repr(self))


def _shown(value: object) -> str:
    # A server may echo a card number in any text it sends back (a label, a
    # metadata key or value), so what a model shows is scrubbed: text before
    # it is quoted (a repr escapes separators such as a no-break space), and
    # containers item by item. Nested models scrub their own fields; dates and
    # flags cannot hold a secret.
    if type(value) is str:
        return repr(scrub(value))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_shown(key)}: {_shown(item)}" for key, item in value.items()) + "}"
    if type(value) is tuple:
        items = [_shown(item) for item in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if value is None or isinstance(value, (Value, bool, date)):
        return repr(value)
    return scrub(repr(value))
