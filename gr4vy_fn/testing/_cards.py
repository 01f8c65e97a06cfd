"""What an emulated API derives from a card number: scheme, type, BIN, label; never the number itself."""

from __future__ import annotations

import hashlib
import hmac

from ..models import CardScheme, CardType

# (first digits, scheme), longest prefixes first, from the schemes' published IIN ranges.
_PREFIXES: list[tuple[str, CardScheme]] = sorted(
    [
        *((str(p), CardScheme.DINERS_CLUB) for p in range(300, 306)),
        ("36", CardScheme.DINERS_CLUB),
        ("38", CardScheme.DINERS_CLUB),
        ("34", CardScheme.AMEX),
        ("37", CardScheme.AMEX),
        ("35", CardScheme.JCB),
        ("4", CardScheme.VISA),
        *((str(p), CardScheme.MASTERCARD) for p in range(51, 56)),
        *((str(p), CardScheme.MASTERCARD) for p in range(2221, 2721)),
        ("6011", CardScheme.DISCOVER),
        ("65", CardScheme.DISCOVER),
        *((str(p), CardScheme.DISCOVER) for p in range(644, 650)),
        ("62", CardScheme.UNIONPAY),
        ("50", CardScheme.MAESTRO),
        *((str(p), CardScheme.MAESTRO) for p in range(56, 59)),
        ("6759", CardScheme.MAESTRO),
    ],
    key=lambda pair: -len(pair[0]),
)

# The emulator's test BINs that are not credit cards.
_CARD_TYPES = {"400005": CardType.DEBIT, "520082": CardType.DEBIT, "555555": CardType.DEBIT}
_CARD_TYPES.update({"400006": CardType.PREPAID, "510000": CardType.PREPAID})


def scheme_of(number: str) -> CardScheme:
    """Return the card scheme an emulated API reports for `number` (OTHER when unknown)."""
    for prefix, scheme in _PREFIXES:
        if number.startswith(prefix):
            return scheme
    return CardScheme.OTHER


def card_type_of(number: str) -> CardType:
    """Return credit, or debit or prepaid for the emulator's debit and prepaid test BINs."""
    return _CARD_TYPES.get(number[:6], CardType.CREDIT)


def fingerprint(number: str, key: bytes) -> str:
    """Return a keyed hash of the number: stable within one emulator, useless outside it."""
    return hmac.new(key, number.encode("ascii"), hashlib.sha256).hexdigest()
