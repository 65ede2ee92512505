"""The HL7 v2 interface of a HIS or LIS: an MLLP listener that ACKs every message, and its probe."""

from __future__ import annotations

import logging
import socketserver

from . import mllp
from .hl7msg import build_ack, build_adt_a01, control_id, read_ack
from .rows import Deadline, check_target, describe_error, row
from .tcp import IDLE_TIMEOUT, RunningServer, connect, start_socketserver

log = logging.getLogger(__name__)
SERVICE = "hl7-mllp"
DEFAULT_PORT = 2575
ENCODING = "utf-8"


class _MLLPHandler(socketserver.BaseRequestHandler):
    """One client connection: any number of framed messages, one ACK each, in order."""

    def handle(self) -> None:
        self.request.settimeout(IDLE_TIMEOUT)
        decoder = mllp.Decoder()
        try:
            while data := self.request.recv(65536):
                for payload in decoder.feed(data):
                    ack = build_ack(payload.decode(ENCODING, errors="replace"))
                    self.request.sendall(mllp.frame(ack, ENCODING))
        except mllp.FramingError as exc:
            log.warning("dropping %s: %s", self.client_address[0], exc)
        except OSError:  # idle timeout or the client went away: nothing to answer
            pass


def start_hl7_server(host: str = "0.0.0.0", port: int = DEFAULT_PORT) -> RunningServer:
    return start_socketserver(socketserver.ThreadingTCPServer, host, port, _MLLPHandler)


def hl7_send(host: str, port: int, message: str | None = None, timeout: float = 5.0) -> dict:
    """Send one message (default: a synthetic ADT^A01) over MLLP; ok when the ACK is AA/CA for it.

    rtt_ms runs from the TCP connect to the complete ACK, like a sender's response time.
    """
    check_target(host, port, timeout)
    text = build_adt_a01() if message is None else message
    if not isinstance(text, str):
        raise TypeError(f"message must be HL7 ER7 text (str), got {type(text).__name__}")
    wire = mllp.frame(text.replace("\r\n", "\r").replace("\n", "\r"), ENCODING)
    sent_id = control_id(text)
    deadline = Deadline(timeout)
    try:
        with connect(host, port, deadline) as sock:
            sock.sendall(wire)
            decoder = mllp.Decoder()
            replies: list[bytes] = []
            while not replies:
                sock.settimeout(deadline.remaining())
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection without an ACK")
                replies = decoder.feed(chunk)
            rtt = deadline.elapsed_ms()
    except (OSError, mllp.FramingError) as exc:
        return row(SERVICE, host, port, False, None, describe_error(exc, timeout))
    ack = read_ack(replies[0].decode(ENCODING, errors="replace"))
    if ack.code is None:
        return row(SERVICE, host, port, False, rtt, "reply is not an HL7 ACK (no MSA segment)")
    if sent_id and ack.control_id != sent_id:
        return row(
            SERVICE,
            host,
            port,
            False,
            rtt,
            f"ACK {ack.code} names control id {ack.control_id or '(none)'}, expected {sent_id}",
        )
    about = f" for control id {ack.control_id}" if ack.control_id else ""
    reason = f": {ack.text}" if ack.text else ""
    return row(SERVICE, host, port, ack.accepted, rtt, f"ACK {ack.code}{about}{reason}")
