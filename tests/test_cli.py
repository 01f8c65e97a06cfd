"""The command line, run as a user runs it: subprocesses, checked on output and exit status."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from gr4vy_fn.testing import Emulator

TOKEN = "cli-test-token"


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gr4vy_fn", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=60,
        check=False,
    )


@pytest.fixture
def account() -> Iterator[tuple[Emulator, dict[str, str]]]:
    """An emulator on loopback and an environment that points the CLI at it."""
    emulator = Emulator(bearer_token=TOKEN)
    with emulator.serve() as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GR4VY_")}
        env.update(GR4VY_SERVER_URL=url, GR4VY_BEARER_TOKEN=TOKEN)
        yield emulator, env


def test_demo_runs_every_operation_and_ends_on_the_404_value() -> None:
    """The README's first command prints the six steps and exits 0."""
    result = run("demo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    steps = [line for line in lines if line[:2] in {f"{n}." for n in range(1, 7)}]
    assert [step.split(" ")[1] for step in steps] == [
        "new_checkout_session",
        "update_checkout_session_fields",
        "get_checkout_session",
        "update_checkout_session",
        "delete_checkout_session",
        "get_checkout_session",
    ]
    assert "payment method: visa …1111 (credit)" in result.stdout
    assert "Error404NotFound: 404 not_found" in lines[-3]
    assert "4111111111111111" not in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["demo"],
        ["emulator"],
        ["token"],
        ["sessions"],
        *[["sessions", op] for op in ("new", "get", "delete", "update-fields", "update")],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    """--help works for every command and says what it does."""
    result = run(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m gr4vy_fn")


def session_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sessions_commands_round_trip(account: tuple[Emulator, dict[str, str]]) -> None:
    """new, update-fields, get, update and delete work as JSON in and out against the environment's API."""
    emulator, env = account
    created = session_json(
        run(
            "sessions",
            "new",
            "--json",
            '{"cart_items": [{"name": "Mug", "quantity": 2, "unit_amount": 900}]}',
            env=env,
        )
    )
    session_id = created["id"]
    assert created["cart_items"] == [{"name": "Mug", "quantity": 2, "unit_amount": 900}]
    fields = (
        '{"payment_method": {"method": "card", "number": "4111111111111111", "expiration_date": "12/30"}}'
    )
    assert (
        session_json(run("sessions", "update-fields", session_id, "--file", "-", env=env, stdin=fields))
        is None
    )
    read = session_json(run("sessions", "get", session_id, env=env))
    assert read["payment_method"]["label"] == "1111"
    updated = session_json(
        run("sessions", "update", session_id, "--json", '{"amount": 1800, "currency": "EUR"}', env=env)
    )
    assert (updated["amount"], updated["currency"]) == (1800, "EUR")
    assert session_json(run("sessions", "delete", session_id, env=env)) is None
    assert len(emulator.requests) == 5


def test_an_error_value_exits_1_and_says_what(account: tuple[Emulator, dict[str, str]]) -> None:
    """An error value is printed on stderr and the exit status is 1."""
    _, env = account
    result = run("sessions", "get", "8724fd24-5489-4a5d-90fd-0604df7d3b83", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "error: Error404NotFound: 404 not_found: The resource could not be found\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sessions", "new", "--json", "{nope"], "error: Expecting property name"),
        (
            ["sessions", "new", "--json", '{"cart_items": [{"name": ""}]}'],
            "error: invalid input: $.cart_items[0]",
        ),
        (["sessions", "get", "../../buyers"], "error: invalid input: checkout_session_id"),
        (["sessions", "update-fields", "x", "--file", "/nonexistent/body.json"], "error: [Errno 2]"),
    ],
)
def test_bad_input_exits_2(account: tuple[Emulator, dict[str, str]], args: list[str], message: str) -> None:
    """Invalid JSON, invalid fields and hostile ids exit 2 before anything is sent."""
    emulator, env = account
    result = run(*args, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert emulator.requests == []


def test_a_missing_environment_exits_2_naming_the_variable() -> None:
    """Without GR4VY_* settings the command says which variable to set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GR4VY_")}
    result = run("sessions", "get", "abc", env=env)
    assert result.returncode == 2
    assert "GR4VY_ID" in result.stderr


def test_the_emulator_command_serves_until_interrupted() -> None:
    """`emulator --port N` serves the API on loopback until SIGINT, then exits 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "gr4vy_fn", "emulator", "--port", str(port), "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith(f"gr4vy_fn emulator serving at http://127.0.0.1:{port}")
        answer = urllib3.request(
            "POST", f"http://127.0.0.1:{port}/checkout/sessions", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status == 201
        assert "expires_at" in answer.json()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
            if process.stdout is not None:
                process.stdout.close()
    assert process.returncode == 0


def test_startup_is_not_slowed_by_the_command_line_parser() -> None:
    """`import gr4vy_fn` loads neither argparse, http.server, the emulator nor jwt."""
    heavy = "('argparse', 'http.server', 'jwt', 'gr4vy_fn.testing', 'gr4vy_fn._cli')"
    code = f"import sys, gr4vy_fn; print(sorted(m for m in {heavy} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_the_commands_run_in_process_too(
    account: tuple[Emulator, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """main() takes its arguments and streams, for embedding: demo, and a sessions round trip."""
    from gr4vy_fn._cli import main

    out, err = io.StringIO(), io.StringIO()
    assert main(["demo"], out, err) == 0
    assert "6. get_checkout_session (after delete)" in out.getvalue()
    _, env = account
    for name, value in env.items():
        if name.startswith("GR4VY_"):
            monkeypatch.setenv(name, value)
    out = io.StringIO()
    assert main(["sessions", "new", "--json", '{"amount": 5, "currency": "EUR"}'], out, err) == 0
    created = json.loads(out.getvalue())
    assert main(["sessions", "delete", created["id"]], io.StringIO(), err) == 0
    assert main(["sessions", "get", created["id"]], io.StringIO(), err) == 1
    assert err.getvalue().startswith("error: Error404NotFound")
