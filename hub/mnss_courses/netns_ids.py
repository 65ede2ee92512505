"""Run by the grader inside a lab (`python -I netns_ids.py FD...`, the namespaces' fds passed on):
for each namespace X of the FDs, which id X gives each of the others. A veth in X names its
peer's namespace only by such an id (`link_netnsid`), so this is how the grader learns, from the
kernel itself, which node each of X's cables leads to. Prints a JSON list: for each X, {id: index
of the namespace with that id}. Standard library only: it runs with `-I`, from the grader's files.
"""

import ctypes
import json
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
RTM_NEWNSID, RTM_GETNSID, NLMSG_ERROR = 88, 90, 2
NETNSA_NSID, NETNSA_FD = 1, 3
NLM_F_REQUEST = 1


def nsid_of(sock: socket.socket, fd: int, seq: int) -> int | None:
    """The id the socket's namespace gives the namespace of `fd`; None when it gives none."""
    body = struct.pack("=Bxxx", socket.AF_UNSPEC) + struct.pack("=HHI", 8, NETNSA_FD, fd)
    sock.send(struct.pack("=LHHLL", 16 + len(body), RTM_GETNSID, NLM_F_REQUEST, seq, 0) + body)
    reply = sock.recv(4096)
    _length, kind, _flags, _seq, _pid = struct.unpack_from("=LHHLL", reply)
    if kind != RTM_NEWNSID:
        return None
    offset = 20
    while offset + 4 <= len(reply):
        size, attr = struct.unpack_from("=HH", reply, offset)
        if attr == NETNSA_NSID and size >= 8:
            value = struct.unpack_from("=i", reply, offset + 4)[0]
            return value if value >= 0 else None
        offset += (size + 3) & ~3 or 4
    return None


def main(fds: list[int]) -> list[dict[str, int]]:
    libc = ctypes.CDLL(None, use_errno=True)
    found = []
    for x in fds:
        if libc.setns(x, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
            ids = {}
            for index, y in enumerate(fds):
                if y != x and (nsid := nsid_of(sock, y, index + 1)) is not None:
                    ids[str(nsid)] = index
            found.append(ids)
    return found


if __name__ == "__main__":
    print(json.dumps(main([int(a) for a in sys.argv[1:]])))
