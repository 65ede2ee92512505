"""Measurements on a running lab, returned as pandas DataFrames (one row per observation).

Parsing is kept in pure functions (`parse_*`) so it is tested on captured tool output; the
runners only decide where each tool runs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .catalog import kind as kind_of
from .runtime.lab import Lab
from .runtime.shell import EngineError

#: fping -C's per-target line: "10.0.1.10 : 0.05 0.04 -" (one value per ping, "-" when lost).
FPING_LINE = re.compile(r"^(\S+)[ \t]+:((?:[ \t]+(?:[\d.]+|-))+)[ \t]*$", re.MULTILINE)
PING_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
PING_RTT = re.compile(r"= [\d.]+/([\d.]+)/[\d.]+/[\d.]+ ms")
PING_COLUMNS = ["src", "dst", "dst_ip", "sent", "received", "loss_pct", "rtt_avg_ms"]
#: ping and traceroute print translated text under other locales (Debian ships translations);
#: the parsers read the C locale's English, so every tool whose output is parsed runs with this.
C_LOCALE = "LC_ALL=C"
#: Pings per pair in a ping matrix: more than one, so a single lost first packet (ARP) is not "down".
MATRIX_COUNT = 3


def parse_ping(text: str) -> tuple[int, int, float | None]:
    """(sent, received, average rtt in ms or None) from `ping -q` output (course notebooks run
    their own ping bursts and read them with this)."""
    summary = PING_SUMMARY.search(text)
    if not summary:
        return 0, 0, None
    rtt = PING_RTT.search(text)
    return int(summary.group(1)), int(summary.group(2)), float(rtt.group(1)) if rtt else None


def parse_fping(text: str) -> dict[str, tuple[int, int, float | None]]:
    """{target: (sent, received, average rtt in ms or None)} from `fping -q -C N` output."""
    found = {}
    for target, values in FPING_LINE.findall(text):
        times = [float(v) for v in values.split() if v != "-"]
        found[target] = (len(values.split()), len(times), round(sum(times) / len(times), 3) if times else None)
    return found


def _ping_from(lab: Lab, src: str, targets: list[tuple[str, str]], count: int, timeout: float) -> list[dict]:
    """All pings of one source in one fping inside its namespace: `count` per target, 20 ms apart,
    targets interleaved, so a source's whole row takes about `timeout` rather than a process per pair."""
    ips = " ".join(ip for _, ip in targets)
    command = f"{C_LOCALE} fping -q -C {count} -p 20 -i 1 -r 0 -t {max(1, round(timeout * 1000))} {ips}"
    done = lab.cmd(src, command, timeout=timeout * count + 30)
    by_ip = parse_fping(done.stderr + done.stdout)
    if targets and not by_ip:
        raise EngineError(f"ping from {src} failed: {(done.stderr or done.stdout).strip()[:300]}")
    rows = []
    for dst, ip in targets:
        sent, received, rtt = by_ip.get(ip, (count, 0, None))
        rows.append(
            {
                "src": src,
                "dst": dst,
                "dst_ip": ip,
                "sent": sent,
                "received": received,
                "loss_pct": round(100.0 * (sent - received) / sent, 1),
                "rtt_avg_ms": rtt,
            }
        )
    return rows


def ping_matrix(
    lab: Lab, nodes: list[str] | None = None, count: int = MATRIX_COUNT, timeout: float = 1
) -> pd.DataFrame:
    """Ping every node from every other, `count` packets per pair. One row per pair.

    By default every node with an address: hosts and servers, and routers, firewalls and NAT
    gateways too, since a router that does not answer is as much a finding as a host.
    """
    if count < 1:
        raise ValueError(f"count: {count} pings per pair; give at least 1")
    nodes = nodes or [
        n for n in lab.topology.names() if n not in lab.topology.names("switch") and lab.plan.address(n) is not None
    ]
    addressed = [(n, lab.address(n)) for n in nodes]
    with ThreadPoolExecutor(max_workers=16) as pool:
        chunks = pool.map(
            lambda src: _ping_from(lab, src, [t for t in addressed if t[0] != src], count, timeout), nodes
        )
        rows = [row for chunk in chunks for row in chunk]
    return pd.DataFrame(rows, columns=PING_COLUMNS)


def ping(lab: Lab, src: str, dst: str, count: int = 3, timeout: float = 1) -> pd.Series:
    """One source to one destination: a row with sent/received/loss/average rtt."""
    return pd.DataFrame(_ping_from(lab, src, [(dst, lab.address(dst))], count, timeout), columns=PING_COLUMNS).iloc[0]


def loss_matrix(pings: pd.DataFrame) -> pd.DataFrame:
    """The ping rows as a src x dst table of loss percentages (for a heatmap)."""
    return pings.pivot(index="src", columns="dst", values="loss_pct")


def parse_iperf3(report: dict) -> dict:
    end = report.get("end", {})
    if "error" in report:
        raise EngineError(f"iperf3: {report['error']}")
    sent, received = end.get("sum_sent", {}), end.get("sum_received", {})
    return {
        "mbps_sent": sent.get("bits_per_second", 0) / 1e6,
        "mbps_received": received.get("bits_per_second", 0) / 1e6,
        "retransmits": sent.get("retransmits"),
        "seconds": received.get("seconds"),
    }


def iperf(lab: Lab, src: str, dst: str, seconds: float = 2, port: int = 5201) -> pd.DataFrame:
    """TCP throughput from src to dst with iperf3 (server started on dst, stopped afterwards)."""
    server = lab.popen(
        dst, ["iperf3", "-s", "-1", "-p", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline, attempts = time.monotonic() + 10, 0
        while True:  # the server needs a moment before it listens
            attempts += 1
            done = lab.cmd(src, f"iperf3 -c {lab.address(dst)} -p {port} -t {seconds} -J", timeout=seconds + 30)
            # iperf3 -J may exit 0 on failure: judge by its report, not its exit code
            if "Connection refused" not in done.stdout or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        try:
            row = {"src": src, "dst": dst} | parse_iperf3(json.loads(done.stdout))
        except (json.JSONDecodeError, EngineError) as err:
            server.kill()
            said = server.communicate(timeout=5)[0].strip()[-300:]
            raise EngineError(
                f"iperf3 from {src} to {dst} failed after {attempts} attempt(s): {err}; "
                f"server said: {said or '(nothing)'}"
            ) from None
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(5)
    return pd.DataFrame([row])


def parse_proc_net_dev(text: str) -> dict[str, int]:
    """/proc/net/dev -> interface -> bytes received plus sent."""
    counted = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        fields = rest.split()
        if sep and len(fields) >= 9 and fields[0].isdigit():
            counted[name.strip()] = int(fields[0]) + int(fields[8])
    return counted


def link_bytes(lab: Lab) -> dict[str, int]:
    """Bytes each link has carried so far, both directions: "a-b" (as in `Lab.status`) -> bytes.

    Read from one end of each veth pair, a switch or router end where there is one, so a
    campus is read in its dozen switches and routers, side by side, not in every host."""
    inner_roles = ("switch", "router", "firewall", "nat", "gateway")
    inner = {n.name for n in lab.topology.nodes if kind_of(n.kind).role in inner_roles}
    readers: dict[str, list] = {}
    for a, b in lab.plan.veth_pairs():
        end = b if b.node in inner and a.node not in inner else a
        readers.setdefault(end.node, []).append(end)

    def read(node: str) -> dict[str, int]:
        done = lab.cmd(node, "cat /proc/net/dev", timeout=10)
        return parse_proc_net_dev(done.stdout) if done.returncode == 0 else {}

    with ThreadPoolExecutor(max_workers=8) as pool:
        counted = dict(zip(readers, pool.map(read, readers), strict=True))
    carried: dict[str, int] = {}
    for node, ends in readers.items():
        for end in ends:
            link = lab.topology.links[end.link_index]
            key = f"{link.a}-{link.b}"
            carried[key] = carried.get(key, 0) + counted[node].get(end.name, 0)
    return carried


def app_probe(lab: Lab, client: str, server: str, timeout: float = 5) -> dict:
    """Real application traffic from client to server (DICOM, HL7, HTTP, ...), measured like ping.

    The server's service is started on first use. A modality sends a C-STORE of a sample image to a
    PACS; other clients send the service's own check (C-ECHO, an HL7 ADT message, GET /, echo).
    """
    port = lab.start_service(server)
    service = kind_of(lab.topology.node(server).kind).service
    probe = (
        "dicom-store"
        if (service == "dicom-scp" and kind_of(lab.topology.node(client).kind).service == "dicom-scu")
        else service
    )
    out = lab.cmd(
        client,
        f"{sys.executable} -m mnss_kernel.services probe {probe} {lab.address(server)} {port} --timeout {timeout}",
        timeout=timeout + 60,
    )
    try:
        row = json.loads(out.stdout)
    except json.JSONDecodeError:
        raise EngineError(
            f"probe from {client} to {server} failed: {(out.stderr or out.stdout).strip()[:300]}"
        ) from None
    return {"src": client, "dst": server, "probe": probe} | row


def app_matrix(lab: Lab, pairs: list[tuple[str, str]], timeout: float = 5) -> pd.DataFrame:
    """app_probe for each (client, server) pair; one row each."""
    return pd.DataFrame([app_probe(lab, c, s, timeout) for c, s in pairs])


HOP = re.compile(r"^\s*(\d+)\s+(\S+)(?:\s+([\d.]+) ms)?")


def parse_traceroute(text: str) -> list[dict]:
    rows = []
    for line in text.splitlines()[1:]:
        m = HOP.match(line)
        if m:
            address = None if m.group(2) == "*" else m.group(2)
            rows.append(
                {"hop": int(m.group(1)), "address": address, "rtt_ms": float(m.group(3)) if m.group(3) else None}
            )
    return rows


def traceroute(lab: Lab, src: str, dst: str, max_hops: int = 16) -> pd.DataFrame:
    """The routers a packet passes from src to dst; names filled in where the address is a node's."""
    out = lab.cmd(
        src, f"{C_LOCALE} traceroute -n -q 1 -w 1 -m {max_hops} {lab.address(dst)}", timeout=max_hops * 2 + 10
    )
    if not out.ok and not out.stdout:
        raise EngineError(f"traceroute from {src} failed: {out.stderr.strip()}")
    owner = {str(i.ip.ip): i.node for ifs in lab.plan.interfaces.values() for i in ifs if i.ip}
    rows = parse_traceroute(out.stdout)
    for row in rows:
        row["node"] = owner.get(row["address"])
    return pd.DataFrame(rows, columns=["hop", "address", "node", "rtt_ms"])


def compile_filter(bpf: str) -> list[str]:
    """A tcpdump filter expression as tcpdump compiles it for Ethernet (`-ddd`: the instruction count,
    then "code jt jf k" lines): no privilege and no interface needed. Empty: no filter."""
    if not bpf.strip():
        return []
    done = subprocess.run(["tcpdump", "-y", "EN10MB", "-ddd", *bpf.split()], capture_output=True, text=True)
    if done.returncode != 0:
        raise EngineError(f"packet filter {bpf!r}: {done.stderr.strip()} (抓包过滤表达式有误)")
    return done.stdout.strip().splitlines()


class Capture:
    """Packets on a node's interface written to a .pcap from now until stop(), across notebook
    cells if need be (`capture` is the `with` form); read() gives them as tcpdump prints them.

    tcpdump compiles the filter, and mnss_kernel.runtime.packet_capture captures with it on the
    node, as root and without: tcpdump itself cannot start in a lab without root (it switches to
    its own account, which the lab's user namespace lacks), and as root that switch clears the
    signal that should end it with the command that started it, so it outlived stop()."""

    def __init__(self, lab: Lab, node: str, path: str | Path, interface: str | None = None, bpf: str = ""):
        interface = interface or lab.plan.interfaces[node][0].name
        self.path = Path(path).resolve()
        argv = [sys.executable, "-m", "mnss_kernel.runtime.packet_capture", interface, *compile_filter(bpf)]
        # The packets come back on a pipe and are written here: the node's mount namespace may not
        # show the caller's folders (a learner's home), so the node writes no file itself.
        self._proc = lab.popen(node, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self._proc.stderr.readline().decode(errors="replace")  # "listening on ..." once armed
        if "listening" not in line:
            self._proc.kill()
            self._proc.wait(5)
            raise EngineError(f"packet capture on {node}:{interface} did not start: {line.strip()}")
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._writer.start()

    def _write(self) -> None:
        """Each packet into the file as it arrives (os.read returns what the pipe has, where a
        buffered read would wait for a full buffer)."""
        pipe = self._proc.stdout.fileno()
        with self.path.open("wb") as pcap:
            while chunk := os.read(pipe, 64 * 1024):
                pcap.write(chunk)
                pcap.flush()

    def stop(self) -> Path:
        """End the capture (after a moment for packets in flight); the .pcap's path."""
        if self._proc.poll() is None:
            time.sleep(0.2)
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._writer.join(5)
        return self.path

    def read(self, *options: str) -> str:
        return read_capture(self.path, *options)


def read_capture(path: str | Path, *options: str) -> str:
    """A .pcap's packets as `tcpdump -r FILE -n OPTIONS` prints them (e.g. "-v", "-tttt"), read
    here, outside the lab: tcpdump run on a node of a lab without root could not start."""
    done = subprocess.run(["tcpdump", "-r", str(path), "-n", *options], capture_output=True, text=True)
    if done.returncode != 0:
        raise EngineError(f"cannot read {path}: {done.stderr.strip()}")
    return done.stdout


@contextmanager
def capture(lab: Lab, node: str, path: str | Path, interface: str | None = None, bpf: str = ""):
    """Capture packets on a node's interface into a .pcap while the `with` block runs."""
    running = Capture(lab, node, path, interface, bpf)
    try:
        yield running.path
    finally:
        running.stop()
