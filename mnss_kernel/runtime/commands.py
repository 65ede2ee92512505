"""The text of every command that reaches the kernel's network state, and nothing else.

ip, tc, iptables, sysctl, bridge, mount, nsenter, unshare, setpriv, prlimit and slirp4netns command lines are built here
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


def holder_on_host(
    pid: int, userns: bool, argv: list[str], processes: int = 0, cgroup_procs: Iterable[str] = ()
) -> list[str]:
    """argv in the holder's own namespaces, where the lab's namespaces are named, as root of the lab
    (in the lab's cgroups and under its process limit, where it has them)."""
    return in_cgroups(cgroup_procs, with_process_limit(processes, [*_enter_holder(pid, userns), "--net", *argv]))


def holder_in_netns(
    pid: int, userns: bool, netns: str, argv: list[str], processes: int = 0, cgroup_procs: Iterable[str] = ()
) -> list[str]:
    """argv in one of the holder's network namespaces, reached through the holder's root
    (/proc/<pid>/root), which nsenter opens before it enters."""
    enter = [*_enter_holder(pid, userns), f"--net=/proc/{pid}/root{NETNS_DIR}/{netns}"]
    return in_cgroups(cgroup_procs, with_process_limit(processes, [*enter, *argv]))


# -- a lab's own limits ---------------------------------------------------------------------------

_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


def in_cgroups(procs_files: Iterable[str], argv: list[str]) -> list[str]:
    """argv as a member of the cgroups whose cgroup.procs files are given (it joins, then execs),
    so that it and all it starts count against their limits; argv itself if none."""
    procs = list(procs_files)
    return ["sh", "-c", _JOIN, "mnss-join", *procs, "--", *argv] if procs else argv


def with_process_limit(processes: int, argv: list[str]) -> list[str]:
    """argv with RLIMIT_NPROC (soft and hard: it cannot raise it again) at `processes`; argv itself
    for 0. Inside a lab's user namespace it counts the lab's own tasks (one count per user namespace).
    Put before nsenter, so that the fork nsenter makes inside the lab is already held to it."""
    return ["prlimit", f"--nproc={processes}:{processes}", "--", *argv] if processes else argv


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

# Where a learner's server of the local mode sees its home (the hub's spawner puts it there): the
# lab's private /run must show it too, or a node could not read or write the learner's files.
HOME_VIEWS = "/run/mnss-home"
# PID 1 of the lab: a private /run for the namespace names and the lab's hosts file (with the home
# views bound back in, through a descriptor opened before /run was covered), then wait for
# end-of-file on stdin. It tells its pid as the host's /proc sees it (the /proc mount is the host's).
HOLDER_PID1 = (
    f"keep=; if [ -d {HOME_VIEWS} ] && [ -r {HOME_VIEWS} ] && [ -x {HOME_VIEWS} ]; "
    f"then exec 3< {HOME_VIEWS} && keep=1; fi; "
    "mount -t tmpfs -o mode=0755,size=16m mnss-lab /run && mkdir -p /run/netns /run/mnss || exit 1; "
    f'if [ -n "$keep" ]; then mkdir {HOME_VIEWS} && mount --no-canonicalize --rbind /proc/self/fd/3 {HOME_VIEWS} '
    "|| exit 1; exec 3<&-; fi; "
    'read -r me _ < /proc/self/stat; echo "READY $me"; read -r _ _; exit 0'
)
# Outside: run the holder, then remove what only a dead lab leaves (its record, working folder and
# cgroup folders; a cgroup goes once its last process has, which may take a moment after PID 1).
_HOLDER_OUTSIDE = (
    'rec=$1 work=$2 mark=$3 groups=$4; shift 4; "$@" sh -c "$0" "$mark"; rm -f -- "$rec"; '
    '[ -z "$work" ] || rm -rf -- "$work"; '
    'for g in $groups; do n=0; while [ -d "$g" ] && ! rmdir -- "$g" 2>/dev/null && [ $n -lt 50 ]; '
    "do n=$((n+1)); sleep 0.1; done; done"
)
_HOLDER_UNSHARE = ["unshare", "--net", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child"]


def holder(
    mark: str,
    record: str,
    workdir: str,
    userns: bool,
    processes: int = 0,
    cgroup_procs: Iterable[str] = (),
) -> list[str]:
    """The holder of a lab: PID 1 of new network, mount and PID namespaces (and a user namespace
    for `userns`), carrying `mark` in its argv; its record and working folder go when it ends.

    The lab's limits: the holder joins the lab's cgroups (cgroup_procs, whose folders go with it)
    before it unshares, and in a user namespace PID 1 takes RLIMIT_NPROC `processes` there.
    """
    procs = list(cgroup_procs)
    folders = " ".join(path.rsplit("/", 1)[0] for path in procs)
    unshare = _HOLDER_UNSHARE + (USERNS if userns else [])
    inside = with_process_limit(processes, []) if userns else []
    outside = ["sh", "-c", _HOLDER_OUTSIDE, HOLDER_PID1, record, workdir, mark, folders]
    return [*outside, *in_cgroups(procs, [*unshare, *inside])]


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
    "gateway": _L3,
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


def answer_every_probe() -> str:
    """No ICMP rate limit, so a traceroute's destination answers every probe (a lab node's shell line)."""
    return "sysctl -qw net.ipv4.icmp_ratelimit=0"


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


# -- the virtual-real tunnel (runtime/tunnel.py) --------------------------------------------------
# A gateway node's outside is a tap device that slirp4netns, running outside the lab, connects to
# the host's network in user space (so rootless labs have it too). What may pass is decided by the
# gateway's iptables, set before the tap exists: FORWARD and the gateway's own OUTPUT drop anything
# leaving through it but new TCP connections to the allowed prefix and port, and replies; nothing
# may open a connection inwards. Each rule carries a comment (TUNNEL_TAG:<what>) so its counters
# can be read back for the audit log; dropped destinations are remembered by the `recent` match.

TUNNEL_TAG = "mnss-tunnel"
TUNNEL_DROPS = "mnss_tunnel_drop"  # /proc/net/xt_recent/<this> in the gateway: dropped destinations


def tunnel_rules(outside: str, allowed: Iterable[tuple[str, int]]) -> str:
    """iptables-restore input for a gateway whose outside device is `outside`; allowed: (prefix,
    TCP port) pairs. Traffic between the lab's own links is forwarded as by a router."""
    tag = f"-m comment --comment {TUNNEL_TAG}:"
    reply = "-m conntrack --ctstate ESTABLISHED,RELATED"
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]"]
    for chain in ("INPUT", "FORWARD"):
        lines += [
            f"-A {chain} -i {outside} {reply} {tag}in -j ACCEPT",
            f"-A {chain} -i {outside} {tag}drop-in -j DROP",
        ]
    lines.append(f"-A FORWARD ! -o {outside} -j ACCEPT")
    for chain in ("FORWARD", "OUTPUT"):
        lines.append(f"-A {chain} -o {outside} {reply} {tag}out -j ACCEPT")
        for prefix, port in allowed:
            lines.append(
                f"-A {chain} -o {outside} -d {prefix} -p tcp --dport {port} -m conntrack --ctstate NEW "
                f"{tag}allow:{prefix}:{port} -j ACCEPT"
            )
        lines.append(f"-A {chain} -o {outside} -m recent --name {TUNNEL_DROPS} --rdest --set {tag}drop-out -j DROP")
    lines += ["COMMIT", "*nat", f"-A POSTROUTING -o {outside} -j MASQUERADE", "COMMIT"]
    return "\n".join(lines) + "\n"


def rule_counters() -> list[str]:
    """The filter table with each rule's [packets:bytes] (iptables-save -c)."""
    return ["iptables-save", "-c", "-t", "filter"]


def recent_list(name: str) -> list[str]:
    """The addresses the `recent` match named `name` has seen, with their hits."""
    return ["cat", f"/proc/net/xt_recent/{name}"]


def slirp(netns_path: str, userns_path: str | None, device: str, cidr: str, ready_fd: int, exit_fd: int) -> list[str]:
    """slirp4netns giving the network namespace at `netns_path` a tap `device` on `cidr` (address
    .100, default route via .2), NATed in user space to the host's network. It says it is ready on
    `ready_fd` and ends when `exit_fd` closes (its owner ended). The host's loopback and DNS are
    not offered. (Its --enable-sandbox is not used: under a shared /run it unmounted the host's
    named network namespaces, seen on Debian 12 with slirp4netns 1.2.0.)"""
    userns = [f"--userns-path={userns_path}"] if userns_path else []
    return [
        "slirp4netns",
        "--configure",
        f"--cidr={cidr}",
        "--disable-host-loopback",
        "--disable-dns",
        f"--ready-fd={ready_fd}",
        f"--exit-fd={exit_fd}",
        *userns,
        "--netns-type=path",
        netns_path,
        device,
    ]


def netns_path(pid: int | None, netns: str) -> str:
    """The file of a lab's named network namespace as seen from the host (through the holder's
    root when the lab has a holder)."""
    return f"/proc/{pid}/root{NETNS_DIR}/{netns}" if pid else f"{NETNS_DIR}/{netns}"


def userns_path(pid: int) -> str:
    return f"/proc/{pid}/ns/user"
