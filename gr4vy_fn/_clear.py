"""`CLEAR`: the value that sends an explicit JSON null, kept apart from None ("leave it out")."""

from __future__ import annotations

from enum import Enum
from typing import Literal


class Clear(Enum):
    """The type of `CLEAR`; its only member."""

    CLEAR = "CLEAR"

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR: Literal[Clear.CLEAR] = Clear.CLEAR
"""Give this to a nullable field of an update body to send `null` and clear the field on the server.

None leaves a field out of the body; `CLEAR` writes it as `null`.
"""
