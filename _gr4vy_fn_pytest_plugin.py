"""The `gr4vy_emulator` pytest fixture, registered through the `pytest11` entry point.

A top-level module, not one of gr4vy_fn's: pytest loads it in every run of every
project with gr4vy_fn installed, and importing anything under `gr4vy_fn` would
import the whole client. The client is imported only when a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gr4vy_fn.testing import ServedEmulator


@pytest.fixture
def gr4vy_emulator() -> Iterator[ServedEmulator]:
    """A fresh Emulator served on loopback, a Config that calls it, and GR4VY_* set to match.

    Code under test that calls gr4vy_fn with no config (Config.from_env) reaches
    the emulator too. Retries wait milliseconds, not seconds, with either config.
    """
    from gr4vy_fn.testing.pytest_plugin import emulator_environment

    with emulator_environment() as served:
        yield served
