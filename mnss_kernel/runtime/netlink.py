"""Configure the hosts of a lab from one process over rtnetlink, instead of one `ip` per host.

Starting `nsenter ... ip -batch` for every node costs two program starts per node; for the
10,000-node region that was most of the build (about 124 of 162 s on two loaded cores). A host needs
only a few kernel changes (links up with their MTU, addresses, its routes), so this script, run
once per lab where the lab's namespaces are named (`python netlink.py < jobs.json`), enters each
host's network namespace with setns(2), opens a NETLINK_ROUTE socket there and sends those
messages, waiting for each acknowledgement. Standard library only: it runs inside the lab's
holder, where nothing but this file is imported. Its input is plain data made by lab.py:

    [{"node": "h1", "netns": "/run/netns/NAME", "links": [[index, mtu or null, up], ...],
      "addresses": [[index, "10.0.0.10/24"], ...], "routes": [["default" or "NET/LEN", "GATEWAY"], ...]}]

On the first refusal it names the node and the change on stderr and exits 1.
"""

from __future__ import annotations

import ctypes
import ipaddress
import json
import os
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE = 16, 20, 24
NLM_F_REQUEST, NLM_F_ACK, NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x100, 0x200, 0x400
NLMSG_ERROR = 2
IFF_UP = 0x1
IFLA_MTU = 4
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_GATEWAY = 1, 5
RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST = 254, 3, 0, 1
LOOPBACK = 1  # the ifindex of lo in every namespace
HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port


def attribute(kind: int, data: bytes) -> bytes:
    """One rtattr, padded to 4 bytes."""
    length = 4 + len(data)
    return struct.pack("=HH", length, kind) + data + b"\0" * (-length % 4)


def link_message(index: int, up: bool, mtu: int | None) -> tuple[int, int, bytes]:
    """`ip link set dev X [mtu M] up|down`: ifinfomsg changing IFF_UP only."""
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index, IFF_UP if up else 0, IFF_UP)
    if mtu:
        body += attribute(IFLA_MTU, struct.pack("=I", mtu))
    return RTM_NEWLINK, 0, body


def address_message(index: int, address: str) -> tuple[int, int, bytes]:
    """`ip addr add A/LEN dev X`: local and peer address both A, no broadcast."""
    interface = ipaddress.IPv4Interface(address)
    packed = interface.ip.packed
    body = struct.pack("=BBBBi", socket.AF_INET, interface.network.prefixlen, 0, RT_SCOPE_UNIVERSE, index)
    return RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body + attribute(IFA_LOCAL, packed) + attribute(IFA_ADDRESS, packed)


def route_message(destination: str, gateway: str) -> tuple[int, int, bytes]:
    """`ip route replace NET via GW` (NET 'default' for 0.0.0.0/0), in the main table."""
    net = ipaddress.IPv4Network("0.0.0.0/0" if destination == "default" else destination)
    body = struct.pack(
        "=BBBBBBBBI", socket.AF_INET, net.prefixlen, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0
    )
    if net.prefixlen:
        body += attribute(RTA_DST, net.network_address.packed)
    return (
        RTM_NEWROUTE,
        NLM_F_CREATE | NLM_F_REPLACE,
        body + attribute(RTA_GATEWAY, ipaddress.IPv4Address(gateway).packed),
    )


def messages(job: dict) -> list[tuple[str, tuple[int, int, bytes]]]:
    """(what, message) for one host, in the order `ip -batch` would apply them: lo up, MTUs,
    addresses, links up, routes."""
    out = [("loopback up", link_message(LOOPBACK, True, None))]
    out += [(f"mtu {mtu} on link {index}", link_message(index, False, mtu)) for index, mtu, _up in job["links"] if mtu]
    out += [
        (f"address {address} on link {index}", address_message(index, address)) for index, address in job["addresses"]
    ]
    out += [(f"link {index} up", link_message(index, True, None)) for index, _mtu, up in job["links"] if up]
    out += [(f"route {net} via {gateway}", route_message(net, gateway)) for net, gateway in job["routes"]]
    return out


def send(sock: socket.socket, sequence: int, message: tuple[int, int, bytes]) -> int:
    """Send one request and return the kernel's answer: 0, or the errno it refused with."""
    kind, flags, body = message
    sock.send(HEADER.pack(HEADER.size + len(body), kind, flags | NLM_F_REQUEST | NLM_F_ACK, sequence, 0) + body)
    while True:
        data = sock.recv(65536)
        offset = 0
        while offset + HEADER.size <= len(data):
            length, answer, _flags, seq, _port = HEADER.unpack_from(data, offset)
            if answer == NLMSG_ERROR and seq == sequence:
                return -struct.unpack_from("=i", data, offset + HEADER.size)[0]
            offset += max(HEADER.size, (length + 3) & ~3)


def configure(jobs: list[dict]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        for job in jobs:
            fd = os.open(job["netns"], os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"{job['node']}: cannot enter {job['netns']}")
            finally:
                os.close(fd)
            with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
                for sequence, (what, message) in enumerate(messages(job), 1):
                    refused = send(sock, sequence, message)
                    if refused:
                        raise OSError(refused, f"{job['node']}: {what}: {os.strerror(refused)}")
    finally:
        libc.setns(home, CLONE_NEWNET)
        os.close(home)


def main() -> int:
    try:
        configure(json.load(sys.stdin))
    except OSError as err:
        print(err.strerror or err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
