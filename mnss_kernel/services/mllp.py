"""MLLP, the Minimal Lower Layer Protocol that carries HL7 v2 over TCP: <VT> message <FS><CR>.

Kept free of sockets so framing is tested on bytes alone.
"""

from __future__ import annotations

START = b"\x0b"  # VT, start block
END = b"\x1c\x0d"  # FS + CR, end block
MAX_MESSAGE = 1 << 20  # a bigger "message" is a client bug or abuse; the connection is dropped


class FramingError(ValueError):
    """The byte stream cannot be MLLP (message too large, or control bytes inside one)."""


def frame(message: str | bytes, encoding: str = "utf-8") -> bytes:
    """Wrap one HL7 message for the wire."""
    payload = message.encode(encoding) if isinstance(message, str) else bytes(message)
    if START in payload or b"\x1c" in payload:
        raise FramingError("an HL7 message may not contain the MLLP block characters 0x0b or 0x1c")
    if len(payload) > MAX_MESSAGE:
        raise FramingError(f"message of {len(payload)} bytes exceeds the {MAX_MESSAGE}-byte limit")
    return START + payload + END


class Decoder:
    """Turns a TCP byte stream into whole messages, whatever way it was split into segments.

    Bytes outside a block (before a start byte) are ignored and counted in `discarded`.
    """

    def __init__(self, max_message: int = MAX_MESSAGE):
        self.max_message = max_message
        self.discarded = 0
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the messages they complete (payloads, without framing)."""
        self._buffer += data
        messages = []
        while True:
            start = self._buffer.find(START)
            if start < 0:
                self.discarded += len(self._buffer)
                self._buffer = b""
                return messages
            self.discarded += start
            self._buffer = self._buffer[start:]
            end = self._buffer.find(END, 1)
            if end < 0:
                if len(self._buffer) - 1 > self.max_message:
                    raise FramingError(f"message exceeds the {self.max_message}-byte limit without an end block")
                return messages
            if end - 1 > self.max_message:
                raise FramingError(f"message of {end - 1} bytes exceeds the {self.max_message}-byte limit")
            messages.append(self._buffer[1:end])
            self._buffer = self._buffer[end + len(END) :]

    @property
    def pending(self) -> int:
        """Bytes of a message started but not yet ended."""
        return len(self._buffer)
