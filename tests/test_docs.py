"""The docs and the README: every example runs, every relative link resolves, the reference is current."""

from __future__ import annotations

import contextlib
import inspect
import logging
import re
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import reference
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from doc_examples import PAGES, TypeCheck, examples
from pytest_httpserver import HTTPServer

from gr4vy_fn.testing import Emulator
from gr4vy_fn.testing.pytest_plugin import emulator_environment

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def private_key() -> str:
    key = ec.generate_private_key(ec.SECP521R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def account(private_key: str, tmp_path: Path) -> Iterator[Emulator]:
    """What a reader has: GR4VY_* set for an account (here the emulator) and private_key.pem at hand.

    The key comes as GR4VY_PRIVATE_KEY_FILE, the harder of the two documented ways.
    """
    key_file = tmp_path / "private_key.pem"
    key_file.write_text(private_key)
    with emulator_environment(token=None) as served, pytest.MonkeyPatch.context() as patch:
        patch.setenv("GR4VY_PRIVATE_KEY_FILE", str(key_file))
        patch.chdir(tmp_path)
        with logging_restored():
            yield served.emulator


@contextlib.contextmanager
def logging_restored() -> Iterator[None]:
    """Undo what an example does to logging (levels, basicConfig's handler)."""
    root, ours = logging.getLogger(), logging.getLogger("gr4vy_fn")
    saved = (root.level, list(root.handlers), ours.level)
    try:
        yield
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        ours.setLevel(saved[2])


@contextlib.contextmanager
def http_server() -> Iterator[HTTPServer]:
    """What pytest-httpserver's `httpserver` fixture gives: a server on 127.0.0.1, checked at the end."""
    server = HTTPServer()
    server.start()
    try:
        yield server
        server.check_assertions()
    finally:
        server.clear()
        server.stop()


FIXTURES: dict[str, Callable[[], contextlib.AbstractContextManager[Any]]] = {
    "gr4vy_emulator": emulator_environment,
    "httpserver": http_server,
}
"""The fixtures an example's pytest-style test may ask for, as context managers giving what pytest would."""


def run_test_functions(namespace: dict[str, Any]) -> None:
    """Call the example's pytest-style tests, giving each the fixtures it names, fresh, as pytest would."""
    for name, function in list(namespace.items()):
        if not (name.startswith("test_") and callable(function)):
            continue
        wanted = list(inspect.signature(function).parameters)
        assert set(wanted) <= set(FIXTURES), name
        with contextlib.ExitStack() as stack:
            function(*(stack.enter_context(FIXTURES[fixture]()) for fixture in wanted))


@pytest.mark.parametrize("page", [p for p in PAGES if examples(p)], ids=lambda p: p.name)
def test_every_example_runs(page: Path, account: Emulator) -> None:
    """The page's python examples run in order, as one script, against the emulator."""
    if page.name == "testing.md" and tuple(int(n) for n in version("vcrpy").split(".")[:2]) < (9, 1):
        pytest.skip("its cassettes need vcrpy 9.1, on Python 3.11 or later")
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem}"}
    for line, source in examples(page):
        code = compile("\n" * (line - 1) + source, str(page), "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation
    run_test_functions(namespace)


def test_every_example_type_checks(docs_type_check: TypeCheck) -> None:
    """Every page's python examples pass mypy --strict, all pages in one mypy run (so it stays fast)."""
    report, errors, status = docs_type_check.result()
    assert (status, errors) == (0, ""), report
    assert set(docs_type_check.modules) >= {"docs_README", "docs_quickstart"}


def test_the_readme_and_the_guide_have_examples() -> None:
    """The README and the main guide pages hold runnable examples (so the collector finds them)."""
    pages = {p.name for p in PAGES if examples(p)}
    assert {
        "README.md",
        "quickstart.md",
        "operations.md",
        "errors.md",
        "serverless.md",
        "transports.md",
    } <= pages


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    """Every relative link points at a file that exists, and at a heading that exists."""
    text = page.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
            assert anchor in slugs, f"{page.name}: {target}"


def test_the_reference_lists_every_public_name() -> None:
    """docs/reference.md is what tests/reference.py renders from the code (run it after a change)."""
    assert reference.REFERENCE.read_text(encoding="utf-8") == reference.render()
