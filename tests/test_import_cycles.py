"""The package's modules import each other without cycles, so each can be read and changed on its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gr4vy_fn

PACKAGE = Path(gr4vy_fn.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(name: str, path: Path) -> set[str]:
    """The package's modules that `name` imports anywhere: in functions and under TYPE_CHECKING too."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in MODULES else source)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {module for module in found if module in MODULES and module != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle as a path (first module repeated at the end), or None."""
    done: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()

    def walk(module: str) -> list[str] | None:
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target in on_stack:
                return [*stack[stack.index(target) :], target]
            if target not in done and (cycle := walk(target)):
                return cycle
        stack.pop()
        on_stack.discard(module)
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done and (cycle := walk(module)):
            return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    """No chain of imports (module level, in functions, for types) leads a module back to itself."""
    graph = {name: imported(name, path) for name, path in MODULES.items()}
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_walk_sees_imports_inside_functions_and_finds_a_cycle() -> None:
    """The checker itself: an import inside a function counts, and a two-module loop is reported."""
    assert "gr4vy_fn.testing" in imported("gr4vy_fn._cli", MODULES["gr4vy_fn._cli"])
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_signing_is_a_leaf() -> None:
    """The signing module imports nothing of the package: config and auth both use it without a loop."""
    assert imported("gr4vy_fn.config._signing", MODULES["gr4vy_fn.config._signing"]) == set()
    assert imported("gr4vy_fn.testing._server", MODULES["gr4vy_fn.testing._server"]) <= {
        "gr4vy_fn._http",
        "gr4vy_fn.errors",
    }


_A_GET_IN_A_FRESH_PYTHON = """
import http.server, json, sys, threading

class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"type": "checkout-session", "id": "s1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
threading.Thread(target=server.serve_forever, daemon=True).start()
import gr4vy_fn
config = gr4vy_fn.Config(server_url=f"http://127.0.0.1:{server.server_port}", bearer_token="t")
assert gr4vy_fn.unwrap(gr4vy_fn.get_checkout_session("s1", config=config)).id == "s1"
print("\\n".join(sorted(name for name in sys.modules if name.split(".")[0] == "gr4vy_fn")))
"""


def test_import_and_one_get_load_at_most_30_of_the_package_modules() -> None:
    """`import gr4vy_fn` and one sync get on the default transport load at most 30 of its modules."""
    # Run here, not queued in the background as FreshPython runs are: it would take a core from
    # the deadline tests running meanwhile.
    run = [sys.executable, "-c", _A_GET_IN_A_FRESH_PYTHON]
    loaded = subprocess.run(run, capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert "gr4vy_fn.transports._connections" in loaded  # the get ran on the default transport
    assert len(loaded) <= 30, loaded
