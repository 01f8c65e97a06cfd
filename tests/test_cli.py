"""The command line: exit statuses and messages in-process; the demo and the emulator as processes too."""

from __future__ import annotations

import io
import json
import signal
import socket
import subprocess
import sys
from typing import Any

import pytest
import urllib3
from conftest import SESSION_ID, run_cli
from fresh_python import FreshPython

import gr4vy_fn as g
from gr4vy_fn._cli import serve_emulator
from gr4vy_fn.config import ENV_VARIABLES
from gr4vy_fn.testing import ServedEmulator
from gr4vy_fn.testing.pytest_plugin import TOKEN


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


DEMO = FreshPython("-m", "gr4vy_fn", "demo")


@pytest.mark.fresh_python(DEMO)
def test_demo_runs_every_operation_and_ends_on_the_404_value() -> None:
    """The README's first command, run as a user runs it, prints the six steps and exits 0."""
    shown = DEMO.output()
    lines = shown.splitlines()
    steps = [line for line in lines if line[:2] in {f"{n}." for n in range(1, 7)}]
    assert [step.split(" ")[1] for step in steps] == [
        "new_checkout_session",
        "update_checkout_session_fields",
        "get_checkout_session",
        "update_checkout_session",
        "delete_checkout_session",
        "get_checkout_session",
    ]
    assert "payment method: visa …1111 (credit)" in shown
    assert "Error404NotFound: get_checkout_session(" in lines[-3]
    assert "404 not_found" in lines[-3]
    assert "4111111111111111" not in shown


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
    """--help works for every command, says what it does, and exits 0."""
    status, out, _ = run_cli(*command, "--help")
    assert status == 0
    assert out.startswith("usage: python -m gr4vy_fn")


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (["demo"], ["Start a private emulator on loopback"]),
        (["sessions"], list(ENV_VARIABLES)),
        (["sessions", "update-fields"], ['\'{"payment_method": {"method": "card", "number": ']),
    ],
)
def test_help_says_what_a_newcomer_needs(command: list[str], says: list[str]) -> None:
    """demo's help describes it, sessions' names every GR4VY_* variable, update-fields' shows a body."""
    _, out, _ = run_cli(*command, "--help")
    assert all(text in out for text in says), out
    assert "Config.from_env" not in out


def test_help_states_the_exit_statuses() -> None:
    """The top-level help lists what 0, 1 and 2 mean."""
    _, out, _ = run_cli("--help")
    assert "0 done, 1 an API or network error, 2 bad input" in " ".join(out.split())


def test_version() -> None:
    """--version prints the package's version and exits 0."""
    assert run_cli("--version") == (0, f"gr4vy_fn {g.__version__}\n", "")


def test_a_usage_error_exits_2() -> None:
    """An unknown command is a usage error: exit 2, nothing on standard output."""
    status, out, err = run_cli("sessions", "list")
    assert (status, out) == (2, "")
    assert "invalid choice: 'list'" in err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["sessions", "new", "--json", "{}", "extra"], "unrecognized arguments: extra"),
        (["emulator", "--port", "abc"], "argument --port: invalid int value: 'abc'"),
        (["token", "--expires-in", "abc"], "argument --expires-in: invalid int value: 'abc'"),
        ([], "a command is required"),
        (["sessions"], "an operation (new, get, delete, update-fields, update) is required"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_argument(args: list[str], named: str) -> None:
    """A bad or missing argument, run as a user runs it: one stderr line naming it, no usage, exit 2."""
    done = subprocess.run(
        [sys.executable, "-m", "gr4vy_fn", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"error: {named}")
    assert done.stderr.count("\n") == 1


def test_ctrl_c_during_a_call_is_one_line_and_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGINT while `sessions get` waits on a server that never answers: one line, exit 130, no traceback."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(30)
        monkeypatch.setenv("GR4VY_SERVER_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setenv("GR4VY_BEARER_TOKEN", TOKEN)
        process = subprocess.Popen(
            [sys.executable, "-m", "gr4vy_fn", "sessions", "get", SESSION_ID],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            connection, _ = silent.accept()
            with connection:
                request = b""
                while b"\r\n\r\n" not in request:  # the whole request is sent: the client waits for an answer
                    request += connection.recv(4096)
                process.send_signal(signal.SIGINT)
                out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert (process.returncode, out, err) == (130, "", "interrupted\n")


def session_json(result: tuple[int, str, str]) -> Any:
    status, out, err = result
    assert (status, err) == (0, "")
    return json.loads(out)


def test_sessions_commands_round_trip(
    gr4vy_emulator: ServedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """new, update-fields, get, update and delete work as JSON in and out against the environment's API."""
    created = session_json(
        run_cli(
            "sessions",
            "new",
            "--json",
            '{"cart_items": [{"name": "Mug", "quantity": 2, "unit_amount": 900}]}',
        )
    )
    session_id = created["id"]
    assert created["cart_items"] == [{"name": "Mug", "quantity": 2, "unit_amount": 900}]
    fields = (
        '{"payment_method": {"method": "card", "number": "4111111111111111", "expiration_date": "12/30"}}'
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(fields))
    assert run_cli("sessions", "update-fields", session_id, "--file", "-") == (0, "", "")
    read = session_json(run_cli("sessions", "get", session_id))
    assert read["payment_method"]["label"] == "1111"
    updated = session_json(
        run_cli("sessions", "update", session_id, "--json", '{"amount": 1800, "currency": "EUR"}')
    )
    assert (updated["amount"], updated["currency"]) == (1800, "EUR")
    assert run_cli("sessions", "delete", session_id) == (0, "", "")
    assert len(gr4vy_emulator.emulator.requests) == 5


def test_update_fields_and_delete_print_nothing_on_success(gr4vy_emulator: ServedEmulator) -> None:
    """`sessions update-fields` and `sessions delete`, run as processes, print nothing and exit 0."""
    session_id = g.unwrap(g.new_checkout_session(config=gr4vy_emulator.config)).id
    body = '{"payment_method": {"method": "card", "number": "4111111111111111", "expiration_date": "12/30"}}'
    for args in (["update-fields", session_id, "--json", body], ["delete", session_id]):
        done = subprocess.run(
            [sys.executable, "-m", "gr4vy_fn", "sessions", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert [request.method for request in gr4vy_emulator.emulator.requests][-2:] == ["PUT", "DELETE"]


def test_an_error_value_exits_1_and_says_what(gr4vy_emulator: ServedEmulator) -> None:
    """An API error value is one line on stderr, its class named once, and the exit status is 1."""
    assert run_cli("sessions", "get", SESSION_ID) == (
        1,
        "",
        f"error: Error404NotFound: get_checkout_session({SESSION_ID}): "
        "404 not_found: The resource could not be found\n",
    )


def test_a_dead_server_is_one_line_naming_the_host(
    gr4vy_emulator: ServedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No server listening: exit 1, one line with the server's URL and the error's class once."""
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("GR4VY_SERVER_URL", url)
    status, out, err = run_cli("sessions", "get", SESSION_ID)
    assert (status, out) == (1, "")
    assert err == (
        f"error: calling {url}: ConnectError: get_checkout_session({SESSION_ID}): "
        "the connection was refused or failed "
        "(the request was not sent; attempts: 3)\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sessions", "new", "--json", "{amount:1}"],
            "error: invalid input: --json: is not valid JSON (Expecting",
        ),
        (
            ["sessions", "new", "--json", '{"cart_items": [{"name": ""}]}'],
            "error: invalid input: $.cart_items[0]",
        ),
        (["sessions", "get", "../../buyers"], "error: invalid input: checkout_session_id"),
        (
            ["sessions", "update-fields", SESSION_ID, "--file", "/nonexistent/body.json"],
            "error: invalid input: --file /nonexistent/body.json: could not be read (No such file",
        ),
    ],
)
def test_bad_input_exits_2(gr4vy_emulator: ServedEmulator, args: list[str], message: str) -> None:
    """Bad JSON, invalid fields, hostile ids, unreadable files: one line, exit 2, nothing sent."""
    status, out, err = run_cli(*args)
    assert (status, out) == (2, "")
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert gr4vy_emulator.emulator.requests == []


@pytest.mark.parametrize(
    ("content", "rule"), [(b"{nope", "is not valid JSON ("), (b"\xff\xfe{}", "is not UTF-8 text\n")]
)
def test_a_bad_body_file_is_named(
    gr4vy_emulator: ServedEmulator, tmp_path: Any, content: bytes, rule: str
) -> None:
    """A --file that is not JSON, or not text, is named in the one-line message; exit 2."""
    body = tmp_path / "body.json"
    body.write_bytes(content)
    status, _, err = run_cli("sessions", "new", "--file", str(body))
    assert status == 2
    assert err.startswith(f"error: invalid input: --file {body}: {rule}")


def test_a_missing_environment_exits_2_naming_the_variable(
    gr4vy_emulator: ServedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without GR4VY_* settings the command says which variable to set."""
    monkeypatch.delenv("GR4VY_SERVER_URL")
    status, out, err = run_cli("sessions", "get", SESSION_ID)
    assert (status, out) == (2, "")
    assert err == "error: GR4VY_ID: missing: set your Gr4vy instance id, or GR4VY_SERVER_URL\n"


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("99999", "error: --port: must be a whole number in 0..65535 (0: any free port)\n"),
        ("-1", "error: --port: must be a whole number in 0..65535 (0: any free port)\n"),
    ],
)
def test_the_emulator_refuses_a_port_out_of_range(port: str, message: str) -> None:
    """`emulator --port 99999`: one line saying what is wrong, exit 2."""
    assert run_cli("emulator", "--port", port) == (2, "", message)


def test_the_emulator_on_an_address_not_of_this_machine_says_so() -> None:
    """`emulator --host` with an address this machine does not have: one line with the reason, exit 2."""
    status, out, err = run_cli("emulator", "--host", "192.0.2.1", "--port", "4010")
    assert (status, out) == (2, "")
    assert err.startswith("error: cannot listen on 192.0.2.1:4010: ")
    assert err.count("\n") == 1


def test_the_emulator_on_a_port_in_use_says_so(gr4vy_emulator: ServedEmulator) -> None:
    """`emulator --port N` with N taken: one line saying the port is in use, exit 2."""
    port = gr4vy_emulator.url.rsplit(":", 1)[1]
    assert run_cli("emulator", "--port", port) == (
        2,
        "",
        f"error: cannot listen on 127.0.0.1:{port}: the port is in use\n",
    )


@pytest.mark.parametrize("token", [TOKEN, None])
def test_the_emulator_prints_the_settings_a_client_needs(
    token: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start line's exports, set as printed, make Config.from_env() reach the emulator."""
    out, err = io.StringIO(), io.StringIO()
    seen: list[object] = []

    def call_with_the_printed_settings() -> None:
        banner, exports = out.getvalue().splitlines()[:2]
        assert banner.startswith("gr4vy_fn emulator serving at http://127.0.0.1:")
        prefix = "point a client at it with: export "
        assert exports.startswith(prefix)
        environ = dict(pair.split("=", 1) for pair in exports[len(prefix) :].split())
        assert set(environ) == ({"GR4VY_SERVER_URL", "GR4VY_BEARER_TOKEN"} if token else {"GR4VY_SERVER_URL"})
        seen.append(g.new_checkout_session(config=g.Config.from_env(environ)))

    assert serve_emulator("127.0.0.1", 0, token, out, err, wait=call_with_the_printed_settings) == 0
    assert isinstance(seen[0], g.CheckoutSession)
    assert out.getvalue().endswith("stopped\n")


def test_the_emulator_command_serves_until_interrupted() -> None:
    """`emulator --port N`, started as a process, serves the API on loopback until SIGINT, then exits 0."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gr4vy_fn", "emulator", "--port", str(port), "--token", TOKEN],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith(f"gr4vy_fn emulator serving at http://127.0.0.1:{port}")
        exports = f"GR4VY_SERVER_URL=http://127.0.0.1:{port} GR4VY_BEARER_TOKEN={TOKEN}"
        assert process.stdout.readline() == f"point a client at it with: export {exports}\n"
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


HEAVY = "('argparse', 'http.server', 'jwt', 'gr4vy_fn.testing', 'gr4vy_fn._cli', 'gr4vy_fn.config._signing')"
IMPORTED = FreshPython("-c", f"import sys, gr4vy_fn; print(sorted(m for m in {HEAVY} if m in sys.modules))")


@pytest.mark.fresh_python(IMPORTED)
def test_startup_is_not_slowed_by_the_command_line_parser() -> None:
    """`import gr4vy_fn` loads neither argparse, http.server, the emulator nor jwt."""
    assert IMPORTED.output().strip() == "[]"


def test_the_demo_runs_in_process_too() -> None:
    """main() takes its arguments and streams, for embedding: the demo ends on the 404 value."""
    status, out, err = run_cli("demo")
    assert (status, err) == (0, "")
    assert "6. get_checkout_session (after delete)" in out
