"""What the models share: the str enum of wire values, the wire rules several of them use, and their module.

A leaf, so the modules of the buyer, airline and secure-fields models need
not import the package, which imports them.
"""

from __future__ import annotations

from enum import Enum

from ._rules import integer, text


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
    """Give each of `classes` the module users import it from, `gr4vy_fn.models`, as its `__module__`.

    For the classes defined in the package's private modules: repr, pydoc, error
    messages and pickles name the public module, and their annotations are read
    in its namespace.
    """
    for cls in classes:
        cls.__module__ = __package__  # gr4vy_fn.models


shown_in_models(WireEnum)
