"""A streamed request body kept only while it stays within its limit.

A hub service refusing an upload (too large, or from nobody it knows) still reads it to the end:
answering while the client is still sending resets the connection, and through the hub's proxy
the client would see a 503 instead of the refusal. What it reads then is thrown away, never held.
"""

from __future__ import annotations


class CappedBody:
    def __init__(self, limit: int):
        self.limit = limit
        self.received = 0
        self._chunks: list[bytes] | None = []

    def add(self, chunk: bytes) -> None:
        """Count `chunk`; keep it while the whole body is still within the limit."""
        self.received += len(chunk)
        if self._chunks is not None and self.received <= self.limit:
            self._chunks.append(chunk)
        else:
            self._chunks = None

    def discard(self) -> None:
        """Read on, keep nothing (the request is refused anyway)."""
        self._chunks = None

    @property
    def kept(self) -> bool:
        return self._chunks is not None

    def data(self) -> bytes | None:
        """The whole body, or None when it was over the limit or discarded."""
        return None if self._chunks is None else b"".join(self._chunks)
