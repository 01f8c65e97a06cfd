"""The docs and the README: every example runs, every relative link resolves, the reference is current."""

from __future__ import annotations

import contextlib
import inspect
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reference
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gr4vy_fn.testing import Emulator, ServedEmulator
from gr4vy_fn.testing.pytest_plugin import TOKEN

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def examples(page: Path) -> list[tuple[int, str]]:
    """The page's fenced python blocks, with the line each starts on."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in FENCE.finditer(text)]


@pytest.fixture(scope="module")
def private_key() -> str:
    key = ec.generate_private_key(ec.SECP521R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def account(private_key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """What a reader has: GR4VY_* set for an account (here the emulator) and private_key.pem at hand."""
    emulator = Emulator()
    with emulator.serve() as url:
        for name in ("GR4VY_ID", "GR4VY_BEARER_TOKEN", "GR4VY_PRIVATE_KEY_FILE", "GR4VY_MERCHANT_ACCOUNT_ID"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GR4VY_SERVER_URL", url)
        monkeypatch.setenv("GR4VY_PRIVATE_KEY", private_key)
        (tmp_path / "private_key.pem").write_text(private_key)
        monkeypatch.chdir(tmp_path)
        with logging_restored():
            yield emulator


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


def run_test_functions(namespace: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Call the example's pytest-style tests, giving each a fresh gr4vy_emulator as the plugin would."""
    for name, function in list(namespace.items()):
        if not (name.startswith("test_") and callable(function)):
            continue
        assert list(inspect.signature(function).parameters) == ["gr4vy_emulator"], name
        emulator = Emulator(bearer_token=TOKEN)
        with emulator.serve() as url, monkeypatch.context() as patch:
            patch.delenv("GR4VY_PRIVATE_KEY", raising=False)
            patch.setenv("GR4VY_SERVER_URL", url)
            patch.setenv("GR4VY_BEARER_TOKEN", TOKEN)
            import gr4vy_fn

            function(ServedEmulator(emulator=emulator, config=gr4vy_fn.Config.from_env(), url=url))


@pytest.mark.parametrize("page", [p for p in PAGES if examples(p)], ids=lambda p: p.name)
def test_every_example_runs(page: Path, account: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's python examples run in order, as one script, against the emulator."""
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem}"}
    for line, source in examples(page):
        code = compile("\n" * (line - 1) + source, str(page), "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation
    run_test_functions(namespace, monkeypatch)


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
