"""Value semantics (==, hash, repr) for attrs classes, written once instead of generated per class.

attrs compiles an __eq__, __hash__ and __repr__ for every class it builds;
with some forty classes that is a noticeable share of import time, paid by
every cold start. These generic versions read the fields attrs records, honour
each field's `eq` and `repr` settings, and cost nothing at import.
"""

from __future__ import annotations

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


def _shown(value: object) -> str:
    # A server may echo a card number in any text it sends back (a label, a
    # metadata value), so what a model shows is scrubbed. Nested values scrub
    # their own fields; dates and flags cannot hold a secret.
    if value is None or isinstance(value, (Value, bool, date)):
        return repr(value)
    return scrub(repr(value))
