"""The docs and the README: every example runs, every relative link resolves, the reference is current."""

from __future__ import annotations

import configparser
import contextlib
import inspect
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mypy.api
import pytest
import reference
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gr4vy_fn.testing import Emulator
from gr4vy_fn.testing.pytest_plugin import emulator_environment

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


def run_test_functions(namespace: dict[str, Any]) -> None:
    """Call the example's pytest-style tests, giving each a fresh gr4vy_emulator as the plugin would."""
    for name, function in list(namespace.items()):
        if not (name.startswith("test_") and callable(function)):
            continue
        assert list(inspect.signature(function).parameters) == ["gr4vy_emulator"], name
        with emulator_environment() as served:
            function(served)


@pytest.mark.parametrize("page", [p for p in PAGES if examples(p)], ids=lambda p: p.name)
def test_every_example_runs(page: Path, account: Emulator) -> None:
    """The page's python examples run in order, as one script, against the emulator."""
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem}"}
    for line, source in examples(page):
        code = compile("\n" * (line - 1) + source, str(page), "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation
    run_test_functions(namespace)


def as_one_module(page: Path) -> str:
    """The page's python examples as the one script they form, each line at its line in the page."""
    lines = [""] * page.read_text(encoding="utf-8").count("\n")
    for start, source in examples(page):
        for offset, line in enumerate(source.splitlines()):
            lines[start - 1 + offset] = line
    return "\n".join(lines) + "\n"


def test_every_example_type_checks(tmp_path: Path) -> None:
    """Every page's python examples pass mypy --strict, all pages in one mypy run (so it stays fast).

    A page's examples form one script, as a reader runs them, and a later example may reuse a
    name an earlier one bound to another type: the only leniency is allow_redefinition there.
    """
    modules = {f"docs_{page.stem}": page for page in PAGES if examples(page)}
    for name, page in modules.items():
        (tmp_path / f"{name}.py").write_text(as_one_module(page), encoding="utf-8")
    project = configparser.ConfigParser()
    project.read(ROOT / "setup.cfg", encoding="utf-8")
    config = configparser.ConfigParser()
    config["mypy"] = {**project["mypy"], "cache_dir": str(ROOT / ".mypy_cache")}
    config[f"mypy-{','.join(modules)}"] = {"allow_redefinition": "true"}
    with (tmp_path / "mypy.ini").open("w", encoding="utf-8") as ini:
        config.write(ini)
    files = [str(tmp_path / f"{name}.py") for name in modules]
    report, errors, status = mypy.api.run(["--config-file", str(tmp_path / "mypy.ini"), *files])
    for name, page in modules.items():
        report = report.replace(str(tmp_path / f"{name}.py"), str(page.relative_to(ROOT)))
    assert (status, errors) == (0, ""), report
    assert set(modules) >= {"docs_README", "docs_quickstart"}


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
