"""Packet capture as a pcap stream on stdout without tcpdump's account switch: what
`measure.capture` runs on a node of a lab without root. tcpdump, started as (namespace) root,
insists on switching to its own account, and a rootless lab's user namespace maps only its owner,
so it cannot start there.

The filter is tcpdump's own: the caller compiles the expression with `tcpdump -ddd` (which needs no
privilege) and passes the instructions; this program only attaches them to an AF_PACKET socket and
writes what passes to stdout, flushed packet by packet, in the classic pcap format tcpdump and
Wireshark read. Stdout, not a file: the caller's folders (a learner's home) may not be visible in
the node's mount namespace, so the caller writes the file.

    python -m mnss_kernel.runtime.packet_capture IFACE [N "code jt jf k" ...] > OUT.pcap

It says "listening on IFACE" on stderr once armed (as tcpdump does) and stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import struct
import sys
import time
from typing import BinaryIO

ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26
LINKTYPE_ETHERNET = 1
SNAPLEN = 262144
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET)


def parse_program(words: list[str]) -> list[tuple[int, int, int, int]]:
    """`tcpdump -ddd` output (a count, then one "code jt jf k" per line) as instructions."""
    if not words:
        return []
    count, lines = int(words[0]), words[1:]
    program = [tuple(int(x) for x in line.split()) for line in lines]
    if len(program) != count or any(len(ins) != 4 for ins in program):
        raise ValueError(f"a filter program of {count} instructions was announced, {len(program)} given")
    return program  # type: ignore[return-value]


def attach(sock: socket.socket, program: list[tuple[int, int, int, int]]) -> None:
    """SO_ATTACH_FILTER: struct sock_fprog {unsigned short len; struct sock_filter *filter}."""
    filters = b"".join(struct.pack("HBBI", *ins) for ins in program)
    buffer = ctypes.create_string_buffer(filters)
    fprog = struct.pack("HL", len(program), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def record(packet: bytes, when: float) -> bytes:
    seconds = int(when)
    return struct.pack("<IIII", seconds, int((when - seconds) * 1_000_000), len(packet), len(packet)) + packet


def capture(interface: str, pcap: BinaryIO, program: list[tuple[int, int, int, int]]) -> int:
    """Write the packets seen on `interface` (both directions) until a stop signal; how many."""
    stop = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.append(True))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # protocol 0: nothing arrives before bind
    if program:
        attach(sock, program)
    sock.bind((interface, ETH_P_ALL))
    sock.settimeout(0.2)
    count = 0
    pcap.write(PCAP_HEADER)
    pcap.flush()
    print(f"listening on {interface}, link-type EN10MB (Ethernet)", file=sys.stderr, flush=True)
    while not stop:
        try:
            packet = sock.recv(SNAPLEN)
        except (TimeoutError, InterruptedError):
            continue
        pcap.write(record(packet, time.time()))
        pcap.flush()
        count += 1
    return count


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    count = capture(argv[0], sys.stdout.buffer, parse_program(argv[1:]))
    print(f"{count} packets captured", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
