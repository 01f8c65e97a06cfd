"""Scrubbing of secrets from text this package shows: error messages, excerpts, headers and reprs.

What is removed, and how text is read (escapes, separators), is listed in
docs/errors.md ("What is scrubbed"), which must say the same as this module.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

REDACTED = "[redacted]"

# Patterns are kept as text: `re` compiles each on first use and caches it, so
# importing this module (every cold start) compiles nothing. A pattern that must
# not follow some character looks back after its first character (`x(?<!\wx)`),
# not before it: one that starts with a character is tried only where that
# character stands, not at every position of the text.
# JSON's escapes, and the ones a Python repr adds (\xa0 for a no-break space).
_ESCAPE = r'\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|U[0-9a-fA-F]{8}|["\\/bfnrt])'
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}

# A digit, then (up to three separators, a digit) repeated: where card numbers may hide.
# Only runs of enough digits to hold a card are found (the regular expression
# passes over shorter ones: amounts, dates, times), each whole.
_SEPARATOR = r"[\s.,/_\-\u2010-\u2015\u2212]"
_MAX_SEPARATORS = 3
_CARD_DIGITS = range(12, 20)
_DIGIT_RUN = rf"\d(?:{_SEPARATOR}{{0,{_MAX_SEPARATORS}}}\d){{{_CARD_DIGITS.start - 1},}}"
_DIGITS = r"\d+"
_A_DIGIT = r"\d"
# Stretches of digit groups tried, per text, before the scan stops checking.
_CARD_BUDGET = 20_000
# The request's own card number: its digits with up to this many characters
# that are not letters or digits between any two (a pretty-printed JSON array
# of groups puts a quote, a comma, a line break and an indent there).
_OWN_CARD_GAP = 16
_OWN_GAP = rf"[\W_]{{0,{_OWN_CARD_GAP}}}"
# The request's own security code (or any short secret of digits), as a whole number only:
# `123` inside a session id, an amount or a time is not the code.
_WHOLE_NUMBER = r"{0}(?<![^\W_]{0}){1}(?![^\W_])"
# A bearer token (the part after the word) when it looks like one: sixteen
# characters or more, or anything but a plain lower-case word ("bearer of bad news").
_BEARER_CHAR = r"[^\s\"'<>,;]"
_BEARER = rf"[bB](?<!\w[bB])(?i:earer)[\s:=]+({_BEARER_CHAR}{{16,}}|(?=[a-z]*[^a-z\s\"'<>,;]){_BEARER_CHAR}+)"
# Tried only where a token can begin: from every `eyJ` inside a long word, the
# scan to the word's end would make a text of `eyJeyJeyJ...` cost its length squared.
_JWT = r"eyJ(?<![\w-]eyJ)[\w-]*\.eyJ[\w-]*\.[\w-]*"
# A UUID (a session id) is never a card number, though its digits can pass the check.
_HEX = "[0-9a-fA-F]"
_UUID = rf"{_HEX}{{8}}-(?<![\w-]{_HEX}{{8}}-){_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}(?![\w-])"
# Three or four digits just after a security-code field name: `"security_code": "123"`, `cvv=123`.
# The look-ahead names every character a field name can start with (case-blind, U+017F is an s too).
_SECURITY_CODE = r"(?=[sScC\u017f])(?i:security[\s_-]?code|cvv2?|cvc2?|csc)[^\w]{0,6}?(\d{3,4})(?!\d)"

# The longest text one card number can take: 19 escaped digits and 18 gaps of
# three escaped separators.
_SURROGATE = re.compile("[\ud800-\udfff]")
_CARD_REACH = 19 * 6 + 18 * _MAX_SEPARATORS * 6


class _View:
    """The text with its escapes read, and the way back to positions in the original."""

    __slots__ = ("_escapes", "_original", "text")

    def __init__(self, original: str) -> None:
        self._original = original
        # Where each escape stands, in the view and in the original: worked out
        # only when something is found, which most texts never need.
        self._escapes: tuple[list[int], list[int], list[int]] | None = None
        self.text = original if "\\" not in original else re.sub(_ESCAPE, _read_escape, original)

    def _escape_positions(self) -> tuple[list[int], list[int], list[int]]:
        if self._escapes is None:
            starts: list[int] = []  # in the view
            original_starts: list[int] = []
            original_ends: list[int] = []
            shrunk = 0  # characters the escapes so far took beyond the one each reads as
            for escape in re.finditer(_ESCAPE, self._original):
                starts.append(escape.start() - shrunk)
                original_starts.append(escape.start())
                original_ends.append(escape.end())
                shrunk += escape.end() - escape.start() - 1
            self._escapes = starts, original_starts, original_ends
        return self._escapes

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Return where the view's `text[start:end]` (not empty) stands in the original text."""
        if self.text is self._original:
            return start, end
        return self._character(start)[0], self._character(end - 1)[1]

    def _character(self, at: int) -> tuple[int, int]:
        # Where the view's character `at` stands in the original: the escape it
        # was read from, or plain text after the escape last before it.
        starts, original_starts, original_ends = self._escape_positions()
        escape = bisect_right(starts, at) - 1
        if escape < 0:
            return at, at + 1
        if starts[escape] == at:
            return original_starts[escape], original_ends[escape]
        plain = original_ends[escape] + at - starts[escape] - 1
        return plain, plain + 1


def _read_escape(escape: re.Match[str]) -> str:
    code = escape.group()[1:]
    return chr(min(int(code[1:], 16), 0x10FFFF)) if code[0] in "uxU" else _SIMPLE_ESCAPES[code]


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, its two digits added


def _luhn(digits: str) -> bool:
    total = sum(map(int, digits[-1::-2])) + sum(_DOUBLED[digit] for digit in map(int, digits[-2::-2]))
    return total % 10 == 0


def _card_spans(text: str, own_cards: frozenset[str]) -> Iterable[tuple[int, int]]:
    """Yield the spans of `text` that hold a card number, alone or grouped."""
    budget = _CARD_BUDGET
    for run in re.finditer(_DIGIT_RUN, text):
        if budget <= 0:
            # Past the budget (text no answer needs, made to cost time), every
            # run (each long enough to hold a card) is hidden whole, without the check.
            yield run.span()
            continue
        groups = [(group.start(), group.end(), group.group()) for group in re.finditer(_DIGITS, run.group())]
        offset = run.start()
        for first in range(len(groups)):
            if budget <= 0:
                yield run.span()
                break
            digits = ""
            for last in range(first, len(groups)):
                budget -= 1
                digits += groups[last][2]
                if len(digits) > _CARD_DIGITS.stop - 1:
                    break
                if len(digits) in _CARD_DIGITS and (digits in own_cards or _luhn(digits)):
                    yield offset + groups[first][0], offset + groups[last][1]


def _cards_outside_ids(text: str, own_cards: frozenset[str]) -> Iterable[tuple[int, int]]:
    """Yield the card spans of `text` that share no character with a UUID (its digits can pass the check)."""
    ids = list(re.finditer(_UUID, text))
    id_starts = [match.start() for match in ids]
    id_ends = [match.end() for match in ids]  # ascending too: the ids do not overlap
    for start, end in _card_spans(text, own_cards):
        # Of the ids that start before the span ends, the last reaches furthest.
        last = bisect_left(id_starts, end) - 1
        if last < 0 or id_ends[last] <= start:
            yield start, end


def _is_number(secret: str) -> bool:
    return secret.isascii() and secret.isdigit()


def _is_own_card(secret: str) -> bool:
    return _is_number(secret) and len(secret) in _CARD_DIGITS


def _secret_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """Return the pattern of the request's own secrets, each as it may be written, or None."""
    alternatives = []
    for secret in sorted(set(secrets), key=len, reverse=True):
        if _is_own_card(secret):
            # However the server groups the digits: any gap without letters or digits.
            alternatives.append(_OWN_GAP.join(secret))
        elif _is_number(secret):
            alternatives.append(_WHOLE_NUMBER.format(secret[0], secret[1:]))
        elif secret:
            alternatives.append(re.escape(secret))
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _spans(text: str, secrets: Iterable[str]) -> list[tuple[int, int]]:
    """Return the merged, sorted spans of `text` to hide."""
    secrets = tuple(secrets)
    view = _View(text)
    seen = view.text
    found: list[tuple[int, int]] = []
    pattern = _secret_pattern(secrets)
    if pattern is not None:
        found.extend(match.span() for match in pattern.finditer(seen))
    if re.search(_A_DIGIT, seen):  # card numbers and security codes: none without a digit
        own_cards = frozenset(secret for secret in secrets if _is_own_card(secret))
        found.extend(_cards_outside_ids(seen, own_cards))
        found.extend(match.span(1) for match in re.finditer(_SECURITY_CODE, seen))
    found.extend(match.span(1) for match in re.finditer(_BEARER, seen))
    found.extend(match.span() for match in re.finditer(_JWT, seen))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(view.span(start, end) for start, end in found if end > start):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _render(text: str, spans: list[tuple[int, int]], stop: int) -> str:
    """Return `text[:stop]` with each span replaced; a span that starts before `stop` is replaced whole."""
    pieces = []
    at = 0
    for start, end in spans:
        if start >= stop:
            break
        pieces.append(text[at:start])
        pieces.append(REDACTED)
        at = end
    pieces.append(text[at:stop] if at < stop else "")
    return "".join(pieces)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Return `text` with the request's `secrets`, card numbers, bearer tokens and security codes replaced.

    A lone surrogate (JSON can spell one: `\\ud800`) becomes U+FFFD, so that the text is always valid
    UTF-8 and a log handler writing it does not drop the line.
    """
    text = _printable(text)
    return _render(text, _spans(text, secrets), len(text))


def _printable(text: str) -> str:
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def reach(secrets: Iterable[str] = ()) -> int:
    """Return the most characters one secret can take in text, spelled with escapes and separators."""
    longest = max((_spelled_length(secret) for secret in secrets), default=0)
    return max(_CARD_REACH, 6 * longest)  # each character may be written as a six-character escape


def _spelled_length(secret: str) -> int:
    # The request's own card may have a gap after each digit but the last.
    return len(secret) + (len(secret) - 1) * _OWN_CARD_GAP if _is_own_card(secret) else len(secret)


class Scrubbed(str):
    """Text scrubbed already, with the request's secrets: an error value keeps it without scanning again."""

    __slots__ = ()


def clip(text: str, secrets: Iterable[str] = (), limit: int = 256) -> str:
    """Return `text` scrubbed, cut to `limit` characters (then "…"), no part of a secret at the cut."""
    return _clipped(text, tuple(secrets), limit, more=False)


def excerpt(body: bytes, secrets: Iterable[str] = (), limit: int = 256) -> str:
    """Return the start of `body` as text: scrubbed, cut to `limit` characters, no secret cut in part."""
    secrets = tuple(secrets)
    window_bytes = 4 * _window(secrets, limit)  # a character takes at most four bytes
    text = body[:window_bytes].decode("utf-8", "replace")
    return _clipped(text, secrets, limit, more=len(body) > window_bytes)


def _window(secrets: tuple[str, ...], limit: int) -> int:
    # Twice the limit, so that what is left after scrubbing still fills it, and
    # one secret's reach more, so that a secret cut by the window's end is past
    # what is shown.
    return 2 * limit + reach(secrets)


def _clipped(text: str, secrets: tuple[str, ...], limit: int, *, more: bool) -> str:
    # Only a window of the text is scanned. Where the window cuts the text, the
    # last stretch one secret's reach long is not shown: a secret cut there
    # starts inside it. A secret that starts before that stretch lies wholly in
    # the window, so it is found and hidden whole.
    window = _window(secrets, limit)
    cut = more or len(text) > window
    text = _printable(text[:window])
    stop = window - reach(secrets) if cut else len(text)
    shown = _render(text, _spans(text, secrets), stop)
    if cut or len(shown) > limit:
        return shown[:limit] + "…"
    return shown
