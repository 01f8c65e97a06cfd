"""ValidationError: a ValueError and a Gr4vyError, compared by path and rule; every error value pickles."""

from __future__ import annotations

import pickle

import pytest

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


_ERROR_VALUES = [
    g.Error401Unauthorized(status=401, code="unauthorized", message="No valid API authentication found"),
    g.Error404NotFound(
        status=404, code="not_found", message="gone", headers={"x-request-id": "r1"}, call="get(s)"
    ),
    g.Error409DuplicateRecord(status=409, code="duplicate_record", message="exists", resource_id="abc"),
    g.Error429TooManyRequests(status=429, code="too_many_requests", message="slow down", retry_after=2.5),
    g.ErrorGeneric(
        status=422,
        code="bad_request",
        message="invalid",
        details=(
            g.ErrorDetail(location="body", type="missing", pointer="/amount", message="Field required"),
        ),
    ),
    g.UnexpectedResponse(status=502, reason="not JSON", excerpt="<html>"),
    g.ConnectError(message="refused"),
    g.ConnectTimeout(message="no connection in time", attempts=3),
    g.TlsError(message="did not verify", verification=True),
    g.ReadTimeout(message="no answer in time"),
    g.ConnectionDropped(message="reset", request_sent=False),
    g.DeadlineExceeded(message="no complete answer before the deadline"),
    g.ResponseTooLarge(message="over 10 MiB"),
]


@pytest.mark.parametrize("error", _ERROR_VALUES, ids=lambda error: type(error).__name__)
def test_every_error_value_survives_pickling(error: g.Gr4vyError) -> None:
    """A worker process can send any error value back whole: same class, fields and message."""
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is type(error)
    assert copy == error
    assert str(copy) == str(error)
    assert repr(copy) == repr(error)
    assert getattr(copy, "headers", None) == getattr(error, "headers", None)
    assert getattr(copy, "call", None) == getattr(error, "call", None)
