"""The root of the error tree and ValidationError, in a leaf module.

`gr4vy_fn.errors` holds the whole tree and is where users import from; these
two live apart so that the value types it builds on (`Timeout` in `_http`)
can raise ValidationError without importing `errors`, which imports them.
"""

from __future__ import annotations

from typing import Any

import attrs
from attrs import define

from ._value import Value


@define(eq=False, repr=False, auto_exc=False)
class Gr4vyError(Value, Exception):
    """The root of every error this package returns or raises; compared by value, and hashable."""

    __module__ = "gr4vy_fn.errors"  # where users import it from, and where tracebacks should point

    def __str__(self) -> str:
        return repr(self)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle by `args`, which holds none of these keyword-only fields.
        fields = {field.name: getattr(self, field.name) for field in attrs.fields(type(self)) if field.init}
        return (_rebuilt, (type(self), fields))


def _rebuilt(cls: type[Gr4vyError], fields: dict[str, Any]) -> Gr4vyError:
    return cls(**fields)


class ValidationError(ValueError, Gr4vyError):
    """Invalid input, raised before sending: names the field path and the rule, never the value."""

    __module__ = "gr4vy_fn.errors"

    def __init__(self, path: str, rule: str) -> None:
        ValueError.__init__(self, f"{path}: {rule}" if path else rule)
        self.path = path
        self.rule = rule

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[type[ValidationError], tuple[str, str]]:
        return (type(self), (self.path, self.rule))  # args holds the message, not the two arguments

    def __repr__(self) -> str:
        return f"ValidationError(path={self.path!r}, rule={self.rule!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ValidationError):
            return (self.path, self.rule) == (other.path, other.rule)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.path, self.rule))
