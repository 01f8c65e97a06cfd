"""The modules one call walks through: `get_checkout_session` on a warm default transport.

python benchmarks/walk.py

A loopback server answers the get; the call runs once to warm up, then again
under a profiler that notes each Python function of gr4vy_fn entered. Printed:
the modules in the order the call first enters each, the number of moves (a
call or return crossing into another module), and the climbs back (a move into
a module the call had already left, other than returning to its caller).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gr4vy_fn as g
from gr4vy_fn.testing import Emulator

PACKAGE = str(Path(g.__file__).parent)
TOKEN = "walk-token"  # noqa: S105 - a loopback emulator's


def walk() -> tuple[list[str], int, list[str]]:
    """The modules entered, the moves between modules, and the climbs back, of one warm get."""
    emulator = Emulator()
    with emulator.serve() as url:
        config = g.Config(server_url=url, bearer_token=TOKEN, allow_insecure_http=True)
        session = g.unwrap(g.new_checkout_session(config=config))
        g.get_checkout_session(session.id, config=config)  # warm: pool, hooks, readers made
        frames: list[str] = []

        def profile(frame: Any, event: str, _: Any) -> None:
            filename = frame.f_code.co_filename
            if event in ("call", "return") and filename.startswith(PACKAGE) and "testing" not in filename:
                module = filename[len(PACKAGE) + 1 :].removesuffix(".py").replace("/", ".")
                if event == "call":
                    frames.append(module)
                else:
                    frames.append("<return>")

        sys.setprofile(profile)
        try:
            g.get_checkout_session(session.id, config=config)
        finally:
            sys.setprofile(None)
    return summarize(frames)


def summarize(events: list[str]) -> tuple[list[str], int, list[str]]:
    """From call and return events, the order of modules, the moves and the climbs back."""
    stack: list[str] = []
    here: str | None = None
    order: list[str] = []
    left: set[str] = set()
    moves = 0
    climbs: list[str] = []
    for event in events:
        if event == "<return>":
            if stack:
                stack.pop()
            target = stack[-1] if stack else None
            returning = True
        else:
            stack.append(event)
            target = event
            returning = False
        if target is None or target == here:
            continue
        moves += 1
        if target in left and not returning:
            climbs.append(f"{here} -> {target}")
        if here is not None:
            left.add(here)
        if target not in order:
            order.append(target)
        here = target
    return order, moves, climbs


if __name__ == "__main__":
    modules, moves, climbs = walk()
    seen = {"modules": modules, "count": len(modules), "moves": moves, "climbs back": climbs}
    print(json.dumps(seen, indent=2))
