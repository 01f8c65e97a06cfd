"""`CLEAR`: the value that sends an explicit JSON null, kept apart from None ("leave it out")."""

from __future__ import annotations

from typing import final


@final
class Clear:
    """The type of `CLEAR`, its only instance."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "CLEAR"

    def __reduce__(self) -> str:
        return "CLEAR"  # pickled and copied as the module's one instance


CLEAR = Clear()
"""Give this to a nullable field of an update body to send `null` and clear the field on the server.

None leaves a field out of the body; `CLEAR` writes it as `null`.
"""
