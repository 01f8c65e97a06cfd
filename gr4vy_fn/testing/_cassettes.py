"""A vcrpy configuration that writes no secret into a cassette: `vcr.VCR(**vcr_config())`.

Its hooks run on every request and response before vcrpy keeps it, in memory
or on disk. vcrpy is imported only when `vcr_config()` is called: it is a test
tool, never a dependency of gr4vy_fn.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from importlib.metadata import version
from importlib.util import find_spec
from typing import Any

# gr4vy_fn's private parts used here, all in this one place (re-point them here if they move):
# the package's secret scrubber, and (in _pool_patches) the pool classes of the urllib3 and
# requests transports, reached through those transports' public attributes.
from .._redact import scrub

__all__ = ["vcr_config"]

REDACTED = "[redacted]"  # the scrubber's own marker, so that a cassette shows one kind

# Before 9.1, vcrpy's stand-in for urllib3 2's response lacks what urllib3's pools call
# (`release_conn`, `version_string`): the default and requests transports cannot record.
# vcrpy 9.1 needs Python 3.11.
_LOWEST_VCRPY = (9, 1)

# Headers that carry a credential, whatever the rest of their name: dropped, not scrubbed
# (`authorization`, `proxy-authorization`, `cookie`, `set-cookie`, `x-auth-token`, `x-api-key`...).
_CREDENTIAL_HEADER = r"auth|cookie|token|secret|password|api[-_]?key"

# A credential header's value shorter than this is not looked for in responses: a word that
# short would be scrubbed wherever it appears.
_SHORTEST_CREDENTIAL = 8

# JSON keys whose whole value is a secret, compared with case, `_` and `-` ignored
# (`security_code`, `securityCode` and `Security-Code` alike), plus every key ending in `token`.
_SECRET_KEYS = frozenset(
    {
        "number",  # the card number of a secure-fields update
        "cardnumber",
        "pan",
        "securitycode",
        "cvv",
        "cvv2",
        "cvc",
        "cvc2",
        "csc",
        "cryptogram",
        "password",
        "secret",
        "clientsecret",
        "privatekey",
        "apikey",
    }
)

# A hex digest (a card's fingerprint, 64 hex digits) is never a card number, though a stretch
# of its digits can pass the Luhn check: left whole, or replaying would give back a damaged
# fingerprint about one time in ten. All digits is not a digest: those are scrubbed.
_HEX_DIGEST = r"(?=[0-9]*[a-fA-F])[0-9a-fA-F]{32,}"

# What vcrpy stores of a response whose encoding it could not undo: unreadable, so unscrubbable.
_IDENTITY = frozenset({"", "identity"})


def vcr_config() -> dict[str, Any]:
    """Return keyword arguments for `vcr.VCR(**...)` that keep every secret out of a cassette.

    The same dict serves `VCR.use_cassette(path, **...)` and pytest-recording's `vcr_config`
    fixture; add your own keys (to add a hook, call the given one from yours). Before vcrpy keeps
    or matches a request or response: credential headers (auth, cookie, token, secret, password,
    api key) are dropped and what they held is scrubbed from later responses; a JSON body's card
    `number`, security codes, `...token`, passwords, secrets and keys become "[redacted]"; every
    other header, the URL and the rest of each body go through gr4vy_fn's scrubber. Compressed
    responses are decompressed first; `custom_patches` points the urllib3 and requests
    transports' own pools at vcrpy's connections (docs/testing.md has the details).

    Returns:
        A new dict each call: `before_record_request`, `before_record_response`,
        `decode_compressed_response` and `custom_patches`.
    Raises:
        ModuleNotFoundError: vcrpy is not installed (`custom_patches` names its classes).
        RuntimeError: vcrpy is older than 9.1, which cannot record urllib3 2's pools.
        The hooks raise ValueError, failing the call being recorded, for a response whose
        Content-Encoding vcrpy could not undo: its body cannot be scrubbed.
    """
    installed = version("vcrpy")
    if tuple(int(part) for part in re.findall(r"\d+", installed)[:2]) < _LOWEST_VCRPY:
        msg = (
            f"gr4vy_fn.testing.vcr_config() needs vcrpy 9.1 or later (on Python 3.11 or later): "
            f"vcrpy {installed} cannot record the urllib3 and requests transports"
        )
        raise RuntimeError(msg)
    credentials: set[str] = set()  # what the requests' credential headers held, for the responses
    return {
        "before_record_request": _Hook(_scrub_request, credentials),
        "before_record_response": _Hook(_scrub_response, credentials),
        "decode_compressed_response": True,
        "custom_patches": _pool_patches(),
    }


class _Hook:
    """One of vcr_config()'s hooks: `scrub(item, credentials)`, with the credentials its config saw."""

    # The request hook (vcrpy calls it first) adds what credential headers held, so that the
    # response hook scrubs a token echoed bare. Equal by what they do; a deepcopy keeps one set.

    __slots__ = ("credentials", "scrub")

    def __init__(self, scrub: Any, credentials: set[str]) -> None:
        self.scrub = scrub
        self.credentials = credentials

    def __call__(self, item: Any) -> Any:
        return self.scrub(item, self.credentials)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Hook) and other.scrub is self.scrub

    __hash__ = None  # type: ignore[assignment]


def _pool_patches() -> tuple[tuple[Any, str, Any], ...]:
    """The patches vcrpy needs, beyond its own, to record and replay the urllib3 and requests transports."""
    # vcrpy patches urllib3's own pools only: the transports' pool subclasses name their own
    # connection class, whose traffic would otherwise go to the network. And vcrpy's stand-in
    # response takes no `decode_content` in `read1`, which the urllib3 transport passes.
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from vcr.stubs import VCRHTTPResponse, urllib3_stubs  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from ..transports import Urllib3Transport

    pools = set(Urllib3Transport(trust_env=False).pool_manager.pool_classes_by_scheme.values())
    if find_spec("requests") is not None:  # the `requests` extra
        from ..transports import RequestsTransport

        transport = RequestsTransport()
        try:
            for adapter in transport.session.adapters.values():
                manager = getattr(adapter, "poolmanager", None)
                if manager is not None:
                    pools.update(manager.pool_classes_by_scheme.values())
        finally:
            transport.close()
    connections = tuple(
        (
            pool,
            "ConnectionCls",
            urllib3_stubs.VCRRequestsHTTPSConnection
            if issubclass(pool, HTTPSConnectionPool)
            else urllib3_stubs.VCRRequestsHTTPConnection,
        )
        # urllib3's own pools are vcrpy's to patch; a stable order makes one config equal the next.
        for pool in sorted(pools, key=lambda pool: (pool.__module__, pool.__qualname__))
        if pool not in (HTTPConnectionPool, HTTPSConnectionPool)
    )
    answers = tuple((connection, "getresponse", _inflated_response) for _, _, connection in connections)
    return (*connections, *answers, (VCRHTTPResponse, "read1", _read1))


def _inflated_response(connection: Any, *args: Any, **kwargs: Any) -> Any:
    """vcrpy's `getresponse` on a urllib3 connection, with Content-Encoding and -Length fitting the body."""
    # vcrpy answers a live call with the body inflated but the answer's own encoding and
    # length: the transports would inflate it again, and fail.
    from vcr.stubs import VCRHTTPResponse, urllib3_stubs

    # The getresponse the patch replaces: vcrpy's, which gives the stand-in urllib3's headers.
    response = urllib3_stubs._VCRRequestsConnectionMixin.getresponse(connection, *args, **kwargs)
    if isinstance(response, VCRHTTPResponse) and "content-encoding" in response.headers:
        length = str(len(response.data))
        for headers in (response.headers, response.msg):
            for name in ("Content-Encoding", "Content-Length"):
                if name in headers:  # a chunked answer has no length
                    del headers[name]
            headers["Content-Length"] = length
        response.length = length
    return response


def _read1(response: Any, amt: int | None = None, decode_content: bool | None = None) -> bytes:
    """urllib3 2's `read1` on vcrpy's stand-in response, through its `read` (which frees the connection)."""
    data: bytes = response.read(-1 if amt is None else amt)
    return data


def _scrub_request(request: Any, credentials: set[str]) -> Any:
    """vcrpy's before_record_request (on a copy, also before matching): no secret left in the request."""
    for name, value in request.headers.items():
        token = value.split()[-1] if _credential(name) and value.split() else ""
        if len(token) >= _SHORTEST_CREDENTIAL:  # `Bearer T`, `Basic T`, or T alone
            credentials.add(token)
    secrets = tuple(credentials)
    request.uri = scrub(request.uri, secrets)
    body = request.body
    if hasattr(body, "getvalue"):  # a file-like body: vcrpy holds its bytes, and hands out a new file
        body = body.getvalue()
    request.headers, scrubbed = _scrub_parts(request.headers, body, secrets)
    if scrubbed is not None:
        request.body = scrubbed
    return request


def _scrub_response(response: dict[str, Any], credentials: set[str]) -> dict[str, Any]:
    """vcrpy's before_record_response: a new dict (the given one may answer the live call), no secret left."""
    response = copy.deepcopy(response)
    secrets = tuple(credentials)
    status = response.get("status")
    if isinstance(status, dict) and isinstance(status.get("message"), str):
        status["message"] = scrub(status["message"], secrets)  # a reason phrase is server-written text too
    headers: dict[str, Any] = response.get("headers") or {}
    encoding = _header(headers, "content-encoding").strip().lower()
    if encoding not in _IDENTITY:
        msg = (
            f"a response body is {encoding!r}-encoded, which vcrpy could not decode: it cannot be "
            "scrubbed of secrets, so it is not recorded (ask for no compression, or install the decoder)"
        )
        raise ValueError(msg)
    body: Any = response.get("body")
    string = body.get("string") if isinstance(body, dict) else None
    response["headers"], scrubbed = _scrub_parts(headers, string, secrets)
    if scrubbed is not None:
        body["string"] = scrubbed
    return response


def _scrub_parts(headers: dict[str, Any], body: Any, secrets: tuple[str, ...]) -> tuple[Any, Any]:
    """Scrubbed headers with no credential, and the body scrubbed (None: unchanged), its length to fit."""
    scrubbed = _scrub_body(body, secrets) if isinstance(body, (bytes, str)) else body
    if scrubbed != body:
        # A replay reads the body by its Content-Length.
        length = str(len(scrubbed.encode("utf-8") if isinstance(scrubbed, str) else scrubbed))
        for name, value in headers.items():
            if name.lower() == "content-length":
                headers[name] = [length] if isinstance(value, list) else length
    headers = {  # a name is the sender's to write too: `X-Card-4111...`
        scrub(name, secrets): [scrub(value, secrets) for value in values]
        if isinstance(values, list)
        else scrub(values, secrets)
        for name, values in headers.items()
        if not _credential(name)
    }
    return headers, None if scrubbed == body else scrubbed


def _credential(header: str) -> bool:
    return re.search(_CREDENTIAL_HEADER, header, re.IGNORECASE) is not None


def _header(headers: dict[str, Any], name: str) -> str:
    for key, values in headers.items():
        if key.lower() == name:
            return ", ".join(values) if isinstance(values, list) else str(values)
    return ""


def _scrub_body(body: bytes | str, secrets: tuple[str, ...]) -> bytes | str:
    """Return `body` (of the same type) with no secret left: as JSON if it parses, else as text."""
    # Bytes are read as the client reads JSON and, unless UTF-8, as latin-1 too, each reading
    # written back in its own codec; a body no parser can read is scrubbed as text.
    if isinstance(body, str):
        return _scrub_text(body, secrets)
    codec = json.detect_encoding(body)
    with contextlib.suppress(UnicodeDecodeError):  # not in the codec its first bytes suggest
        body = _scrub_in(body, codec, secrets)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        body = _scrub_in(body, "latin-1", secrets)
    return body


def _scrub_in(body: bytes, codec: str, secrets: tuple[str, ...]) -> bytes:
    text = body.decode(codec, "surrogatepass")
    # JSON read as latin-1 is written back with escapes: what they held (a euro sign) stays escaped.
    scrubbed = _scrub_text(text, secrets, ascii_only=codec == "latin-1")
    return body if scrubbed == text else scrubbed.encode(codec, "surrogatepass")


def _scrub_text(text: str, secrets: tuple[str, ...], *, ascii_only: bool = False) -> str:
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
        scrubbed = _scrub_json(document, secrets)
        if scrubbed == document:
            return text  # nothing to hide: the body stays as it was sent
        return json.dumps(scrubbed, ensure_ascii=ascii_only, separators=(",", ":"))
    except (ValueError, RecursionError):
        # Not JSON, JSON whose repeated keys a parser would read only in part, or nested too
        # deep to walk (the client calls that "not JSON" too).
        return scrub(text, secrets)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("a key appears twice: json.loads would keep its last value only")
    return document


def _scrub_json(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {
            scrub(key, secrets): REDACTED
            if _secret_key(key) and item is not None
            else _scrub_json(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub_json(item, secrets) for item in value]
    if isinstance(value, str):
        return value if re.fullmatch(_HEX_DIGEST, value) else scrub(value, secrets)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A card number sent as a JSON number is a card number still.
        return value if scrub(str(value), secrets) == str(value) else REDACTED
    return value


def _secret_key(key: str) -> bool:
    folded = re.sub(r"[\W_]", "", key).lower()
    return folded in _SECRET_KEYS or folded.endswith("token")
