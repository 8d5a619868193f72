"""What a long backup or restore reports (apart from the service, so that the command
line can draw it without loading the backup machinery on every ``cyberhub`` call)."""

from __future__ import annotations


class Progress:
    """The phases of a backup or restore; the command line draws them with rich."""

    def phase(self, description: str, total: int | None = None) -> None:
        """A new phase starts (``total`` in bytes when known)."""

    def advance(self, amount: int) -> None:
        """``amount`` more bytes of the current phase are done."""
