"""The emulated Checkout Sessions API: five operations in memory, with the live API's rules."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from attrs import evolve, fields, frozen

from .._http import Headers, HttpRequest, HttpResponse, Timeout
from ..answer._converter import converter, structure_request
from ..errors import ConnectionDropped, ReadTimeout, ValidationError
from ..models import (
    CardPaymentMethod,
    CheckoutSession,
    CheckoutSessionCreateRequest,
    CheckoutSessionPaymentMethod,
    CheckoutSessionPaymentMethodDetails,
    CheckoutSessionSecureFieldsUpdate,
    IdPaymentMethod,
)
from . import _cards
from ._faults import ShownMasked, is_count, is_seconds
from ._server import Reply, serve

_ROUTE = re.compile(r"/checkout/sessions(?:/([^/?#]*)(/fields)?)?/?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_MESSAGES = {
    400: ("bad_request", "Request could not be parsed"),
    401: ("unauthorized", "No valid API authentication found"),
    404: ("not_found", "The resource could not be found"),
    405: ("method_not_allowed", "Method not allowed"),
    409: ("duplicate_record", "A record with these details already exists"),
    425: ("too_early", "Too early"),
    429: ("too_many_requests", "Too many requests"),
}
_JSON_HEADERS = (("Content-Type", "application/json"),)


@frozen(repr=False)
class ReceivedRequest(ShownMasked):
    """A request the emulator received; card numbers and security codes are masked in `body`."""

    method: str
    path: str
    headers: Headers
    body: bytes | None


# An injected fault: given the request and its path, what to do instead of only acting on it.
_Fault = Callable[[HttpRequest, str], Reply]


def error_body(status: int, message: str | None = None) -> bytes:
    """Return the live API's error object for `status`."""
    code, default = _MESSAGES.get(status, ("server_error" if status >= 500 else "bad_request", "Error"))
    body = {"type": "error", "code": code, "status": status, "message": message or default, "details": []}
    return json.dumps(body).encode()


def _check_seconds(name: str, seconds: object) -> None:
    if not is_seconds(seconds):
        raise ValidationError(name, "must be a finite number of seconds, 0 or more")


def _answer(status: int, body: bytes = b"") -> HttpResponse:
    return HttpResponse(status=status, headers=_JSON_HEADERS if body else (), body=body)


_UNREADABLE_FIELDS = b"[redacted: not a fields update the emulator can read]"


def _masked(body: bytes | None) -> bytes | None:
    """Mask a fields update's card number and security code, for the request log.

    A non-empty body of another shape may still hold a card number (as a bare
    string or number): it is logged as a placeholder.
    """
    try:
        data = json.loads(body or b"")
        method = data["payment_method"]
        number = method.get("number")  # AttributeError: not an object
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return body and _UNREADABLE_FIELDS
    if isinstance(number, str) and len(number) >= 13:
        method["number"] = "…" + number[-4:]
    elif number is not None:
        method["number"] = "[redacted]"
    if "security_code" in method:
        method["security_code"] = "[redacted]"
    return json.dumps(data).encode()


def tokens_signed_with(private_key: str) -> Callable[[str], bool]:
    """Return an Emulator `token_check` accepting unexpired ES512 tokens signed with `private_key` (PEM).

    Needs the `jwt` extra. Raises ValidationError("private_key") for text that is not a PEM private key.
    """
    import jwt
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        public_key = load_pem_private_key(private_key.encode(), password=None).public_key()
    except (ValueError, TypeError):
        raise ValidationError("private_key", "must be a PEM private key without a password") from None

    def check(token: str) -> bool:
        try:
            jwt.decode(token, public_key, algorithms=["ES512"], options={"require": ["exp"]})  # type: ignore[arg-type]
        except jwt.InvalidTokenError:
            return False
        return True

    return check


class Emulator:
    """An in-memory Checkout Sessions API with the live API's behaviour and scriptable faults.

    `bearer_token` (if given) is the only token accepted; `token_check` may
    verify a token instead (a JWT signature, say); with neither, every request
    is accepted, with or without a token. `clock`
    gives the time for expiry; sessions live `expires_in` seconds unless the
    create asks otherwise. Thread-safe: serve it to as many threads as you like.
    """

    def __init__(
        self,
        *,
        bearer_token: str | None = None,
        token_check: Callable[[str], bool] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        expires_in: int = 3600,
    ) -> None:
        self._bearer_token = bearer_token
        self._token_check = token_check
        self._clock = clock
        self._expires_in = expires_in
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str], CheckoutSession] = {}
        self._faults: deque[_Fault] = deque()
        self._fingerprint_key = secrets.token_bytes(16)
        self.requests: list[ReceivedRequest] = []

    # --- fault injection ---

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        body: bytes | str | None = None,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the next `times` requests with `status` (an error object unless `body` is given).

        A `str` body is sent encoded as UTF-8. `retry_after` becomes the Retry-After header:
        seconds, or the header's text. Raises ValidationError, naming the argument, for a
        status outside 200..599, a body that is neither bytes nor str, a negative or
        non-finite `retry_after` or one with a line break, or a `times` below 0.
        """
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise ValidationError("fail_next(status)", "must be a whole number in 200..599")
        given: object = body.encode() if isinstance(body, str) else body
        if given is not None and not isinstance(given, (bytes, bytearray, memoryview)):
            raise ValidationError("fail_next(body)", "must be bytes, str (sent as UTF-8) or None")
        if isinstance(retry_after, str):
            if not retry_after.strip() or "\r" in retry_after or "\n" in retry_after:
                raise ValidationError("fail_next(retry_after)", "must be a header value on one line")
        elif retry_after is not None:
            _check_seconds("fail_next(retry_after)", retry_after)
        headers = _JSON_HEADERS + ((("Retry-After", str(retry_after)),) if retry_after is not None else ())
        answer = HttpResponse(status, headers, error_body(status) if given is None else bytes(given))
        self._add("fail_next", times, lambda request, path: Reply(answer))

    def drop_next(self, *, times: int = 1, after_processing: bool = False) -> None:
        """Drop the connection on the next `times` requests, before or after acting on them.

        Raises ValidationError for a `times` below 0 or an `after_processing` that is not a bool.
        """
        if not isinstance(after_processing, bool):
            raise ValidationError("drop_next(after_processing)", "must be True or False")

        def drop(request: HttpRequest, path: str) -> Reply:
            if after_processing:
                self._handle(request, path)
            return Reply(None)

        self._add("drop_next", times, drop)

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Act on the next `times` requests, then wait `seconds` before answering.

        Raises ValidationError for negative or non-finite `seconds` or a `times` below 0.
        """
        _check_seconds("delay_next(seconds)", seconds)
        self._add(
            "delay_next", times, lambda request, path: Reply(self._handle(request, path), delay=seconds)
        )

    def _add(self, name: str, times: object, fault: _Fault) -> None:
        if not is_count(times):
            raise ValidationError(f"{name}(times)", "must be a whole number, 0 or more")
        with self._lock:
            self._faults.extend([fault] * times)

    # --- inspection ---

    def sessions(self, merchant_account_id: str | None = None) -> list[CheckoutSession]:
        """Return the sessions stored for a merchant account (None: requests without the header)."""
        with self._lock:
            return [s for (account, _), s in self._sessions.items() if account == (merchant_account_id or "")]

    # --- the two ways in ---

    def transport(self) -> EmulatorTransport:
        """Return a Transport that calls this emulator in-process, with no sockets."""
        return EmulatorTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> contextlib.AbstractContextManager[str]:
        """Serve this emulator over HTTP on `host` (a free port by default) while inside; yield its base URL.

        Raises ValidationError for a port outside 0..65535, OSError when the address cannot be used.
        """
        return serve(self.exchange, host, port)

    def exchange(self, request: HttpRequest) -> Reply:
        """Answer `request` with injected faults applied: what to send, after what delay, or a drop."""
        path = _path_of(request.url)
        body = _masked(request.body) if path.rstrip("/").endswith("/fields") else request.body
        with self._lock:
            self.requests.append(ReceivedRequest(request.method, path, request.headers, body))
            fault = self._faults.popleft() if self._faults else None
        return Reply(self._handle(request, path)) if fault is None else fault(request, path)

    # --- the API ---

    def _handle(self, request: HttpRequest, path: str) -> HttpResponse:
        route = _ROUTE.fullmatch(path.split("?", 1)[0])
        if route is None:
            return _answer(404, error_body(404))
        session_id, fields = route.group(1), route.group(2)
        # As the API's router does: a method the route does not declare is 405, before authentication.
        allowed = "POST" if session_id is None else "PUT" if fields else "GET, PUT, DELETE"
        method = request.method.upper()
        if method not in allowed.split(", "):
            headers = (*_JSON_HEADERS, ("Allow", allowed))
            return HttpResponse(status=405, headers=headers, body=error_body(405))
        if not self._authorized(request.headers.get("authorization", "")):
            return _answer(401, error_body(401))
        account = request.headers.get("x-gr4vy-merchant-account-id", "")
        if session_id is None:
            return self._create(account, request.body)
        if not _UUID.fullmatch(session_id):
            return _invalid(["path", "session_id"], "Input should be a valid UUID", "uuid_parsing")
        update: Any = None
        if method == "PUT":
            schema = CheckoutSessionSecureFieldsUpdate if fields else CheckoutSessionCreateRequest
            update = _parse(request.body, schema, required=True)
            if isinstance(update, HttpResponse):
                return update
        stored = self._payment_method(update) if fields else None
        key = (account, session_id.lower())
        with self._lock:
            session = self._sessions.get(key)
            if session is not None and session.expires_at is not None and session.expires_at <= self._clock():
                del self._sessions[key]  # an expired session is forgotten
                session = None
            if session is None:
                return _answer(404, error_body(404))
            if method == "GET":
                return _session_answer(200, session)
            if method == "DELETE":
                del self._sessions[key]
                return _answer(204)
            if fields:
                self._sessions[key] = evolve(session, payment_method=stored)
                return _answer(204)
            expires_at = session.expires_at
            if update.expires_in is not None:
                expires_at = self._clock() + timedelta(seconds=update.expires_in)
            self._sessions[key] = evolve(session, expires_at=expires_at, **_session_fields(update))
            return _session_answer(200, self._sessions[key])

    def _authorized(self, header: str) -> bool:
        if self._bearer_token is None and self._token_check is None:
            return True  # an open emulator: a Config on loopback may carry no token at all
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        if self._token_check is not None:
            return self._token_check(token)
        return self._bearer_token is None or secrets.compare_digest(token, self._bearer_token)

    def _create(self, account: str, body: bytes | None) -> HttpResponse:
        parsed = _parse(body, CheckoutSessionCreateRequest, required=False)
        if isinstance(parsed, HttpResponse):
            return parsed
        request = parsed or CheckoutSessionCreateRequest()
        expires_in = request.expires_in if request.expires_in is not None else self._expires_in
        session = CheckoutSession(
            id=str(uuid.uuid4()),
            expires_at=self._clock() + timedelta(seconds=expires_in),
            **_session_fields(request),
        )
        with self._lock:
            self._sessions[(account, session.id)] = session
        return _session_answer(201, session)

    def _payment_method(self, update: CheckoutSessionSecureFieldsUpdate) -> CheckoutSessionPaymentMethod:
        """What the API keeps of a payment method: never the full number nor the security code."""
        method = update.payment_method
        if isinstance(method, CardPaymentMethod):
            number = method.number
            return CheckoutSessionPaymentMethod(
                id=str(uuid.uuid4()),
                scheme=_cards.scheme_of(number),
                label=number[-4:],
                fingerprint=_cards.fingerprint(number, self._fingerprint_key),
                details=CheckoutSessionPaymentMethodDetails(
                    bin=number[:6], card_type=_cards.card_type_of(number), card_country="US"
                ),
            )
        if isinstance(method, IdPaymentMethod):
            return CheckoutSessionPaymentMethod(id=method.id)
        return CheckoutSessionPaymentMethod()


def _path_of(url: str) -> str:
    """The path of an absolute URL, or the URL itself when it is a path already."""
    if "://" not in url:
        return url
    rest = url.split("://", 1)[1]
    return rest[rest.find("/") :] if "/" in rest else "/"


def _session_fields(request: CheckoutSessionCreateRequest) -> dict[str, Any]:
    """What a session keeps of a create or update: every field but `expires_in`."""
    return {
        f.name: getattr(request, f.name)
        for f in fields(CheckoutSessionCreateRequest)
        if f.name != "expires_in"
    }


def _session_answer(status: int, session: CheckoutSession) -> HttpResponse:
    return _answer(status, json.dumps(converter.unstructure(session)).encode())


def _invalid(location: list[str | int], message: str, kind: str) -> HttpResponse:
    """The API's 422: what is wrong, and where (["body", "cart_items", 0, "name"])."""
    body = {"detail": [{"type": kind, "loc": location, "msg": message}]}
    return _answer(422, json.dumps(body).encode())


def _parse(body: bytes | None, cls: type[Any], *, required: bool) -> Any:
    """Parse and check a request body as the API's schemas do; an HttpResponse says why not."""
    if not body:
        if required:
            return _invalid(["body"], "Field required", "missing")
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return _answer(400, error_body(400, "The request body is not valid JSON"))
    if data is None and not required:
        return None  # the create's schema allows a bare null: no body
    # The models read an explicit null as "not given"; the schema has no null for `expires_in`.
    if cls is CheckoutSessionCreateRequest and isinstance(data, dict) and data.get("expires_in", 0) is None:
        return _invalid(["body", "expires_in"], "Input should be a valid number", "float_type")
    try:
        return structure_request(data, cls)
    except ValidationError as exc:
        return _invalid(["body", *_json_path(exc.path)], exc.rule, "value_error")


def _json_path(path: str) -> list[str | int]:
    """Turn `$.cart_items[0].name` into ["cart_items", 0, "name"]."""
    found = re.findall(r"\.([A-Za-z_0-9]+)|\[(\d+)\]|\['([^']*)'\]", path)
    return [int(index) if index else name or key for name, index, key in found]


class EmulatorTransport:
    """A Transport that hands each request to an Emulator in-process, faults included."""

    def __init__(self, emulator: Emulator, sleep: Callable[[float], None] = time.sleep) -> None:
        self.emulator = emulator
        self._sleep = sleep

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Return the emulator's answer, or raise the TransportError a real connection would."""
        reply = self.emulator.exchange(request)
        if reply.delay:
            if timeout.read is not None and reply.delay > timeout.read:
                self._sleep(timeout.read)
                raise ReadTimeout(message="no answer in time")
            self._sleep(reply.delay)
        if reply.response is None:
            raise ConnectionDropped(message="the connection was dropped", request_sent=True)
        return reply.response
