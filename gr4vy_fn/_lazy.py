"""Classes made on first use: a module's `__getattr__` for them, and reading annotations that name them.

The buyer, airline and secure-fields models are created only when something
first asks for them: most calls never do, and each attrs class costs a cold
start about a third of a millisecond. `made_on_first_use` gives a module the
`__getattr__` and `__dir__` that import them when asked (PEP 562);
`field_types` reads a model's field types without making them, each name not
made yet standing as a `Later` class until `made` is asked for the real one.
"""

from __future__ import annotations

import functools
import importlib
import sys
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs


def made_on_first_use(
    module_name: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the `__getattr__` and `__dir__` of module `module_name`.

    `homes` maps each name made on first use to the module defining it (relative
    to the package). `__getattr__` imports it, keeps it, and every other name of
    that home made by then, as plain attributes of the module from then on, and
    raises AttributeError for any other name.
    """
    module = sys.modules[module_name]

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            msg = f"module {module_name!r} has no attribute {name!r}"
            raise AttributeError(msg)
        found = importlib.import_module(home, module.__package__)
        value = getattr(found, name)
        # Every name of that home made by now, not this one only: the annotations of the classes
        # made are read in this module's namespace (it is their `__module__`), and name each other.
        made_now = {each: vars(found)[each] for each in homes if homes[each] == home and each in vars(found)}
        _publish(module, {**made_now, name: value})
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(module), *homes})

    return __getattr__, __dir__


def _publish(module: Any, names: dict[str, Any]) -> None:
    """Make `names` attributes of `module`: made once, later look-ups find the attributes themselves."""
    space = vars(module)
    space.update(names)
    # attrs evaluates an `__init__`'s annotations (inspect.signature(cls, eval_str=True)) in a
    # copy of its module's namespace taken when the class was made: the names made since go there too.
    for value in list(space.values()):
        if isinstance(value, type) and attrs.has(value) and value.__module__ == module.__name__:
            init_space = getattr(value.__init__, "__globals__", space)
            if init_space is not space:
                init_space.update(names)


class Later:
    """The base of the stand-ins for classes not made yet (see `later`)."""


@functools.cache
def later(module_name: str, name: str) -> type[Later]:
    """The stand-in for class `name` of module `module_name`, which that module makes on first use."""
    return type(name, (Later,), {"__module__": module_name})


def is_later(tp: Any) -> bool:
    """Whether type `tp` is a stand-in."""
    return isinstance(tp, type) and issubclass(tp, Later)


def made(tp: Any) -> Any:
    """The class a stand-in stands for, made now; any other type as it is."""
    return getattr(sys.modules[tp.__module__], tp.__name__) if is_later(tp) else tp


def names_later(tp: Any) -> bool:
    """Whether type `tp` is, or holds, a stand-in."""
    return is_later(tp) or any(names_later(arg) for arg in typing.get_args(tp))


class _NotMadeYet(dict[str, Any]):
    """An annotation's names that its module makes on first use and has not made: each a stand-in."""

    def __init__(self, module: Any) -> None:
        super().__init__()
        self._module = module
        self._names = set(dir(module)) - set(vars(module))

    def __missing__(self, name: str) -> Any:
        if name not in self._names:
            raise KeyError(name)  # then the module's globals and the builtins, as usual
        return later(self._module.__name__, name)


def field_types(cls: type) -> dict[str, Any]:
    """The type of each field of attrs class `cls`, by name, without making what its module makes
    on first use: a name not made yet stands as a `Later` class."""
    module = sys.modules[cls.__module__]
    names = _NotMadeYet(module)
    return {
        field.name: eval(field.type, vars(module), names) if isinstance(field.type, str) else field.type  # noqa: S307 - the class's own annotation
        for field in attrs.fields(cls)
    }
