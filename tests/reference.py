"""Render docs/reference.md from the code: every public name with the first line of its docstring.

python tests/reference.py            # rewrite docs/reference.md
python tests/reference.py --check    # exit 1, saying so, if docs/reference.md is not current
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference.md"
MODULES = {
    "gr4vy_fn": "Everything below is importable from `gr4vy_fn`.",
    "gr4vy_fn.aio": "The calls under asyncio, and the async transports (the `aiohttp` and `httpx` extras).",
    "gr4vy_fn.operations": "Pure request builders: no I/O.",
    "gr4vy_fn.transports": "The transports: the only code that does I/O.",
    "gr4vy_fn.retry": "The retry policy and its pure decision.",
    "gr4vy_fn.hooks": "Hooks told of each call, attempt and result, and their events.",
    "gr4vy_fn.otel": "OpenTelemetry spans and the request-duration histogram (the `otel` extra).",
    "gr4vy_fn.defaults": "The Config and transports of calls given none, and how tests replace them.",
    "gr4vy_fn.auth": "Signed tokens (the `jwt` extra).",
    "gr4vy_fn.testing": "The emulator and its pytest fixture.",
    "gr4vy_fn.testing.aio": "The emulator for async tests.",
}


def summary(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def render() -> str:
    lines = [
        "# Reference",
        "",
        "Every public name, with the first line of its docstring. Generated from the code by",
        "`python tests/reference.py`; a test fails when this page and the code disagree.",
    ]
    for module_name, intro in MODULES.items():
        module = importlib.import_module(module_name)
        lines += ["", f"## `{module_name}`", "", intro, "", "| name | what it is |", "| --- | --- |"]
        for name in sorted(module.__all__, key=str.lower):
            obj = getattr(module, name)
            top = importlib.import_module("gr4vy_fn")
            if module_name != "gr4vy_fn" and getattr(top, name, None) is obj:
                text = "see `gr4vy_fn`"
            elif name == "__version__":
                text = "the package's version"
            elif name == "CLEAR":
                text = "the value that sends a nullable request field as null (None leaves it out)"
            elif name == "ErrorValue":
                text = "what a call returns instead of its value: an API, response or transport error"
            else:
                text = summary(obj)
            lines.append(f"| `{name}` | {text} |")
    lines.append("")
    lines.append("Error classes are described in [errors and retries](errors.md).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        if REFERENCE.read_text(encoding="utf-8") != render():
            sys.exit(f"{REFERENCE} is not current: run `python tests/reference.py` and commit the result")
    else:
        REFERENCE.write_text(render(), encoding="utf-8")
