"""The command line: demo, emulator, sessions (JSON in and out) and token. Imported only by __main__."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from . import _send
from ._converter import converter, structure_request
from .config import Config, private_key_text
from .errors import Gr4vyError, ValidationError
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


def _describe(result: object) -> str:
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
        out.write(f"1. new_checkout_session (the seed's cart)\n   -> {_describe(created)}\n")
        if not isinstance(created, CheckoutSession):
            return 1
        session_id = created.id
        fields = CheckoutSessionSecureFieldsUpdate(payment_method=TEST_CARD)
        steps: list[tuple[str, Callable[[], object]]] = [
            (
                "update_checkout_session_fields (card …1111, expiry 12/30)",
                lambda: _send.update_checkout_session_fields(session_id, fields, config=config),
            ),
            ("get_checkout_session", lambda: _send.get_checkout_session(session_id, config=config)),
            (
                "update_checkout_session (amount 37999 USD)",
                lambda: _send.update_checkout_session(
                    session_id,
                    CheckoutSessionCreateRequest(
                        cart_items=SEED_CART.cart_items, amount=37999, currency="USD", country="US"
                    ),
                    config=config,
                ),
            ),
            ("delete_checkout_session", lambda: _send.delete_checkout_session(session_id, config=config)),
            (
                "get_checkout_session (after delete)",
                lambda: _send.get_checkout_session(session_id, config=config),
            ),
        ]
        for number, (title, call) in enumerate(steps, start=2):
            started = time.perf_counter()
            result = call()
            elapsed = (time.perf_counter() - started) * 1000
            out.write(f"{number}. {title}\n   -> {_describe(result)}  [{elapsed:.1f} ms]\n")
        out.write(
            f"\nThe emulator received {len(emulator.requests)} requests; the last answer is the 404 value.\n"
        )
    return 0


def serve_emulator(host: str, port: int, token: str | None, out: TextIO) -> int:
    """Serve the emulator until interrupted."""
    from .testing import Emulator

    with Emulator(bearer_token=token).serve(host, port) as url:
        out.write(f"gr4vy_fn emulator serving at {url} (Ctrl-C to stop)\n")
        out.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            out.write("stopped\n")
    return 0


def _read_json(args: argparse.Namespace) -> Any:
    if getattr(args, "json", None) is not None:
        return json.loads(args.json)
    if getattr(args, "file", None) is not None:
        if args.file == "-":
            return json.load(sys.stdin)
        with open(args.file, encoding="utf-8") as source:
            return json.load(source)
    return None


def sessions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run one operation against the account in the environment; print the result as JSON."""
    try:
        config = Config.from_env()
        data = _read_json(args)
        result: object
        if args.operation == "new":
            body = None if data is None else structure_request(data, CheckoutSessionCreateRequest)
            result = _send.new_checkout_session(body, config=config)
        elif args.operation == "get":
            result = _send.get_checkout_session(args.id, config=config)
        elif args.operation == "delete":
            result = _send.delete_checkout_session(args.id, config=config)
        elif args.operation == "update-fields":
            fields = structure_request(data, CheckoutSessionSecureFieldsUpdate)
            result = _send.update_checkout_session_fields(args.id, fields, config=config)
        else:
            update = structure_request(data, CheckoutSessionCreateRequest)
            result = _send.update_checkout_session(args.id, update, config=config)
    except ValidationError as exc:
        err.write(f"error: invalid input: {exc}\n")
        return 2
    except (ValueError, OSError) as exc:  # bad JSON, a missing file, an incomplete environment
        err.write(f"error: {exc}\n")
        return 2
    if isinstance(result, Gr4vyError):
        err.write(f"error: {type(result).__name__}: {result}\n")
        return 1
    out.write(json.dumps(converter.unstructure(result), indent=2) + "\n")
    return 0


def token(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print a signed bearer token, and nothing else."""
    try:
        from .auth import get_token
    except ImportError as exc:
        err.write(f"error: {exc}\n")
        return 2
    sources = [
        ("--key-file", args.key_file, True),
        ("GR4VY_PRIVATE_KEY_FILE", os.environ.get("GR4VY_PRIVATE_KEY_FILE"), True),
        ("GR4VY_PRIVATE_KEY", os.environ.get("GR4VY_PRIVATE_KEY"), False),
    ]
    found = [(source, value, is_path) for source, value, is_path in sources if value]
    if not found:
        err.write("error: set GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE, or pass --key-file\n")
        return 2
    source, value, is_path = found[0]
    try:
        key = private_key_text(source, value, is_path=is_path)
        out.write(get_token(key, scopes=args.scope or None, expires_in=args.expires_in) + "\n")
    except ValueError as exc:
        err.write(f"error: {exc}\n")
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gr4vy_fn", description="Gr4vy Checkout Sessions client.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run every operation against the built-in emulator on loopback")
    emulator = commands.add_parser("emulator", help="serve the emulator until interrupted")
    emulator.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    emulator.add_argument("--port", type=int, default=4010, help="port to listen on (default 4010)")
    emulator.add_argument("--token", help="the only bearer token to accept (default: any)")

    session_commands = commands.add_parser(
        "sessions",
        help="call the API configured by GR4VY_* variables; JSON in and out",
        description="Call the API configured by the GR4VY_* environment variables (see Config.from_env).",
    ).add_subparsers(dest="operation", required=True)
    helps = {
        "new": "create a checkout session (body optional)",
        "get": "read a checkout session",
        "delete": "delete a checkout session",
        "update-fields": "put secure payment fields on a session (body required)",
        "update": "update a session's cart and details (body required)",
    }
    for name, text in helps.items():
        command = session_commands.add_parser(name, help=text, description=text)
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
    """Run the command line; return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    if args.command == "demo":
        return demo(out)
    if args.command == "emulator":
        return serve_emulator(args.host, args.port, args.token, out)
    if args.command == "token":
        return token(args, out, err)
    return sessions(args, out, err)
