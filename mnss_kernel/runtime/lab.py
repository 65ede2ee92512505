"""A running emulation of a topology: `with Lab(topology) as lab: ...`.

A lab lives in namespaces held by a process of its own (holder.py): for a user without root, inside
a user namespace that user owns, so no root is needed; for root too, so that the lab ends with the
process that started it, even when that process is killed. Root where such namespaces cannot be
made (some containers) builds directly on the host instead.

Every node is a named network namespace; hosts and routers hold their interfaces there, a switch
holds one Linux bridge per VLAN. Building is batched: `ip -batch` creates all namespaces and veth
pairs (each end created directly inside its namespace, so nothing appears on the host), then one
`ip -batch` per switch or router namespace configures it, in parallel, while one process sets up
every host over rtnetlink (netlink.py). Teardown ends the holder (or deletes the
namespaces), which removes every interface with them; it runs on any exception, KeyboardInterrupt,
SIGTERM and at interpreter exit, and a start-up sweep removes what a killed run of the same owner
left behind. The text of every command run is in commands.py; this module decides which and where.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mnss_foundation import i18n, plugins
from mnss_foundation.server_settings import ServerSettings

from ..catalog import kind as kind_of, role
from ..topology import Plan, Topology, TopologyError, load, plan as make_plan
from . import capabilities, commands, holder as holders, lab_cgroup, registry, shaping, shell, tunnel
from .lab_cgroup import LabCgroup
from .ledger import (
    DefaultVia,
    Effect,
    ExtraRule,
    Ledger,
    LinkAdminDown,
    NodeAdminDown,
    PortInVlan,
    RateCap,
    RouteWithdrawn,
    ends,
)
from .limits import LabLimits
from .shaping import Shape
from .shell import CommandResult, EngineError, batch, in_netns, netns_exec, parallel, run

Progress = Callable[[str, int, int], None]
log = logging.getLogger(__name__)

# Entry-point group called with the Lab once its network is up: how a layer above (the activity
# extension records a learning event) hears of a lab without the engine importing it.
LAB_STARTED = "mnss_kernel.lab_started"

# Lines per `ip -batch` that creates namespaces and veth pairs. iproute2 (6.1) keeps each namespace
# it opens for `netns NAME` open until it exits, two per veth line: one batch for a 10,000-node lab
# ran out of file descriptors. 400 lines stay within the 1,024 a process is often allowed.
BATCH_LINES = 400


def _check_forwarding(ns: str, node: str) -> None:
    """Where settings cannot be written, a router must have inherited forwarding from the host."""
    out = run(in_netns(ns, commands.read_forwarding()), check=False).stdout.strip()
    if out != "1":
        raise EngineError(
            f"{node}: IP forwarding is off and this container may not change kernel settings; "
            "turn on net.ipv4.ip_forward on the host (Docker normally does)"
        )


def _check_size(topology: Topology, max_nodes: int | None) -> None:
    """The per-user size cap: an argument, else the site's limit given to the server ($MNSS_MAX_*)."""
    problems = []
    site = ServerSettings.from_env()
    nodes_cap = max_nodes if max_nodes is not None else site.max_nodes
    links_cap = site.max_links
    if nodes_cap and len(topology.nodes) > nodes_cap:
        problems.append(
            f"the topology has {len(topology.nodes)} nodes; your limit is {nodes_cap} "
            f"(拓扑有 {len(topology.nodes)} 个节点，超过您的上限 {nodes_cap})"
        )
    if links_cap and len(topology.links) > links_cap:
        problems.append(
            f"the topology has {len(topology.links)} links; your limit is {links_cap} "
            f"(拓扑有 {len(topology.links)} 条链路，超过您的上限 {links_cap})"
        )
    if problems:
        raise TopologyError(problems)


_ACTIVE: set[Lab] = set()
_LOCK = threading.Lock()


def _stop_all() -> None:
    for lab in list(_ACTIVE):
        lab.stop()


def _on_sigterm(signum, frame) -> None:
    _stop_all()
    raise SystemExit(128 + signum)


def _install_handlers() -> None:
    atexit.register(_stop_all)
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


class Lab:
    """Build, use and tear down one topology as a real emulated network (no root needed).

    holder: build in namespaces of a holder of the lab's own (None: whenever this system allows it,
    which a user without root needs; False: directly on the host, root only).
    limits: the processes and memory the whole lab may use (None: the site's, see limits.py);
    `limits_in_force` says afterwards how each is enforced here, or why it is not.
    """

    _handlers_installed = False

    def __init__(
        self,
        topology: Topology | str | Path,
        *,
        progress: Progress | None = None,
        owner: str | None = None,
        max_nodes: int | None = None,
        holder: bool | None = None,
        limits: LabLimits | None = None,
    ):
        self.limits = (limits if limits is not None else LabLimits.from_settings()).validated()
        self.topology = topology if isinstance(topology, Topology) else load(topology).topology
        self.topology = self.topology.validated()
        _check_size(self.topology, max_nodes)
        self.plan: Plan = make_plan(self.topology)
        self._names = frozenset(n.name for n in self.topology.nodes)  # ns() is called per node and link
        self.owner = owner or registry.default_owner()
        self.lab_id = registry.new_lab_id()
        self.progress = progress or (lambda phase, done, total: None)
        self.running = False
        self.faults = Ledger()  # the faults in effect; the kernel state follows the plan and these
        self._installed: dict[str, Shape] = {}  # tc shapes that differ from the plan, by device
        self._fault_bridges: dict[str, set[int]] = {}  # switch -> VLAN bridges added for faults
        self._fault_lock = threading.RLock()  # one fault change at a time (widgets, threads)
        self._processes: list[subprocess.Popen] = []
        self._services: dict[str, int] = {}  # node -> port of its running application server
        self._record: registry.LabRecord | None = None
        self._holder = holder
        self._place = shell.DIRECT
        self._cgroup = LabCgroup()
        self._tunnel: tunnel.Tunnel | None = None
        self.tunnel_session: dict | None = None  # the audit record of the last tunnel, once stopped

    # -- naming -------------------------------------------------------------------------------
    def ns(self, node: str) -> str:
        if node not in self._names:
            raise KeyError(f"no node named {node!r}")
        return registry.netns_name(self.owner, self.lab_id, node)

    def address(self, node: str) -> str:
        ip = self.plan.address(node)
        if ip is None:
            raise KeyError(f"node {node!r} has no address (switches have none)")
        return str(ip)

    # -- lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Lab:
        if self.running:
            raise EngineError("this lab is already running")
        grant = tunnel.check_allowed(self.topology, self.owner)  # refused before anything is built
        missing = capabilities.missing_for(self.topology)
        if missing:
            raise EngineError("cannot emulate this topology here:\n" + "\n".join(f"  - {m}" for m in missing))
        if not Lab._handlers_installed:
            _install_handlers()
            Lab._handlers_installed = True
        held = self._wants_holder()
        self._place = shell.DIRECT
        registry.sweep(self.owner)
        names = [self.ns(n.name) for n in self.topology.nodes]
        self.workdir = Path(tempfile.mkdtemp(prefix=f"mnss-lab-{self.owner}-{self.lab_id}-"))
        self._record = registry.LabRecord(self.owner, self.lab_id, namespaces=names, workdir=str(self.workdir))
        with _LOCK:
            _ACTIVE.add(self)
        self.running = True
        try:
            if held:
                self._place = self._start_holder()
            if self.held:
                self._record.held_by(self._place.pid)
                shell.register(self._prefix, self._place)
            for note in self.limits_in_force()["notes"]:
                log.info("%s", note)
            self._record.save()
            self._build()
            if grant is not None:
                node = tunnel.gateway_of(self.topology)
                self._tunnel = tunnel.Tunnel(grant, self.lab_id, node, self.ns(node), self._place).start()
        except BaseException:
            self.stop()
            raise
        plugins.call(LAB_STARTED, self)
        return self

    @property
    def _prefix(self) -> str:
        return registry.netns_name(self.owner, self.lab_id, "")

    @property
    def held(self) -> bool:
        """Whether the lab lives in namespaces of a holder of its own (rather than on the host)."""
        return self._place is not shell.DIRECT

    @property
    def holder_pid(self) -> int | None:
        """PID 1 of the lab as this host sees it (its namespaces: /proc/<pid>/root/run/netns)."""
        return self._place.pid

    @property
    def rootless(self) -> bool:
        """Whether the lab lives in a user namespace of its own, built without root."""
        return self.held and self._place.userns

    def _start_holder(self):
        name = f"{self.owner}-{self.lab_id}"
        self._cgroup = lab_cgroup.make(f"mnss-lab-{name}", self.limits)
        try:
            return holders.start(
                name, str(self._record.path), str(self.workdir), processes=self.limits.processes, cgroup=self._cgroup
            )
        except EngineError:
            self._cgroup.remove(wait=0)
            self._cgroup = LabCgroup()
            if self._holder is None and os.geteuid() == 0:
                return shell.DIRECT  # root where no holder can be entered: on the host, as before
            raise

    def limits_in_force(self) -> dict:
        """How the lab's limits are enforced here: {"processes": "cgroup" | "rlimit" | "cgroup+rlimit"
        | None, "memory": "cgroup" | None, "notes": [why a limit that was asked for is not, zh-CN and
        en]}. RLIMIT_NPROC binds only in the lab's user namespace (root is exempt from it)."""
        ways = {"processes": [], "memory": []}
        if self._cgroup.has("pids"):
            ways["processes"].append("cgroup")
        if self.held and self._place.userns and self.limits.processes:
            ways["processes"].append("rlimit")
        if self._cgroup.has("memory"):
            ways["memory"].append("cgroup")
        notes, texts = [], i18n.load(__package__)["limits"]
        asked = (("processes", "pids", "no_process_limit"), ("memory", "memory", "no_memory_limit"))
        for limit, controller, code in asked:
            if getattr(self.limits, limit) and not ways[limit]:
                why = self._cgroup.why_not.get(controller) or "the lab is built directly on the host, without a holder"
                notes.append(" / ".join(texts.pair(code, why=why)))
        result = {limit: "+".join(way) or None for limit, way in ways.items()}
        return {**result, "notes": notes}

    def _wants_holder(self) -> bool:
        problem = capabilities.holder_problem()
        if self._holder is False and os.geteuid() != 0:
            raise EngineError("building directly on the host needs root; leave holder at its default")
        if self._holder and problem:
            raise EngineError(problem)
        return self._holder if self._holder is not None else problem is None

    def stop(self) -> None:
        """Tear everything down; safe to call more than once and from signal handlers."""
        with _LOCK:
            if not self.running:
                return
            self.running = False
            _ACTIVE.discard(self)
        self._close_tunnel()
        for proc in self._processes:  # SIGTERM first: services remove their files
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 3
        for proc in self._processes:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self._processes.clear()
        self._services.clear()
        if self._record:
            if self.held:
                shell.unregister(self._prefix)
                self._place.stop()
                self._cgroup.remove()
            else:
                registry.delete_namespaces(self._record.namespaces)
            shutil.rmtree(self.workdir, ignore_errors=True)
            self._record.forget()
        self.progress("stopped", 1, 1)

    def _close_tunnel(self) -> None:
        """End the tunnel while the gateway still exists, so its counters reach the audit log."""
        if self._tunnel is None:
            return
        try:
            self.tunnel_session = self._tunnel.close()
        except Exception:  # teardown goes on; the log says what went wrong
            tunnel.log.exception("closing the tunnel of lab %s failed", self.lab_id)
        self._tunnel = None

    # -- building -----------------------------------------------------------------------------
    def _build(self) -> None:
        nodes, pairs = self.topology.nodes, self.plan.veth_pairs()
        total = len(nodes)
        started = time.perf_counter()
        self.progress("namespaces", 0, total)
        lines = [commands.netns_add(self.ns(n.name)) for n in nodes]
        lines += [
            commands.veth_pair(a.name, a.index, self.ns(a.node), b.name, b.index, self.ns(b.node)) for a, b in pairs
        ]
        for chunk in _chunks(lines, BATCH_LINES):
            batch(chunk, what="creating namespaces and links", place=self._place)
        self.progress("links", len(pairs), len(pairs))
        self._write_hosts_files()
        kinds = {n.name: n.kind for n in nodes}
        hosts = [n for n in nodes if role(n.kind) == "host"]  # all in one netlink process, beside the rest
        others = [n for n in nodes if role(n.kind) != "host"]
        with ThreadPoolExecutor(max_workers=1) as side:
            hosts_done = side.submit(self._configure_hosts, hosts)
            parallel(
                others,
                lambda n: self._configure(n, kinds[n.name]),
                on_done=lambda i: self.progress("configure", i, total),
            )
            hosts_done.result()
        self.progress("configure", total, total)
        shaped = [n for n in nodes if self._shaping_lines(n.name)]
        parallel(
            shaped,
            lambda n: batch(
                self._shaping_lines(n.name), self.ns(n.name), tool=commands.TC, what=f"shaping links of {n.name}"
            ),
        )
        self._wait_for_bridges()
        self.build_seconds = time.perf_counter() - started
        self.progress("running", total, total)

    def _wait_for_bridges(self, switches: list[str] | None = None, timeout: float = 10) -> None:
        """Return only once every bridge port that should be up forwards.

        The kernel reports carrier changes to bridges lazily (up to a second later), so a fresh
        network can drop its first packets; a lab is 'running' only when it really forwards.
        """

        def expected(switch: str) -> int:
            return sum(
                1 for i in self.plan.interfaces[switch] if frozenset((i.node, i.peer_node)) not in self.down_links
            )

        def wait(switch: str) -> None:
            deadline = time.monotonic() + timeout
            while True:
                out = run(in_netns(self.ns(switch), commands.bridge_ports()), what=f"checking {switch}").stdout
                if out.count("state forwarding") >= expected(switch) - self._down_ports(switch):
                    return
                if time.monotonic() > deadline:
                    raise EngineError(f"switch {switch}: ports did not start forwarding within {timeout} s")
                time.sleep(0.05)

        parallel(self.topology.names("switch") if switches is None else switches, wait)

    def _down_ports(self, switch: str) -> int:
        return sum(
            1
            for i in self.plan.interfaces[switch]
            if i.peer_node in self.down_nodes and frozenset((i.node, i.peer_node)) not in self.down_links
        )

    def _write_hosts_files(self) -> None:
        """Node names resolve inside the emulation (`ping pacs1`): in a holder, one hosts file bound
        over /etc/hosts of the lab's mount namespace; on the host, /etc/netns/<ns>/hosts."""
        entries = "127.0.0.1 localhost\n" + "".join(
            f"{self.plan.address(n.name)} {n.name}\n" for n in self.topology.nodes if self.plan.address(n.name)
        )
        if self.held:
            outside, inside = self._place.hosts_file("")
            Path(outside).write_text(entries)
            run(self._place.on_host(commands.bind_hosts_file(inside)), what="binding the lab's hosts file")
            return
        for n in self.topology.nodes:
            folder = Path(self._place.hosts_file(self.ns(n.name))[0]).parent
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "hosts").write_text(entries)

    def _configure(self, node, kind: str) -> None:
        """One process per node: its kernel settings, then one `ip -batch` of its interfaces."""
        ns, ifs = self.ns(node.name), self.plan.interfaces[node.name]
        lines = [commands.loopback_up()]
        for i in ifs:
            mtu = self.topology.links[i.link_index].mtu
            if mtu:
                lines.append(commands.set_mtu(i.name, mtu))
        if role(kind) == "switch":
            for vlan in self.plan.bridges[node.name]:
                lines += commands.bridge_add(vlan)
            for i in ifs:
                lines.append(commands.enslave(i.name, i.vlan))
        for i in ifs:
            if i.ip is not None:
                lines.append(commands.address_add(i.ip, i.name))
            if frozenset((i.node, i.peer_node)) not in self.down_links:
                lines.append(commands.set_up(i.name, True))
        lines += self._route_lines(node.name)
        settings, access = commands.SETTINGS.get(role(kind)), capabilities.sysctl_access(self._place)
        if settings and access != "none":
            argv = commands.settings_then_ip_batch(settings)
            if access == "remount":
                argv = commands.with_writable_proc_sys(argv)
            run(in_netns(ns, argv), stdin="\n".join(lines) + "\n", what=f"configuring {node.name}")
        else:
            batch(lines, ns, what=f"configuring {node.name}")
            if settings and commands.forwards(settings):
                _check_forwarding(ns, node.name)
        rules = _firewall_rules(node, self.plan)
        if rules:
            run(netns_exec(ns, commands.restore_rules()), stdin=rules, what=f"firewall rules of {node.name}")

    def _configure_hosts(self, hosts) -> None:
        """Every host's links, addresses and routes from one process over rtnetlink (netlink.py):
        what `_configure` does for a host, without starting two programs per host."""
        if not hosts:
            return
        down = self.down_links
        jobs = []
        for node in hosts:
            ifs = self.plan.interfaces[node.name]
            gateway = self.faults.gateway(node.name) or self.plan.gateways.get(node.name)
            routes = [("default", gateway)] if gateway else []
            routes += [
                (str(net), via)
                for net, via in self.plan.routes.get(node.name, [])
                if not self.faults.route_withdrawn(node.name, str(net))
            ]
            # a route through a link down by the plan comes when the link does (_restore_routes)
            reachable = [i.ip.network for i in ifs if i.ip is not None and ends(i.node, i.peer_node) not in down]
            routes = [[net, str(via)] for net, via in routes if any(via in up for up in reachable)]
            jobs.append(
                {
                    "node": node.name,
                    "netns": f"{commands.NETNS_DIR}/{self.ns(node.name)}",
                    "links": [
                        [i.index, self.topology.links[i.link_index].mtu, ends(i.node, i.peer_node) not in down]
                        for i in ifs
                    ],
                    "addresses": [[i.index, str(i.ip)] for i in ifs if i.ip is not None],
                    "routes": routes,
                }
            )
        run(
            self._place.on_host(commands.configure_hosts(sys.executable)),
            stdin=json.dumps(jobs),
            timeout=max(120, len(jobs) / 50),
            what="configuring hosts",
        )

    def _route_lines(self, node: str) -> list[str]:
        """The node's planned routes; those withdrawn by a fault in effect are deleted instead."""
        gateway = self.faults.gateway(node) or self.plan.gateways.get(node)
        lines = [commands.default_route(gateway)] if gateway else []
        for net, via in self.plan.routes.get(node, []):
            withdrawn = self.faults.route_withdrawn(node, str(net))
            lines.append(commands.route_del(net) if withdrawn else commands.route(net, via))
        return lines

    def _restore_routes(self, nodes) -> None:
        """Give each node its planned routes, less those a fault withdrew.

        Linux deletes a node's routes through an interface that goes down, so this runs whenever
        one comes back up. -force: a route whose gateway is behind another interface still down
        cannot be added yet; it comes back when that interface does. Deleting a withdrawn route
        that is already gone fails harmlessly for the same reason.
        """
        for node in nodes:
            lines = self._route_lines(node)
            if lines:
                run(in_netns(self.ns(node), commands.forced_ip_batch()), stdin="\n".join(lines) + "\n", check=False)

    def _shaping_lines(self, node: str) -> list[str]:
        return [
            line
            for i in self.plan.interfaces[node]
            for line in shaping.install_lines(i.name, shaping.of_link(self.topology.links[i.link_index]))
        ]

    # -- using --------------------------------------------------------------------------------
    def _require_running(self) -> None:
        if not self.running:
            raise EngineError("the lab is not running; start it first (with Lab(...) as lab: or lab.start())")

    def cmd(self, node: str, command: str, timeout: float = 60) -> CommandResult:
        """Run a shell command on a node; returns its exit code and output."""
        self._require_running()
        try:
            done = subprocess.run(
                netns_exec(self.ns(node), ["sh", "-c", command]), capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as err:
            return CommandResult(node, command, 124, err.stdout or "", f"timed out after {timeout} s")
        return CommandResult(node, command, done.returncode, done.stdout, done.stderr)

    def popen(self, node: str, argv: list[str], **kwargs) -> subprocess.Popen:
        """Start a long-running process on a node; it is killed when the lab stops."""
        self._require_running()
        proc = subprocess.Popen(netns_exec(self.ns(node), argv), **kwargs)
        self._processes.append(proc)
        return proc

    def start_service(self, node: str, timeout: float = 60) -> int:
        """Start the node's application server (PACS, HIS, EMR, ...) once; returns its port."""
        self._require_running()
        if node in self._services:
            return self._services[node]
        service = kind_of(self.topology.node(node).kind).service
        if service is None or service.endswith("-scu"):
            raise EngineError(f"node {node!r} ({self.topology.node(node).kind}) runs no server")
        storage = ["--storage", str(self.workdir / node)] if service == "dicom-scp" else []
        proc = self.popen(
            node,
            [sys.executable, "-m", "mnss_kernel.services", "serve", service, *storage],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        words = (ready[0] if ready else "").split()
        if len(words) != 3 or words[0] != "READY":
            proc.kill()
            raise EngineError(f"the {service} server on {node} did not start within {timeout} s")
        self._services[node] = int(words[2])
        return self._services[node]

    # -- faults -------------------------------------------------------------------------------
    @property
    def down_links(self) -> set[frozenset]:
        """Links down by the plan or by a fault in effect."""
        planned = {ends(*link.ends()) for link in self.topology.links if not link.up}
        return planned | self.faults.down_links()

    @property
    def down_nodes(self) -> set[str]:
        return self.faults.down_nodes()

    def apply(self, effect: Effect) -> None:
        """Put a fault into effect (refused if it already is, or contradicts one that is)."""
        self._require_running()
        with self._fault_lock:
            self.faults.add(effect)
            try:
                self._enforce(effect)
            except BaseException:
                self.faults.remove(effect)
                with contextlib.suppress(Exception):  # undo what got done; the first error is the news
                    self._enforce(effect)
                raise

    def revert(self, effect: Effect) -> None:
        """Repair a fault in effect: what it changed goes back to the plan, less the faults still in effect."""
        self._require_running()
        with self._fault_lock:
            self.faults.remove(effect)
            try:
                self._enforce(effect)
            except BaseException:
                self.faults.add(effect)
                raise

    def _enforce(self, effect: Effect) -> None:
        """Set what `effect` touches to what the plan and the faults now in effect say."""
        if isinstance(effect, LinkAdminDown):
            index = self.topology.links.index(self.topology.link(*sorted(effect.link)))
            self._set_admin(self.plan.interfaces_of_link(index))
        elif isinstance(effect, NodeAdminDown):
            self._set_admin(self.plan.interfaces[effect.node])
        elif isinstance(effect, (RouteWithdrawn, DefaultVia)):
            self._restore_routes([effect.node])
        elif isinstance(effect, RateCap):
            index = self.topology.links.index(self.topology.link(*sorted(effect.link)))
            self._reshape(self.plan.interfaces_of_link(index))
        elif isinstance(effect, PortInVlan):
            self._repatch(effect.switch)
        elif isinstance(effect, ExtraRule):
            change = commands.forward_insert_first if effect in self.faults else commands.forward_delete
            run(netns_exec(self.ns(effect.node), change(effect.spec)), what=f"rules of {effect.node}")
        else:
            raise TypeError(f"unknown effect {effect!r}")

    def _set_admin(self, interfaces) -> None:
        """Each interface up unless its link or its node is down; routes and bridges follow."""
        down_links, down_nodes = self.down_links, self.down_nodes
        lines: dict[str, list[str]] = {}
        came_up, touched = set(), set()
        for i in interfaces:
            up = ends(i.node, i.peer_node) not in down_links and i.node not in down_nodes
            lines.setdefault(i.node, []).append(commands.set_up(i.name, up))
            touched |= {i.node, i.peer_node}
            if up:
                came_up.add(i.node)
        for node, node_lines in lines.items():
            batch(node_lines, self.ns(node), what=f"setting links of {node}")
        if came_up:
            self._wait_for_bridges(self._switches_among(*touched))
            self._restore_routes(sorted(came_up))

    def _reshape(self, interfaces) -> None:
        """Each interface's qdiscs to its link's planned shape under the tightest rate cap in effect."""
        for i in interfaces:
            link = self.topology.links[i.link_index]
            planned = shaping.of_link(link)
            new = planned.capped(self.faults.rate_cap(ends(*link.ends())))
            lines = shaping.reshape_lines(i.name, self._installed.get(i.name, planned), new)
            batch(lines, self.ns(i.node), tool=commands.TC, what=f"shaping {i.name}")
            self._installed[i.name] = new

    def _repatch(self, switch: str) -> None:
        """Each port of a switch in its VLAN's bridge (a fault's, else the planned one); bridges that
        only faults needed are removed once no port uses them."""
        ns = self.ns(switch)
        planned = set(self.plan.bridges[switch])
        present = set(planned) | self._fault_bridges.get(switch, set())
        wanted = planned | self.faults.vlans_borrowed(switch)
        lines = [line for vlan in sorted(wanted - present) for line in commands.bridge_add(vlan)]
        for i in self.plan.interfaces[switch]:
            vlan = self.faults.port_vlan(switch, i.name)
            lines.append(commands.enslave(i.name, i.vlan if vlan is None else vlan))
        lines += [commands.bridge_del(vlan) for vlan in sorted(present - wanted)]
        batch(lines, ns, what=f"patching ports of {switch}")
        self._fault_bridges[switch] = wanted - planned
        self._wait_for_bridges([switch])

    def set_link(self, a: str, b: str, up: bool) -> None:
        """Take a link down or bring it back (both ends), as a cable pulled or replugged."""
        self.topology.link(a, b)  # KeyError naming the link if unknown
        (self.revert if up else self.apply)(LinkAdminDown(ends(a, b)))

    def set_node(self, node: str, up: bool) -> None:
        """Power a node off or on: all its interfaces down or up."""
        self.topology.node(node)
        (self.revert if up else self.apply)(NodeAdminDown(node))

    def _switches_among(self, *names: str) -> list[str]:
        return [n for n in set(names) if role(self.topology.node(n).kind) == "switch"]

    def diagnose(self, topology: Topology | None = None, **options):
        """Ranked suspects for what is wrong with this running lab against `topology` (default: the
        one it was started with), found from reads and measurements (see mnss_kernel.diagnose)."""
        from ..diagnose import diagnose

        return diagnose(self, topology, **options)

    def status(self) -> dict:
        """Up/down state of every node and link, for the canvas and graders."""
        return {
            "running": self.running,
            "nodes": {n.name: self.running and n.name not in self.down_nodes for n in self.topology.nodes},
            "links": {
                f"{link.a}-{link.b}": self.running
                and frozenset(link.ends()) not in self.down_links
                and not (set(link.ends()) & self.down_nodes)
                for link in self.topology.links
            },
        }


def _chunks(lines: list[str], size: int) -> list[list[str]]:
    return [lines[i : i + size] for i in range(0, len(lines), size)]


def _firewall_rules(node, plan: Plan) -> str:
    """iptables-restore input for a NAT or firewall node (empty for any other)."""
    if role(node.kind) == "nat":
        return commands.masquerade(next(i.name for i in plan.interfaces[node.name] if i.peer_node == node.outside))
    if role(node.kind) == "firewall":
        return commands.forward_filter(node.default_policy == "deny", node.rules)
    return ""
