"""The python examples of the README and docs/, and their type check, which runs beside the suite.

mypy over every page takes seconds of CPU (more with a cold cache), so the
suite starts it in a subprocess as soon as it knows a test will want it (see
conftest.py) and the test only collects its answer: the check overlaps the
tests that mostly wait on sockets.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def examples(page: Path) -> list[tuple[int, str]]:
    """The page's fenced python blocks, with the line each starts on."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in FENCE.finditer(text)]


def as_one_module(page: Path) -> str:
    """The page's python examples as the one script they form, each line at its line in the page."""
    lines = [""] * page.read_text(encoding="utf-8").count("\n")
    for start, source in examples(page):
        for offset, line in enumerate(source.splitlines()):
            lines[start - 1 + offset] = line
    return "\n".join(lines) + "\n"


class TypeCheck:
    """One `mypy --strict` run over every page's examples (one module per page), in a subprocess.

    A page's examples form one script, as a reader runs them, and a later example may reuse a
    name an earlier one bound to another type: the only leniency is allow_redefinition there.
    """

    def __init__(self) -> None:
        self.modules = {f"docs_{page.stem}": page for page in PAGES if examples(page)}
        self._directory: Path | None = None
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start mypy in the background, unless it has been started already."""
        if self._process is not None:
            return
        self._directory = directory = Path(tempfile.mkdtemp(prefix="gr4vy_fn-docs-"))
        for name, page in self.modules.items():
            (directory / f"{name}.py").write_text(as_one_module(page), encoding="utf-8")
        project = configparser.ConfigParser()
        project.read(ROOT / "setup.cfg", encoding="utf-8")
        config = configparser.ConfigParser()
        config["mypy"] = {**project["mypy"], "cache_dir": str(ROOT / ".mypy_cache")}
        config[f"mypy-{','.join(self.modules)}"] = {"allow_redefinition": "true"}
        with (directory / "mypy.ini").open("w", encoding="utf-8") as ini:
            config.write(ini)
        files = [str(directory / f"{name}.py") for name in self.modules]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "mypy", "--config-file", str(directory / "mypy.ini"), *files],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> tuple[str, str, int]:
        """Wait for mypy; return its report (each page named by its path), its errors and its exit status."""
        self.start()
        assert self._process is not None
        assert self._directory is not None
        report, errors = self._process.communicate()
        for name, page in self.modules.items():
            report = report.replace(str(self._directory / f"{name}.py"), str(page.relative_to(ROOT)))
        return report, errors, self._process.returncode

    def stop(self) -> None:
        """End mypy if it still runs, and remove the modules written for it."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.communicate()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)


TYPE_CHECK = TypeCheck()
"""The suite's one type check of the docs: started by conftest.py, awaited by tests/test_docs.py."""
