"""What building, checking and writing a 20-item create body costs, part by part, in instructions.

    python benchmarks/create_parts.py

Each part runs 300 and then 100 times in a fresh interpreter under callgrind
(gr4vy_fn from the byte-compiled copy `run.py` uses); printed: the
instructions of one run of it, the difference over 200. The bare client of
`run.py` pays for the item dicts and `json.dumps` too; the rest is the price
of the models and their rules.
"""

from __future__ import annotations

import sys

import instructions
import run

PARTS = {
    "the 20 item dicts": "[cart_item(n) for n in range(20)]",
    "20 CartItem models, rules checked": "[CartItem(**cart_item(n)) for n in range(20)]",
    "20 CartItem models, rules not checked": "[Unchecked(**cart_item(n)) for n in range(20)]",
    "the body written as dicts": "converter.unstructure(body)",
    "json.dumps of those dicts": "json.dumps(written, separators=(',', ':'), ensure_ascii=False)",
}

SETUP = """
import json, sys
sys.path.insert(0, {here!r})
from clients import cart_item
from gr4vy_fn import CartItem, CheckoutSessionCreateRequest
from gr4vy_fn.answer._converter import converter


class Unchecked(CartItem):
    __slots__ = ()

    def __attrs_post_init__(self):
        pass


body = CheckoutSessionCreateRequest(cart_items=[CartItem(**cart_item(n)) for n in range(20)])
written = converter.unstructure(body)
for _ in range({times}):
    {part}
"""


def cost(part: str, env: run.Env) -> int:
    """The instructions one run of `part` costs: 300 runs less 100, over 200."""
    many, few = (
        instructions.instructions(["-c", SETUP.format(here=str(run.HERE), times=times, part=part)], env)
        for times in (300, 100)
    )
    return (many - few) // 200


def main() -> None:
    with run.compiled_package() as (env, _):
        for name, part in PARTS.items():
            print(f"{name:>40}: {cost(part, env):>9,} instructions", flush=True)


if __name__ == "__main__":
    sys.exit(main())
