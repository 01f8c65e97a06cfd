"""Code that must run in a new interpreter, started in the background once the suite knows a test needs it.

What `import gr4vy_fn` loads, what a first decode makes, what a missing extra says: such facts
hold only in a fresh process, and each costs an interpreter start and the package's import
(0.1 to 0.2 s, nearly all CPU). A test module declares its runs when it is imported and marks
each test with the run it reads; conftest.py starts the runs of the selected tests when
collection ends, one after another in a background thread, so that they use the second core
while the suite goes on. The test then only waits for the output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

_ONE_AT_A_TIME = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fresh-python")


class FreshPython:
    """`python *args` in a new interpreter, run at most once.

    Mark a test that reads it with `@pytest.mark.fresh_python(run)` so that it starts early.
    """

    def __init__(self, *args: str) -> None:
        self.args = args
        self._run: Future[subprocess.CompletedProcess[str]] | None = None

    def start(self) -> None:
        """Queue the run in the background, unless it is queued already."""
        if self._run is None:
            # The environment and directory as they are when queued: by the time the run
            # starts, a test may have changed os.environ or the working directory for itself.
            self._run = _ONE_AT_A_TIME.submit(
                subprocess.run,
                [sys.executable, *self.args],
                capture_output=True,
                text=True,
                timeout=60,
                env=dict(os.environ),
                cwd=os.getcwd(),
            )

    def output(self) -> str:
        """Wait for the run (queued now if no selected test marked it) and return its standard output.

        Raises AssertionError, with the run's standard error, if it exits with a non-zero status.
        """
        self.start()
        assert self._run is not None
        finished = self._run.result()
        assert finished.returncode == 0, finished.stderr
        return finished.stdout


def start_marked(items: list[pytest.Item]) -> None:
    """Queue the runs named by the `fresh_python` marks of `items`, in the order of the tests."""
    for item in items:
        for mark in item.iter_markers("fresh_python"):
            mark.args[0].start()


def settle() -> None:
    """Wait for the runs queued so far to end: for a test whose bound assumes both cores are its own."""
    _ONE_AT_A_TIME.submit(lambda: None).result()


def stop() -> None:
    """Drop the runs not started yet (a run stopped early); a started one ends within its timeout."""
    _ONE_AT_A_TIME.shutdown(wait=False, cancel_futures=True)
