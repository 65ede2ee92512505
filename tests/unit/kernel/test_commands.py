"""The command builders of mnss_kernel.runtime.commands, each against the exact text the engine ran
before they were gathered there (the golden record covers what a lab's build and faults run; these
cover the holder, the probes and the diagnosis read, which it does not)."""

import pytest

from mnss_kernel.diagnose.observe import SEPARATOR, read_command
from mnss_kernel.runtime import commands, holder, shell
from mnss_kernel.runtime.shaping import Shape, install_lines, of_link
from mnss_kernel.topology import Topology
from tests.support.topologies import nodes

HOLDER_OUTSIDE = (
    'rec=$1 work=$2 mark=$3 groups=$4; shift 4; "$@" sh -c "$0" "$mark"; rm -f -- "$rec"; '
    '[ -z "$work" ] || rm -rf -- "$work"; '
    'for g in $groups; do n=0; while [ -d "$g" ] && ! rmdir -- "$g" 2>/dev/null && [ $n -lt 50 ]; '
    "do n=$((n+1)); sleep 0.1; done; done"
)
HOLDER_PID1 = (
    "keep=; if [ -d /run/mnss-home ] && [ -r /run/mnss-home ] && [ -x /run/mnss-home ]; "
    "then exec 3< /run/mnss-home && keep=1; fi; "
    "mount -t tmpfs -o mode=0755,size=16m mnss-lab /run && mkdir -p /run/netns /run/mnss || exit 1; "
    'if [ -n "$keep" ]; then mkdir /run/mnss-home && mount --no-canonicalize --rbind /proc/self/fd/3 /run/mnss-home '
    "|| exit 1; exec 3<&-; fi; "
    'read -r me _ < /proc/self/stat; echo "READY $me"; read -r _ _; exit 0'
)
UNSHARE = ["unshare", "--net", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child"]


@pytest.mark.parametrize("userns", [True, False])
def test_the_holder_is_pid_1_of_new_namespaces_and_a_user_namespace_only_when_asked(userns):
    argv = commands.holder("mnss-holder:ann-c0ffee", "/run/mnss/labs/ann-c0ffee.json", "/tmp/w", userns)
    user = ["--user", "--map-root-user"] if userns else []
    assert argv == [
        "sh",
        "-c",
        HOLDER_OUTSIDE,
        HOLDER_PID1,
        "/run/mnss/labs/ann-c0ffee.json",
        "/tmp/w",
        "mnss-holder:ann-c0ffee",
        "",  # the lab's cgroup folders to remove at its end: none without limits
        *UNSHARE,
        *user,
    ]
    assert holder.MARK == "mnss-holder" and commands.HOLDER_PID1 == HOLDER_PID1  # holders() finds labs by them


def test_a_holders_namespaces_are_entered_through_its_pid():
    user = ["nsenter", "--target=4242", "--user", "--preserve-credentials", "--mount", "--pid"]
    assert commands.holder_on_host(4242, True, ["true"]) == [*user, "--net", "true"]
    assert commands.holder_in_netns(4242, True, "mnss-a-b-h1", ["ip", "-batch", "-"]) == [
        *user,
        "--net=/proc/4242/root/run/netns/mnss-a-b-h1",
        "ip",
        "-batch",
        "-",
    ]
    root = ["nsenter", "--target=7", "--mount", "--pid"]
    assert commands.holder_on_host(7, False, ["true"]) == [*root, "--net", "true"]
    assert commands.holder_in_netns(7, False, "n", ["x"]) == [*root, "--net=/proc/7/root/run/netns/n", "x"]


def test_a_namespace_on_the_host_is_entered_by_its_name():
    assert shell.DIRECT.in_netns("mnss-a-b-h1", ["true"]) == ["nsenter", "--net=/run/netns/mnss-a-b-h1", "true"]
    assert commands.with_hosts_file("/etc/netns/n/hosts", ["ping", "h2"]) == [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        'if [ -e /etc/netns/n/hosts ]; then mount --bind /etc/netns/n/hosts /etc/hosts || exit 125; fi; exec "$@"',
        "--",
        "ping",
        "h2",
    ]
    assert commands.with_parent_death_signal(["ping", "h2"]) == ["setpriv", "--pdeathsig", "TERM", "--", "ping", "h2"]
    assert commands.bind_hosts_file("/run/mnss/hosts") == ["mount", "--bind", "/run/mnss/hosts", "/etc/hosts"]


def test_the_probes_of_what_this_system_allows():
    assert commands.namespaces_probe(True) == [
        "unshare",
        "--user",
        "--map-root-user",
        "--net",
        "--mount",
        "--pid",
        "--fork",
        "true",
    ]
    assert commands.namespaces_probe(False) == ["unshare", "--net", "--mount", "--pid", "--fork", "true"]
    assert commands.qdisc_probe("netem", False) == [
        "unshare",
        "--net",
        "tc",
        "qdisc",
        "add",
        "dev",
        "lo",
        "root",
        "netem",
        "delay",
        "1ms",
    ]
    assert commands.qdisc_probe("htb", True)[:4] == ["unshare", "--user", "--map-root-user", "--net"]
    assert commands.qdisc_probe("htb", True)[-3:] == ["htb", "default", "1"]
    assert commands.proc_sys_remount_probe() == ["unshare", "--mount", "sh", "-c", "mount -o remount,rw,bind /proc/sys"]
    assert commands.with_writable_proc_sys(["sh", "-c", "x"]) == [
        "unshare",
        "--mount",
        "sh",
        "-c",
        'mount -o remount,rw,bind /proc/sys && exec "$@"',
        "--",
        "sh",
        "-c",
        "x",
    ]


def test_only_ip_and_tc_run_batches():
    assert commands.batch() == ["ip", "-batch", "-"] and commands.batch(commands.TC) == ["tc", "-batch", "-"]
    with pytest.raises(ValueError, match="no batch mode for 'iptables'"):
        commands.batch("iptables")


def test_a_routers_settings_turn_forwarding_on_and_a_switchs_keep_bridged_frames_out_of_iptables():
    router, switch = commands.SETTINGS["router"], commands.SETTINGS["switch"]
    assert commands.forwards(router) and not commands.forwards(switch)
    assert commands.settings_then_ip_batch(router) == [
        "sh",
        "-c",
        "sysctl -qew net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 && exec ip -batch -",
    ]
    assert "net.bridge.bridge-nf-call-iptables=0" in switch and "host" not in commands.SETTINGS


def test_the_netem_arguments_of_a_link():
    topo = Topology.from_dict(
        {
            "nodes": nodes("a:host", "b:host", "c:host"),
            "links": [{"a": "a", "b": "b", "delay": 10, "jitter": 2, "loss": 1, "bw": 5}, {"a": "b", "b": "c"}],
        }
    )
    shaped = of_link(topo.link("a", "b"))
    assert shaped == Shape(5, ("delay", "10ms", "2ms", "loss", "1%"))
    assert install_lines("a-eth0", shaped) == [
        "qdisc add dev a-eth0 root handle 1: htb default 1",
        "class add dev a-eth0 parent 1: classid 1:1 htb rate 5mbit burst 15k",
        "qdisc add dev a-eth0 parent 1:1 handle 10: netem delay 10ms 2ms loss 1%",
    ]
    assert of_link(topo.link("b", "c")).empty and install_lines("b-eth1", of_link(topo.link("b", "c"))) == []


def test_firewall_rules_first_match_wins_after_replies():
    rules = [
        {"action": "allow", "src": "10.0.0.0/24", "dst": "any", "proto": "tcp", "port": 104},
        {"action": "deny", "src": "any", "dst": "10.0.2.0/24"},
    ]
    assert commands.forward_filter(True, rules) == (
        "*filter\n"
        ":FORWARD DROP [0:0]\n"
        "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
        "-A FORWARD -s 10.0.0.0/24 -p tcp --dport 104 -j ACCEPT\n"
        "-A FORWARD -d 10.0.2.0/24 -j DROP\n"
        "COMMIT\n"
    )
    assert ":FORWARD ACCEPT [0:0]" in commands.forward_filter(False, [])
    assert commands.masquerade("nat1-eth1") == "*nat\n-A POSTROUTING -o nat1-eth1 -j MASQUERADE\nCOMMIT\n"
    spec = commands.drop_spec("10.0.0.0/24", "10.0.2.0/24")
    assert commands.forward_insert_first(spec) == [
        "iptables",
        "-I",
        "FORWARD",
        "1",
        "-s",
        "10.0.0.0/24",
        "-d",
        "10.0.2.0/24",
        "-j",
        "DROP",
    ]
    assert commands.forward_delete(spec) == ["iptables", "-D", "FORWARD", *spec]


def test_the_diagnosis_reads_a_node_in_one_shell_command():
    classes = "for d in $(tc qdisc show | awk '$2 == \"htb\" {print $5}'); do echo DEV $d; tc class show dev $d; done"
    assert read_command(True) == (
        f"ip -j link show; echo {SEPARATOR}; ip -j -4 route show; echo {SEPARATOR}; "
        f"iptables -S FORWARD 2>/dev/null; echo {SEPARATOR}; {classes}"
    )
    assert read_command(False) == commands.read_node(False, SEPARATOR)
    assert f"; echo {SEPARATOR}; true; echo {SEPARATOR}; " in read_command(False)


def test_the_labs_private_run_shows_the_learners_home_views():
    """The hub's local mode puts a learner's home under /run/mnss-home; the lab covers /run, so it
    binds that folder back, or nodes could not reach the learner's files."""
    from mnss_hub.spawners import HOME_VIEWS

    assert f"mount --no-canonicalize --rbind /proc/self/fd/3 {HOME_VIEWS} " in commands.HOLDER_PID1
