"""The rtnetlink messages that configure a lab's hosts from one process: each is what the kernel
expects for the `ip` command it stands for, in the order `ip -batch` applied them."""

import socket
import struct

from mnss_kernel.runtime import netlink

JOB = {
    "node": "h1",
    "netns": "/run/netns/x",
    "links": [[2, 1400, True], [4, None, False]],
    "addresses": [[2, "10.1.2.10/24"]],
    "routes": [["default", "10.1.2.1"], ["10.9.0.0/16", "10.1.2.254"]],
}


def attributes(data: bytes) -> dict[int, bytes]:
    found, offset = {}, 0
    while offset < len(data):
        length, kind = struct.unpack_from("=HH", data, offset)
        found[kind] = data[offset + 4 : offset + length]
        offset += (length + 3) & ~3
    return found


def test_messages_come_in_ip_batch_order():
    whats = [what for what, _ in netlink.messages(JOB)]
    assert whats == [
        "loopback up",
        "mtu 1400 on link 2",
        "address 10.1.2.10/24 on link 2",
        "link 2 up",
        "route default via 10.1.2.1",
        "route 10.9.0.0/16 via 10.1.2.254",
    ], "a link down by the plan stays down; MTU before up, addresses before routes"


def test_link_address_and_route_messages_carry_what_ip_would_send():
    kind, flags, body = netlink.link_message(2, True, 1400)
    family, _type, index, up, change = struct.unpack_from("=BxHiII", body)
    assert (kind, family, index, up, change) == (
        netlink.RTM_NEWLINK,
        socket.AF_UNSPEC,
        2,
        netlink.IFF_UP,
        netlink.IFF_UP,
    )
    assert attributes(body[16:]) == {netlink.IFLA_MTU: struct.pack("=I", 1400)}
    assert struct.unpack_from("=BxHiII", netlink.link_message(3, False, None)[2])[3] == 0

    kind, flags, body = netlink.address_message(2, "10.1.2.10/24")
    assert kind == netlink.RTM_NEWADDR and flags & netlink.NLM_F_EXCL
    assert struct.unpack_from("=BBBBi", body) == (socket.AF_INET, 24, 0, 0, 2)
    ip = socket.inet_aton("10.1.2.10")
    assert attributes(body[8:]) == {netlink.IFA_LOCAL: ip, netlink.IFA_ADDRESS: ip}

    kind, flags, body = netlink.route_message("default", "10.1.2.1")
    assert kind == netlink.RTM_NEWROUTE and flags & netlink.NLM_F_REPLACE
    assert struct.unpack_from("=BBBBBBBBI", body)[:2] == (socket.AF_INET, 0)
    assert attributes(body[12:]) == {netlink.RTA_GATEWAY: socket.inet_aton("10.1.2.1")}
    body = netlink.route_message("10.9.0.0/16", "10.1.2.254")[2]
    assert struct.unpack_from("=BBBBBBBBI", body)[1] == 16
    assert attributes(body[12:])[netlink.RTA_DST] == socket.inet_aton("10.9.0.0")
