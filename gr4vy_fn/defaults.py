"""Process-wide defaults: the Config and transports a call uses when given none.

With no `config`, a call uses `Config.from_env()` (rebuilt only when the
GR4VY_* variables change); with no `transport`, one Urllib3Transport shared
by every thread. Tests replace them for a while with `set_defaults`, which
works as a context manager too, and forget every replacement with
`reset_defaults`::

    with gr4vy_fn.defaults.set_defaults(transport=emulator.transport()):
        gr4vy_fn.get_checkout_session(session_id)   # answered by the emulator
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._http import Transport
from .config import Config, env_snapshot
from .errors import ValidationError

if TYPE_CHECKING:
    from ._http import AsyncTransport

__all__ = ["default_config", "default_transport", "reset_defaults", "set_defaults"]


class _State:
    """What the defaults are now: replacements set by `set_defaults`, and what was made on demand."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.config: Config | None = None
        self.transport: Transport | None = None
        self.async_transport: AsyncTransport | None = None
        self.created_transport: Transport | None = None
        self.env_config: tuple[tuple[str | None, ...], Config] | None = None


_state = _State()
_lock = threading.Lock()


def default_transport() -> Transport:
    """Return the transport of calls given none: the replacement set, or the shared Urllib3Transport.

    The Urllib3Transport is created on first use, once even when many threads
    ask at the same moment, and reused across calls and threads.
    """
    chosen = _state.transport or _state.created_transport
    if chosen is not None:
        return chosen
    with _lock:
        if _state.created_transport is None:
            from .transports import Urllib3Transport

            _state.created_transport = Urllib3Transport()
        return _state.created_transport


def default_config() -> Config:
    """Return the Config of calls given none: the replacement set, or `Config.from_env()`.

    The environment's Config is rebuilt only when a GR4VY_* variable changes.
    Raises ValidationError when the environment does not make a Config.
    """
    if _state.config is not None:
        return _state.config
    key = env_snapshot()
    cached = _state.env_config
    if cached is not None and cached[0] == key:
        return cached[1]
    config = Config.from_env()
    _state.env_config = (key, config)
    return config


def async_transport_replacement() -> AsyncTransport | None:
    """Return the async transport set by `set_defaults`, if any (gr4vy_fn.aio's default otherwise)."""
    return _state.async_transport


class _Restore:
    """Puts the replaced defaults back when used as a context manager."""

    def __init__(self, saved: dict[str, Any]) -> None:
        self._saved = saved

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        with _lock:
            for name, value in self._saved.items():
                setattr(_state, name, value)


def set_defaults(
    *,
    config: Config | None = None,
    transport: Transport | None = None,
    async_transport: AsyncTransport | None = None,
) -> _Restore:
    """Make calls given no `config` or `transport` use these; names left None keep their default.

    `async_transport` is for gr4vy_fn.aio's calls, in every event loop: give one
    that is not bound to a loop (such as an emulator's). Returns a context manager
    that puts back what was there before. Raises ValidationError for a value of
    the wrong kind.
    """
    if config is not None and not isinstance(config, Config):
        raise ValidationError("config", "must be a gr4vy_fn.Config")
    for name, value in (("transport", transport), ("async_transport", async_transport)):
        if value is not None and not callable(getattr(value, "send", None)):
            raise ValidationError(name, "must have a send(request, timeout) method")
    given = {"config": config, "transport": transport, "async_transport": async_transport}
    with _lock:
        saved = {name: getattr(_state, name) for name, value in given.items() if value is not None}
        for name in saved:
            setattr(_state, name, given[name])
    return _Restore(saved)


def reset_defaults() -> None:
    """Forget every replacement and the transport and Config made on demand; the next call makes new ones."""
    with _lock:
        _state.clear()
