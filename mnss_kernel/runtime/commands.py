"""The text of every command that reaches the kernel's network state, and nothing else.

ip, tc, iptables, sysctl, bridge, mount, nsenter, unshare and setpriv command lines are built here
only: argv lists, and the lines fed to `ip -batch`, `tc -batch` and `iptables-restore`. What the
engine does to the kernel can so be read and reviewed in one file, and a new kernel or tool version
is met in one place. Nothing here runs anything or decides what a lab needs: shell.py runs these,
lab.py, holder.py, capabilities.py and shaping.py choose them. A unit test fails if such text
appears in another module of mnss_kernel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

IP, TC = "ip", "tc"  # the iproute2 tools that read a batch from stdin
NETNS_DIR = "/run/netns"  # where `ip netns add` names a namespace (in a holder: its private /run)
USERNS = ["--user", "--map-root-user"]  # a user namespace where the calling user is root

# -- running iproute2 -----------------------------------------------------------------------------


def batch(tool: str = IP) -> list[str]:
    """`ip` or `tc` reading one command per line from stdin, all in one process."""
    if tool not in (IP, TC):
        raise ValueError(f"no batch mode for {tool!r}")
    return [tool, "-batch", "-"]


def forced_ip_batch() -> list[str]:
    """`ip -batch` that goes on past a failing line (routes whose gateway is not reachable yet)."""
    return [IP, "-force", "-batch", "-"]


def list_namespaces() -> list[str]:
    """The network namespaces named on this host, one per line (the name first)."""
    return [IP, "netns", "list"]


# -- entering a lab's namespaces ------------------------------------------------------------------


def enter_named(netns: str, argv: list[str]) -> list[str]:
    """argv in a network namespace named on this host.

    nsenter mounts nothing, where `ip -n`/`ip netns exec` mount a sysfs, which the kernel refuses in
    a container whose root is not the host's root (userns-remap).
    """
    return ["nsenter", f"--net={NETNS_DIR}/{netns}", *argv]


def _enter_holder(pid: int, userns: bool) -> list[str]:
    # --preserve-credentials: the caller's uid is root inside already; nsenter must not call
    # setgroups, which a user namespace made by an unprivileged user forbids.
    user = ["--user", "--preserve-credentials"] if userns else []
    return ["nsenter", f"--target={pid}", *user, "--mount", "--pid"]


def holder_on_host(pid: int, userns: bool, argv: list[str]) -> list[str]:
    """argv in the holder's own namespaces, where the lab's namespaces are named, as root of the lab."""
    return [*_enter_holder(pid, userns), "--net", *argv]


def holder_in_netns(pid: int, userns: bool, netns: str, argv: list[str]) -> list[str]:
    """argv in one of the holder's network namespaces, reached through the holder's root
    (/proc/<pid>/root), which nsenter opens before it enters."""
    return [*_enter_holder(pid, userns), f"--net=/proc/{pid}/root{NETNS_DIR}/{netns}", *argv]


def with_parent_death_signal(argv: list[str]) -> list[str]:
    """argv that gets SIGTERM when its parent (the nsenter waiting for it) ends: nsenter does not
    forward signals."""
    return ["setpriv", "--pdeathsig", "TERM", "--", *argv]


def with_hosts_file(hosts: str, argv: list[str]) -> list[str]:
    """argv in a private mount namespace with `hosts` (if present) bound over /etc/hosts."""
    script = f'if [ -e {hosts} ]; then mount --bind {hosts} /etc/hosts || exit 125; fi; exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "--", *argv]


def bind_hosts_file(hosts: str) -> list[str]:
    """Bind a lab's hosts file over /etc/hosts (of the holder's mount namespace)."""
    return ["mount", "--bind", hosts, "/etc/hosts"]


# -- the holder of a lab --------------------------------------------------------------------------

# PID 1 of the lab: a private /run for the namespace names and the lab's hosts file, then wait for
# end-of-file on stdin. It tells its pid as the host's /proc sees it (the /proc mount is the host's).
HOLDER_PID1 = (
    "mount -t tmpfs -o mode=0755,size=16m mnss-lab /run && mkdir -p /run/netns /run/mnss || exit 1; "
    'read -r me _ < /proc/self/stat; echo "READY $me"; read -r _ _; exit 0'
)
# Outside: run the holder, then remove what only a dead lab leaves (its record and working folder).
_HOLDER_OUTSIDE = (
    'rec=$1 work=$2 mark=$3; shift 3; "$@" sh -c "$0" "$mark"; rm -f -- "$rec"; [ -z "$work" ] || rm -rf -- "$work"'
)
_HOLDER_UNSHARE = ["unshare", "--net", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child"]


def holder(mark: str, record: str, workdir: str, userns: bool) -> list[str]:
    """The holder of a lab: PID 1 of new network, mount and PID namespaces (and a user namespace
    for `userns`), carrying `mark` in its argv; its record and working folder go when it ends."""
    unshare = _HOLDER_UNSHARE + (USERNS if userns else [])
    return ["sh", "-c", _HOLDER_OUTSIDE, HOLDER_PID1, record, workdir, mark, *unshare]


# -- probes of what this system allows ------------------------------------------------------------


def namespaces_probe(userns: bool) -> list[str]:
    """Succeeds where the namespaces of a holder can be made (with a user namespace: without root)."""
    return ["unshare", *(USERNS if userns else []), "--net", "--mount", "--pid", "--fork", "true"]


def qdisc_probe(kind: str, userns: bool) -> list[str]:
    """Succeeds where qdisc `kind` can be attached (to loopback of a throw-away network namespace)."""
    args = {"netem": ["delay", "1ms"], "htb": ["default", "1"]}.get(kind, [])
    return ["unshare", *(USERNS if userns else []), "--net", TC, "qdisc", "add", "dev", "lo", "root", kind, *args]


_REMOUNT_PROC_SYS = "mount -o remount,rw,bind /proc/sys"


def proc_sys_remount_probe() -> list[str]:
    """Succeeds where a private mount namespace may make a read-only /proc/sys writable."""
    return ["unshare", "--mount", "sh", "-c", _REMOUNT_PROC_SYS]


def with_writable_proc_sys(argv: list[str]) -> list[str]:
    """argv with /proc/sys writable for it alone (a private remount; see capabilities.sysctl_access)."""
    return ["unshare", "--mount", "sh", "-c", f'{_REMOUNT_PROC_SYS} && exec "$@"', "--", *argv]


# -- hosts over rtnetlink -------------------------------------------------------------------------


def configure_hosts(python: str) -> list[str]:
    """`python` running netlink.py: a lab's hosts configured from one process (their links,
    addresses and routes as JSON on stdin; the messages it sends are built there)."""
    return [python, str(Path(__file__).with_name("netlink.py"))]


# -- kernel settings of a node --------------------------------------------------------------------

# Per role: routers forward, and answer every traceroute probe (Linux rate-limits ICMP errors,
# which shows working hops as '*'); a switch bridges frames without running them through iptables
# (which it would if br_netfilter is loaded on the host).
_L3 = "net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0"
SETTINGS = {
    "router": _L3,
    "firewall": _L3,
    "nat": _L3,
    "switch": "net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 "
    "net.bridge.bridge-nf-call-arptables=0",
}


def forwards(settings: str) -> bool:
    """Whether these settings turn IP forwarding on."""
    return "ip_forward" in settings


def settings_then_ip_batch(settings: str) -> list[str]:
    """Write kernel settings, then run `ip -batch` from stdin (one process per node).

    -e: the bridge-nf keys exist only while br_netfilter is loaded.
    """
    return ["sh", "-c", f"sysctl -qew {settings} && exec ip -batch -"]


def read_forwarding() -> list[str]:
    """Prints 1 where the namespace forwards IPv4."""
    return ["sysctl", "-n", "net.ipv4.conf.all.forwarding"]


# -- `ip -batch` lines ----------------------------------------------------------------------------


def netns_add(netns: str) -> str:
    return f"netns add {netns}"


def netns_del(netns: str) -> str:
    return f"netns del {netns}"


def veth_pair(a_name: str, a_index: int, a_netns: str, b_name: str, b_index: int, b_netns: str) -> str:
    """A veth pair with each end created directly inside its namespace (nothing appears on the host)."""
    return (
        f"link add {a_name} index {a_index} netns {a_netns} "
        f"type veth peer name {b_name} index {b_index} netns {b_netns}"
    )


def loopback_up() -> str:
    return "link set lo up"


def set_mtu(dev: str, mtu: int) -> str:
    return f"link set dev {dev} mtu {mtu}"


def set_up(dev: str, up: bool) -> str:
    return f"link set dev {dev} {'up' if up else 'down'}"


def bridge_name(vlan: int) -> str:
    """The Linux bridge that carries one VLAN inside a switch's namespace."""
    return f"br{vlan}"


def bridge_add(vlan: int) -> list[str]:
    """Create the bridge of one VLAN, forwarding at once (no STP listening delay)."""
    return [f"link add {bridge_name(vlan)} type bridge forward_delay 0", f"link set {bridge_name(vlan)} up"]


def bridge_del(vlan: int) -> str:
    return f"link del {bridge_name(vlan)}"


def enslave(dev: str, vlan: int) -> str:
    """Make `dev` a port of the bridge of `vlan`."""
    return f"link set dev {dev} master {bridge_name(vlan)}"


def address_add(address, dev: str) -> str:
    return f"addr add {address} dev {dev}"


def default_route(gateway) -> str:
    return f"route replace default via {gateway}"


def route(network, via) -> str:
    return f"route replace {network} via {via}"


def route_del(network) -> str:
    return f"route del {network}"


def bridge_ports() -> list[str]:
    """The ports of the bridges in a namespace with their state ('state forwarding')."""
    return ["bridge", "link", "show"]


# -- tc -------------------------------------------------------------------------------------------
# Layout: a rate is an htb root (1:) with one class (1:1); delay/loss is a netem qdisc, under 1:1
# when there is a rate, else at the root. A link with neither has the kernel's default qdisc.


def netem_args(delay: float | None, jitter: float | None, loss: float | None) -> tuple[str, ...]:
    """netem's arguments for a link's delay (ms), jitter (ms) and loss (%); empty for none."""
    args: list[str] = []
    if delay:
        args += ["delay", f"{delay}ms"] + ([f"{jitter}ms"] if jitter else [])
    if loss:
        args += ["loss", f"{loss}%"]
    return tuple(args)


def _htb_rate(mbit: float) -> str:
    return f"htb rate {mbit:g}mbit burst 15k"


def qdiscs_add(dev: str, rate: float | None, netem: tuple[str, ...]) -> list[str]:
    """`tc -batch` lines giving a device that has the default qdisc this rate (Mbit/s) and netem."""
    lines = []
    if rate is not None:
        lines += [
            f"qdisc add dev {dev} root handle 1: htb default 1",
            f"class add dev {dev} parent 1: classid 1:1 {_htb_rate(rate)}",
        ]
        if netem:
            lines.append(f"qdisc add dev {dev} parent 1:1 handle 10: netem {' '.join(netem)}")
    elif netem:
        lines.append(f"qdisc add dev {dev} root handle 10: netem {' '.join(netem)}")
    return lines


def rate_change(dev: str, rate: float) -> str:
    """Change the rate of the htb class in place (whatever hangs under it stays)."""
    return f"class change dev {dev} parent 1: classid 1:1 {_htb_rate(rate)}"


def qdiscs_del(dev: str) -> str:
    """Remove the root qdisc and everything under it (the device gets the default qdisc)."""
    return f"qdisc del dev {dev} root"


# -- iptables -------------------------------------------------------------------------------------


def restore_rules() -> list[str]:
    """iptables-restore reading its tables from stdin (see masquerade and forward_filter)."""
    return ["iptables-restore"]


def masquerade(outside: str) -> str:
    """iptables-restore input: traffic leaving through `outside` takes its address (NAT)."""
    return f"*nat\n-A POSTROUTING -o {outside} -j MASQUERADE\nCOMMIT\n"


def forward_filter(deny_by_default: bool, rules: Iterable[Mapping]) -> str:
    """iptables-restore input for a firewall's FORWARD chain; replies pass, then the first rule that
    matches wins (rule: action allow|deny, optional src, dst, proto, port; 'any' matches all)."""
    lines = [
        "*filter",
        f":FORWARD {'DROP' if deny_by_default else 'ACCEPT'} [0:0]",
        "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
    ]
    for rule in rules:
        parts = ["-A FORWARD"]
        if rule.get("src", "any") != "any":
            parts.append(f"-s {rule['src']}")
        if rule.get("dst", "any") != "any":
            parts.append(f"-d {rule['dst']}")
        if rule.get("proto", "any") != "any":
            parts.append(f"-p {rule['proto']}")
        if "port" in rule:
            parts.append(f"--dport {rule['port']}")
        parts.append("-j ACCEPT" if rule["action"] == "allow" else "-j DROP")
        lines.append(" ".join(parts))
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def drop_spec(src: str, dst: str) -> tuple[str, ...]:
    """An iptables rule (after its chain) that drops traffic from `src` to `dst`."""
    return ("-s", src, "-d", dst, "-j", "DROP")


def forward_insert_first(spec: Iterable[str]) -> list[str]:
    return ["iptables", "-I", "FORWARD", "1", *spec]


def forward_delete(spec: Iterable[str]) -> list[str]:
    return ["iptables", "-D", "FORWARD", *spec]


# -- reading a node as an admin would -------------------------------------------------------------


def read_node(l3: bool, separator: str) -> str:
    """One shell command printing a node's links and IPv4 routes (JSON), its FORWARD rules (for an
    L3 node) and the htb classes of its interfaces that have an htb qdisc, `separator` between."""
    classes = "for d in $(tc qdisc show | awk '$2 == \"htb\" {print $5}'); do echo DEV $d; tc class show dev $d; done"
    parts = ["ip -j link show", "ip -j -4 route show", "iptables -S FORWARD 2>/dev/null" if l3 else "true", classes]
    return f"; echo {separator}; ".join(parts)
