"""The GR4VY_* environment variables: their names, and reading them, in one place.

`Config.from_env`, the command line's token command and the cache of the
default config all read the environment through here, so a new variable is
added once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..errors import ValidationError

GR4VY_ID = "GR4VY_ID"
GR4VY_ENVIRONMENT = "GR4VY_ENVIRONMENT"
GR4VY_SERVER_URL = "GR4VY_SERVER_URL"
GR4VY_BEARER_TOKEN = "GR4VY_BEARER_TOKEN"  # noqa: S105 - a variable name, not a token
GR4VY_PRIVATE_KEY = "GR4VY_PRIVATE_KEY"
GR4VY_PRIVATE_KEY_FILE = "GR4VY_PRIVATE_KEY_FILE"
GR4VY_MERCHANT_ACCOUNT_ID = "GR4VY_MERCHANT_ACCOUNT_ID"
GR4VY_ALLOW_INSECURE_HTTP = "GR4VY_ALLOW_INSECURE_HTTP"

VARIABLES = (
    GR4VY_ID,
    GR4VY_ENVIRONMENT,
    GR4VY_SERVER_URL,
    GR4VY_BEARER_TOKEN,
    GR4VY_PRIVATE_KEY,
    GR4VY_PRIVATE_KEY_FILE,
    GR4VY_MERCHANT_ACCOUNT_ID,
    GR4VY_ALLOW_INSECURE_HTTP,
)
"""Every variable `Config.from_env` reads: a config built from them changes when one of these does."""

TOKEN_SOURCES = (GR4VY_BEARER_TOKEN, GR4VY_PRIVATE_KEY, GR4VY_PRIVATE_KEY_FILE)
_KEY_SOURCES = (GR4VY_PRIVATE_KEY, GR4VY_PRIVATE_KEY_FILE)
_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})


def snapshot(environ: Mapping[str, str] | None = None) -> tuple[str | None, ...]:
    """Return the raw values of VARIABLES, in order: equal snapshots give equal configs."""
    env = os.environ if environ is None else environ
    return tuple(env.get(name) for name in VARIABLES)


def setting(environ: Mapping[str, str], name: str) -> str | None:
    """Return the variable's value without surrounding blanks; unset and blank are both None."""
    value = environ.get(name, "").strip()
    return value or None


def flag(environ: Mapping[str, str], name: str) -> bool:
    """Return a yes/no variable's value (1/true/yes/on or 0/false/no/off; unset is no)."""
    value = (setting(environ, name) or "0").lower()
    if value not in _YES | _NO:
        raise ValidationError(name, "must be 1, true, yes or on; or 0, false, no or off")
    return value in _YES


def only_one_of(environ: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    """Return (name, value) of the one variable of `names` that is set, None if none; two set is an error."""
    found = [(name, value) for name in names if (value := setting(environ, name)) is not None]
    if len(found) > 1:
        raise ValidationError(found[0][0], f"set only one of {', '.join(name for name, _ in found)}")
    return found[0] if found else None


def private_key_text(source: str, value: str, *, is_path: bool) -> str:
    """Return the PEM text of a key given inline or as a file path; `source` names it in errors."""
    if not is_path:
        # Environments often carry a PEM with its newlines written as \n.
        return value.replace("\\n", "\n")
    try:
        with open(value, encoding="utf-8") as key_file:
            return key_file.read()
    except OSError as exc:
        raise ValidationError(source, f"could not be read ({exc.strerror})") from None


def private_key(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """Return (variable, PEM text) from GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE; None if neither."""
    found = only_one_of(environ, _KEY_SOURCES)
    if found is None:
        return None
    source, value = found
    return source, private_key_text(source, value, is_path=source == GR4VY_PRIVATE_KEY_FILE)
