"""Test support: an in-memory Checkout Sessions API with the live API's rules and fault injection.

Use it in-process (`Emulator().transport()`), on loopback (`with Emulator().serve() as url:`),
or through the `gr4vy_emulator` pytest fixture.
"""

from attrs import frozen

from ..config import Config
from ._cassettes import vcr_config
from ._emulator import Emulator, EmulatorTransport, ReceivedRequest, tokens_signed_with


@frozen
class ServedEmulator:
    """What the `gr4vy_emulator` fixture gives: the emulator, a Config calling it, its base URL."""

    emulator: Emulator
    config: Config
    url: str


__all__ = [
    "Emulator",
    "EmulatorTransport",
    "ReceivedRequest",
    "ServedEmulator",
    "tokens_signed_with",
    "vcr_config",
]
