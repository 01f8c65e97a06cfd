"""ValidationError: a ValueError and a Gr4vyError, compared by path and rule, that survives pickling."""

from __future__ import annotations

import pickle

import gr4vy_fn as g


def test_validation_error_is_both_a_value_error_and_a_gr4vy_error() -> None:
    """Existing `except ValueError` keeps catching it; `except g.Gr4vyError` catches it too."""
    error = g.ValidationError("Config.server_url", "must be https")
    assert isinstance(error, ValueError)
    assert isinstance(error, g.Gr4vyError)
    assert str(error) == "Config.server_url: must be https"
    assert str(g.ValidationError("", "just the rule")) == "just the rule"


def test_validation_errors_compare_and_hash_by_path_and_rule() -> None:
    """Two errors with the same path and rule are equal and hash alike; another rule is not equal."""
    first, second = g.ValidationError("a", "b"), g.ValidationError("a", "b")
    assert first == second
    assert hash(first) == hash(second)
    assert first != g.ValidationError("a", "c")
    assert first != "a: b"


def test_validation_error_survives_pickling_and_names_its_public_module() -> None:
    """A worker process can send it back whole; tracebacks name gr4vy_fn.errors, where it is imported from."""
    error = g.ValidationError("Timeout.read", "must be positive")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (copy.path, copy.rule, str(copy)) == (error.path, error.rule, str(error))
    assert repr(copy) == "ValidationError(path='Timeout.read', rule='must be positive')"
    assert g.ValidationError.__module__ == g.Gr4vyError.__module__ == "gr4vy_fn.errors"
