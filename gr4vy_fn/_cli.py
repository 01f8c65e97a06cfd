"""The command line: demo, emulator, sessions (JSON in and out) and token. Imported only by __main__.

Exit statuses: 0 done, 1 an API or network error, 2 bad input (arguments,
JSON, the environment) with nothing sent.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from ._version import __version__
from .answer._converter import converter, structure_request
from .calls import _sync as _send
from .config import Config, private_key_in, private_key_text
from .errors import Gr4vyError, TransportError, ValidationError
from .models import (
    CardPaymentMethod,
    CartItem,
    CheckoutSession,
    CheckoutSessionCreateRequest,
    CheckoutSessionSecureFieldsUpdate,
    ProductType,
)

SEED_CART = CheckoutSessionCreateRequest(
    cart_items=[
        CartItem(
            name="GoPro HERO9 Camcorder",
            quantity=1,
            unit_amount=37999,
            discount_amount=0,
            tax_amount=0,
            external_identifier="item-789123",
            sku="sku-789123",
            product_url="https://example.com/items/gopro",
            image_url="https://example.com/images/items/gopro.png",
            categories=["camera"],
            product_type=ProductType.PHYSICAL,
        )
    ],
    metadata={"key": "value"},
)
TEST_CARD = CardPaymentMethod(number="4111111111111111", expiration_date="12/30", security_code="123")


def _summary(result: object) -> str:
    """One line saying what a call of the demo returned; never card data."""
    if isinstance(result, CheckoutSession):
        items = ", ".join(f"{i.name} x{i.quantity} @ {i.unit_amount}" for i in result.cart_items or ())
        expires = result.expires_at.isoformat(timespec="seconds") if result.expires_at else "?"
        text = f"session {result.id}, expires {expires}, cart: {items or 'empty'}"
        if result.amount is not None:
            text += f", amount {result.amount} {result.currency or ''}".rstrip()
        method = result.payment_method
        if method is not None:
            details = method.details
            card_type = details.card_type if details else None
            text += f", payment method: {method.scheme} …{method.label} ({card_type})"
        return text
    if result is None:
        return "done (no content)"
    return f"{type(result).__name__}: {result}"


def demo(out: TextIO) -> int:
    """Run every operation against the emulator on loopback, through the default urllib3 transport."""
    from .testing import Emulator

    token = "demo-token"  # noqa: S105 - the local emulator's, not a secret
    emulator = Emulator(bearer_token=token)
    with emulator.serve() as url:
        config = Config(server_url=url, bearer_token=token)
        out.write(f"gr4vy_fn demo: the emulator serves the Checkout Sessions API at {url}\n\n")
        created = _send.new_checkout_session(SEED_CART, config=config)
        out.write(f"1. new_checkout_session (the seed's cart)\n   -> {_summary(created)}\n")
        if not isinstance(created, CheckoutSession):
            return 1
        session_id = created.id
        fields = CheckoutSessionSecureFieldsUpdate(payment_method=TEST_CARD)
        update = CheckoutSessionCreateRequest(
            cart_items=SEED_CART.cart_items, amount=37999, currency="USD", country="US"
        )
        steps: list[tuple[str, Callable[..., object], tuple[object, ...]]] = [
            (
                "update_checkout_session_fields (card …1111, expiry 12/30)",
                _send.update_checkout_session_fields,
                (fields,),
            ),
            ("get_checkout_session", _send.get_checkout_session, ()),
            ("update_checkout_session (amount 37999 USD)", _send.update_checkout_session, (update,)),
            ("delete_checkout_session", _send.delete_checkout_session, ()),
            ("get_checkout_session (after delete)", _send.get_checkout_session, ()),
        ]
        for number, (title, call, body) in enumerate(steps, start=2):
            started = time.perf_counter()
            result = call(session_id, *body, config=config)
            elapsed = (time.perf_counter() - started) * 1000
            out.write(f"{number}. {title}\n   -> {_summary(result)}  [{elapsed:.1f} ms]\n")
        out.write(
            f"\nThe emulator received {len(emulator.requests)} requests; the last answer is the 404 value.\n"
        )
    return 0


def _wait_for_interrupt() -> None:
    while True:
        time.sleep(3600)


def serve_emulator(
    host: str,
    port: int,
    token: str | None,
    out: TextIO,
    err: TextIO,
    wait: Callable[[], None] = _wait_for_interrupt,
) -> int:
    """Serve the emulator until `wait` returns or is interrupted; print how to point a client at it."""
    from .testing import Emulator

    try:
        with Emulator(bearer_token=token).serve(host, port) as url:
            client_url = url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
            exports = f"GR4VY_SERVER_URL={client_url}"
            if token is not None:
                exports += f" GR4VY_BEARER_TOKEN={token}"
            out.write(f"gr4vy_fn emulator serving at {url} (Ctrl-C to stop)\n")
            out.write(f"point a client at it with: export {exports}\n")
            out.flush()
            with contextlib.suppress(KeyboardInterrupt):
                wait()
            out.write("stopped\n")
    except ValidationError as exc:
        err.write(f"error: --{exc.path}: {exc.rule}\n")
        return 2
    except OSError as exc:
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        err.write(f"error: cannot listen on {host}:{port}: {reason}\n")
        return 2
    return 0


def _read_json(args: argparse.Namespace) -> Any:
    """Return the body given with --json or --file (None without either); bad JSON names the option."""
    if getattr(args, "json", None) is not None:
        option, text = "--json", args.json
    elif getattr(args, "file", None) is not None:
        option = f"--file {args.file}"
        try:
            if args.file == "-":
                text = sys.stdin.read()
            else:
                with open(args.file, encoding="utf-8") as source:
                    text = source.read()
        except OSError as exc:
            raise ValidationError(option, f"could not be read ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise ValidationError(option, "is not UTF-8 text") from None
    else:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationError(option, f"is not valid JSON ({exc})") from None


def _error_line(error: Gr4vyError, config: Config) -> str:
    """One line for an error value: its class once, and the server when it could not be reached."""
    text = str(error)
    name = type(error).__name__
    if not text.startswith(name):
        text = f"{name}: {text}"
    if isinstance(error, TransportError):
        text = f"calling {config.base_url}: {text}"
    return text


def _call(args: argparse.Namespace, config: Config) -> object:
    data = _read_json(args)
    if args.operation == "new":
        body = None if data is None else structure_request(data, CheckoutSessionCreateRequest)
        return _send.new_checkout_session(body, config=config)
    if args.operation == "get":
        return _send.get_checkout_session(args.id, config=config)
    if args.operation == "delete":
        return _send.delete_checkout_session(args.id, config=config)
    if args.operation == "update-fields":
        fields = structure_request(data, CheckoutSessionSecureFieldsUpdate)
        return _send.update_checkout_session_fields(args.id, fields, config=config)
    update = structure_request(data, CheckoutSessionCreateRequest)
    return _send.update_checkout_session(args.id, update, config=config)


def sessions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run one operation against the account in the environment; print the session as JSON, or nothing."""
    try:
        config = Config.from_env()
    except ValidationError as exc:
        err.write(f"error: {exc}\n")
        return 2
    try:
        result = _call(args, config)
    except ValidationError as exc:  # an argument, the JSON body or a field of it
        err.write(f"error: invalid input: {exc}\n")
        return 2
    if isinstance(result, Gr4vyError):
        err.write(f"error: {_error_line(result, config)}\n")
        return 1
    if result is not None:  # update-fields and delete answer 204: nothing to print
        out.write(json.dumps(converter.unstructure(result), indent=2) + "\n")
    return 0


_TOKEN_OPTIONS = {"scopes": "--scope", "expires_in": "--expires-in"}


def token(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print a signed bearer token, and nothing else."""
    try:
        from .auth import get_token
    except ImportError as exc:
        err.write(f"error: {exc}\n")
        return 2
    try:
        if args.key_file:
            key = private_key_text("--key-file", args.key_file, is_path=True)
        else:
            found = private_key_in(os.environ)
            if found is None:
                err.write("error: set GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE, or pass --key-file\n")
                return 2
            key = found
        signed = get_token(key, scopes=args.scope, expires_in=args.expires_in)
    except ValidationError as exc:
        err.write(f"error: {_TOKEN_OPTIONS.get(exc.path, exc.path)}: {exc.rule}\n")
        return 2
    out.write(signed + "\n")
    return 0


_SESSIONS_DESCRIPTION = (
    "Call the API that the environment names: GR4VY_ID (with GR4VY_ENVIRONMENT=sandbox or production)"
    " or GR4VY_SERVER_URL; GR4VY_BEARER_TOKEN, GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE; optionally"
    " GR4VY_MERCHANT_ACCOUNT_ID, and GR4VY_ALLOW_INSECURE_HTTP=1 for a plain-http server not on loopback."
)
_FIELDS_EXAMPLE = """example:
  python -m gr4vy_fn sessions update-fields ID --json \\
    '{"payment_method": {"method": "card", "number": "4111111111111111",
      "expiration_date": "12/30", "security_code": "123"}}'"""


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one line naming the bad argument, no usage (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m gr4vy_fn",
        description="Gr4vy Checkout Sessions client.",
        epilog="Exit status: 0 done, 1 an API or network error, 2 bad input (nothing sent).",
    )
    parser.add_argument("--version", action="version", version=f"gr4vy_fn {__version__}")
    # Not required=True: argparse would then report the missing command before an unknown option.
    commands = parser.add_subparsers(dest="command")
    commands.add_parser(
        "demo",
        help="run every operation against the built-in emulator on loopback",
        description="Start a private emulator on loopback and run each of the five operations against it"
        " through the default transport, printing one line per call; needs no account or network.",
    )
    emulator = commands.add_parser(
        "emulator",
        help="serve the emulator until interrupted",
        description="Serve the emulator until interrupted; print the GR4VY_* settings a client needs.",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=4010, help="port to listen on (default 4010)")
    emulator.add_argument("--token", help="the only bearer token to accept (default: any, or none)")

    session_commands = commands.add_parser(
        "sessions",
        help="call the API configured by GR4VY_* variables; JSON in and out",
        description=_SESSIONS_DESCRIPTION,
    ).add_subparsers(dest="operation")
    helps = {
        "new": "create a checkout session (body optional)",
        "get": "read a checkout session",
        "delete": "delete a checkout session",
        "update-fields": "put secure payment fields on a session (body required)",
        "update": "update a session's cart and details (body required)",
    }
    for name, text in helps.items():
        command = session_commands.add_parser(
            name,
            help=text,
            description=text,
            epilog=_FIELDS_EXAMPLE if name == "update-fields" else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name != "new":
            command.add_argument("id", help="the checkout session id")
        if name in ("new", "update-fields", "update"):
            source = command.add_mutually_exclusive_group(required=name != "new")
            source.add_argument("--json", help="the request body as JSON text")
            source.add_argument("--file", help="a file holding the JSON body, or - for standard input")

    token_command = commands.add_parser(
        "token",
        help="print a signed bearer token (needs the jwt extra)",
        description="Print a token signed with GR4VY_PRIVATE_KEY, GR4VY_PRIVATE_KEY_FILE or --key-file.",
    )
    token_command.add_argument(
        "--scope", action="append", help="a scope (repeatable; default *.read *.write)"
    )
    token_command.add_argument(
        "--expires-in", type=int, default=3600, help="lifetime in seconds (default 3600)"
    )
    token_command.add_argument("--key-file", help="the PEM file of the EC P-521 private key")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; return the exit status (usage errors are 2, as argparse has them)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = _parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.command is None or (args.command == "sessions" and args.operation is None):
        missing = "an operation (new, get, delete, update-fields, update)" if args.command else "a command"
        err.write(f"error: {missing} is required (see --help)\n")
        return 2
    try:
        if args.command == "demo":
            return demo(out)
        if args.command == "emulator":
            return serve_emulator(args.host, args.port, args.token, out, err)
        if args.command == "token":
            return token(args, out, err)
        return sessions(args, out, err)
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
