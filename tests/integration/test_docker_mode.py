"""The 'docker' mode with a real dockerd (userns-remap), the real image, the real hub and proxy.

.ci/run starts dockerd and builds the image (`make images`; MNSS_TEST_IMAGE picks another tag).
Each test's containers, home volumes and user network carry this run's pid, and are removed at the
end, also on failure.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import requests

from mnss_hub import lab_seccomp
from mnss_hub.accounts import AccountStore
from mnss_hub.docker_spawner import profiles_in_services
from mnss_hub.hubclient import HubClient
from tests.support import dockerhub, formgrader as formgrader_checks
from tests.support.dockerhub import docker
from tests.support.hubproc import ROOT, accounts_url, running_hub
from tests.support.topologies import FIRST_LAB

pytestmark = [pytest.mark.integration, pytest.mark.docker, pytest.mark.slow]

IMAGE = dockerhub.IMAGE
ADMIN_PW = "admin-test-password"
RUN = f"t{os.getpid()}"


@pytest.fixture(scope="module")
def docker_engine():
    """A reachable dockerd with the image; absent outside CI is a skip that says why, in CI a failure."""
    dockerhub.require_engine()


@pytest.fixture
def docker_site(tmp_path, docker_engine):
    """Site config of a docker-mode hub with its own network and volumes; all removed afterwards."""
    config = dockerhub.docker_site(tmp_path / "state", RUN)
    try:
        yield config
    finally:
        dockerhub.remove_leftovers(config, RUN)


def admin(url: str) -> HubClient:
    client = HubClient(url, timeout=60)
    client.login("admin", ADMIN_PW)
    return client


def run(client: HubClient, user: str, code: str) -> str:
    result = client.execute(user, code, timeout=180)
    assert result.error is None, f"{result.error}\n{result.stderr}"
    return result.stdout


def start_watching_progress(client: HubClient, user: str) -> list[str]:
    """Start a server and read the spawn page's progress stream until ready; its messages."""
    client._call("POST", f"hub/api/users/{user}/server", expect=(201, 202))
    messages = []
    with requests.get(
        f"{client.url}hub/api/users/{user}/server/progress", headers=client.headers, stream=True, timeout=180
    ) as stream:
        for line in stream.iter_lines(decode_unicode=True):
            if line and line.startswith("data:"):
                event = json.loads(line[5:])
                messages.append(event.get("message", ""))
                if event.get("ready") or event.get("failed"):
                    break
    client.wait_for(user, ready=True, timeout=60)
    return messages


def inspect(container: str) -> dict:
    return json.loads(docker("inspect", container).stdout)[0]


def test_two_users_labs_isolation_and_hub_restarts(tmp_path, docker_site):
    ann, ben = f"ann{RUN}", f"ben{RUN}"
    workdir = tmp_path / "hub"
    # The hub shows the spawn page (and its progress) only for spawns slower than this; make it 0.
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "10-progress.py").write_text('c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}\n')
    docker_site["hub"]["extra_config_dir"] = str(extra)
    # The course exchange and the recommender run on the host; containers reach them on the user network.
    teacher = f"tch{RUN}"
    docker_site["courses"] = {
        "enabled": True,
        "catalog": str(ROOT / "courses"),
        "members": [{"course": "hospital-lan", "learners": [ann], "instructors": [teacher]}],
    }
    state = Path(docker_site["hub"]["state_dir"])
    AccountStore(accounts_url(state)).create(teacher, "teacher-password-x1", must_change=False)
    docker_site["recommender"] = {"enabled": True}
    docker_site["spawn"] = {"max_topology_nodes": 3}  # the three-node lab fits, a fourth node does not
    with running_hub(workdir, docker_site) as (url, proc, log):
        hub = admin(url)
        hub.create_user(ben)  # ann exists already: the site config enrolls her in a course
        # Only the site's image: asking for another one is refused, nothing is started.
        refused = hub._call("POST", f"hub/api/users/{ann}/server", expect=(202, 400), json={"image": "debian:bookworm"})
        hub.wait_for(ann, ready=False, timeout=30)  # 202: the spawn fails in the background
        assert "Specifying image to launch is not allowed" in refused.text + log.read_text()
        assert not docker("ps", "-aq", "--filter", f"name=^mnss-{ann}$").stdout.strip()
        progress = start_watching_progress(hub, ann)
        assert "正在创建你的实验容器 / Creating your lab container" in progress, progress
        assert "正在启动容器中的 JupyterLab / Starting JupyterLab in the container" in progress, progress
        hub.start_server(ben, wait=180)
        # Ben keeps a lab running in an open kernel: ann must neither see nor reach it (below).
        kernel = hub._call("POST", f"user/{ben}/api/kernels", expect=(201,), json={"name": "python3"}).json()["id"]
        kept = FIRST_LAB.replace("with Lab(topo) as lab:", "lab = Lab(topo).start()\nif True:")
        assert "LOSS 0.0 ROOTLESS True" in hub._run_in_kernel(ben, kernel, kept, 180).stdout

        # The lab is built rootless: in a user namespace of the container's unprivileged user.
        out = run(hub, ann, FIRST_LAB + "\nopen('/home/lab/keep.txt', 'w').write('still here')\n")
        assert "LOSS 0.0 ROOTLESS True" in out, out
        too_big = hub.execute(
            ann,
            FIRST_LAB.replace(
                '{"name": "h2", "kind": "host"}', '{"name": "h2", "kind": "host"}, {"name": "h3", "kind": "host"}'
            ),
        )
        assert "the topology has 4 nodes; your limit is 3" in (too_big.error or ""), too_big
        services = run(hub, ann, SERVICES_FROM_THE_CONTAINER)
        assert "exchange 200 hospital-lan" in services and "recommender 200 hospital-lan" in services, services

        # What the container was given: a non-root user, no capability, no privileged flag,
        # no-new-privileges, the lab's seccomp profile, no host paths.
        box = inspect(f"mnss-{ann}")
        host = box["HostConfig"]
        assert box["Config"]["User"] == "1000:1000"
        assert host["Privileged"] is False
        assert not host["CapAdd"] and host["CapDrop"] == ["ALL"]
        assert "no-new-privileges" in host["SecurityOpt"] and host["PidsLimit"] == 512
        profiles = [opt.removeprefix("seccomp=") for opt in host["SecurityOpt"] if opt.startswith("seccomp=")]
        assert [json.loads(p) for p in profiles] == [lab_seccomp.profile()]
        assert host["Memory"] == 1024**3 and (host["CpuQuota"], host["CpuPeriod"]) == (100_000, 100_000)  # 1 core
        assert all(m["Type"] == "volume" for m in box["Mounts"]), box["Mounts"]
        assert not any("docker.sock" in (m.get("Source") or "") for m in box["Mounts"])

        # From ann's kernel: ben's server, the proxy API, the hub's files and the engine socket are
        # out of reach, and the classic escapes fail.
        ben_ip = next(iter(inspect(f"mnss-{ben}")["NetworkSettings"]["Networks"].values()))["IPAddress"]
        assert "mnss-holder" in docker("top", f"mnss-{ben}", "-eo", "pid,args").stdout  # ben's lab runs
        gateway = next(iter(box["NetworkSettings"]["Networks"].values()))["Gateway"]
        probes = run(
            hub,
            ann,
            PROBES.format(
                ben_ip=ben_ip,
                gateway=gateway,
                proxy_api=docker_site["hub"]["proxy_api_port"],
                state=docker_site["hub"]["state_dir"],
            ),
        )
        results = dict(line.split("=", 1) for line in probes.split() if "=" in line)
        assert int(results.pop("host_uid")) >= 100000, probes  # dockremap's subordinate uids
        assert results == {
            "ben_server": "blocked",
            "proxy_api": "blocked",
            "hub_state": "absent",
            "docker_sock": "absent",
            "mount_host_disk": "refused",
            "load_module": "refused",
            "cgroup_release_agent": "refused",
            "hub_api": "reachable",
            "root_on_host": "no",
            "uid": "1000",
            "cap_eff": "0000000000000000",
            "userns_mount_host_disk": "refused",
            "userns_cgroup_release_agent": "refused",
            "userns_other_kinds": "refused",
            "other_labs": "none",
        }, probes

        # The course's formgrader runs on the host too: as its own account, grading only.
        instructor = HubClient(url, timeout=60)
        instructor.login(teacher, "teacher-password-x1")
        base, root = f"{url}services/formgrader-hospital-lan/", state / "grading" / "hospital-lan"
        assert formgrader_checks.ask(base, instructor.headers, "GET", "formgrader/api/assignments").status_code == 200
        for method, path in formgrader_checks.REFUSED:
            formgrader_checks.assert_refused(base, instructor.headers, method, path, root, state)
        formgrader_checks.assert_process_unprivileged("hospital-lan", root, state)

        # A stopped server's container goes; its home stays.
        hub.stop_server(ann)
        assert docker("ps", "-aq", "--filter", f"name=^mnss-{ann}$").stdout.strip() == ""
        hub.start_server(ann, wait=180)
        assert "still here" in run(hub, ann, "print(open('/home/lab/keep.txt').read())")

    # Graceful hub restart: servers were left running and answer through the new proxy.
    assert inspect(f"mnss-{ben}")["State"]["Running"]
    with running_hub(workdir, docker_site) as (url, proc, log):
        hub = admin(url)
        assert hub.user(ben)["servers"][""]["ready"]
        assert "ok" in run(hub, ben, "print('ok')")
        proc.kill()  # kill -9: no chance to clean anything up
        proc.wait(10)
    docker("kill", f"mnss-{ann}")  # ann's container dies while the hub is down
    # A container of a spawn the hub crashed in: no server in the hub's database names it.
    ghost = f"mnss-gst{RUN}"
    network = docker_site["docker"]["network"]
    docker(
        "run",
        "-d",
        "--name",
        ghost,
        "--network",
        network,
        "--user",
        "1000:1000",
        "--cap-drop",
        "ALL",
        "--entrypoint",
        "sleep",
        IMAGE,
        "infinity",
    )

    with running_hub(workdir, docker_site) as (url, proc, log):
        hub = admin(url)
        # The start-up sweep removed it, saying how many and not whose; ann's and ben's were kept.
        assert not docker("ps", "-aq", "--filter", f"name=^{ghost}$").stdout.strip()
        said = log.read_text()
        assert "Ended 1 leftover container(s) of servers that no longer run" in said
        assert ghost not in said and f"gst{RUN}" not in said
        hub.wait_for(ann, ready=False, timeout=30)  # shown as stopped, not lost
        assert "back" in run(hub, ben, "print('back')")
        hub.start_server(ann, wait=180)  # and it can start again, with its files
        assert "still here" in run(hub, ann, "print(open('/home/lab/keep.txt').read())")


SERVICES_FROM_THE_CONTAINER = r"""
import os, requests
auth = {"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]}
exchange = requests.get(os.environ["MNSS_EXCHANGE_URL"] + "api/courses", headers=auth, timeout=20)
me = requests.get(os.environ["MNSS_RECOMMENDER_URL"] + "api/me", headers=auth, timeout=20)
for name, resp in (("exchange", exchange), ("recommender", me)):
    print(name, resp.status_code, "hospital-lan" if "hospital-lan" in resp.text else resp.text[:200])
"""


PROBES = r"""
import ctypes, errno, os, socket, subprocess

def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "reachable"
    except OSError:
        return "blocked"

def open_or_empty(pid):
    try:
        return open("/proc/" + pid + "/cmdline", "rb").read()
    except OSError:
        return b""

def refused(cmd):
    return "escaped" if subprocess.run(cmd, shell=True, capture_output=True).returncode == 0 else "refused"

libc = ctypes.CDLL(None, use_errno=True)
SYS_finit_module = 313
libc.syscall(SYS_finit_module, -1, b"", 0)
module = "refused" if ctypes.get_errno() == errno.EPERM else "errno " + str(ctypes.get_errno())
print("ben_server=" + connect("{ben_ip}", 8888))
print("proxy_api=" + connect("{gateway}", {proxy_api}))
print("hub_api=" + connect("{gateway}", int(os.environ["JUPYTERHUB_API_URL"].rsplit(":", 1)[1].split("/")[0])))
print("hub_state=" + ("present" if os.path.exists("{state}") else "absent"))
docker_sock = os.path.exists("/var/run/docker.sock") or os.path.exists("/run/docker.sock")
print("docker_sock=" + ("present" if docker_sock else "absent"))
print("mount_host_disk=" + refused("mknod /tmp/disk b 253 0 && mkdir -p /tmp/h && mount /tmp/disk /tmp/h"))
print("load_module=" + module)
# userns-remap: uid 0 here is an ordinary uid on the host ("0 100000 65536").
print("root_on_host=" + ("yes" if open("/proc/self/uid_map").read().split()[1] == "0" else "no"))
release_agent = "mkdir -p /tmp/cg && mount -t cgroup -o memory cgroup /tmp/cg && echo /x > /tmp/cg/release_agent"
print("cgroup_release_agent=" + refused(release_agent))
print("uid=" + str(os.getuid()))
# The host's uid for this one: an ordinary uid (with userns-remap, in dockremap's range).
uid_in, uid_out, _ = open("/proc/self/uid_map").read().split()[:3]
print("host_uid=" + str(int(uid_out) + os.getuid() - int(uid_in)))
print("cap_eff=" + next(l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff:")))
# The seccomp profile lets the learner make user namespaces (root there, of nothing else): the
# same escapes from inside one, and a namespace kind labs do not use, are refused too.
inside = "unshare --user --map-root-user --mount sh -c "
disk = "'mknod /tmp/disk b 253 0 && mkdir -p /tmp/h && mount /tmp/disk /tmp/h'"
print("userns_mount_host_disk=" + refused(inside + disk))
print("userns_cgroup_release_agent=" + refused(inside + "'" + release_agent + "'"))
print("userns_other_kinds=" + refused("unshare --user --map-root-user --uts --ipc true"))
# Another learner's lab (its holder, its namespaces) is not even visible from here.
holders = [p for p in os.listdir("/proc") if p.isdigit() and b"mnss-holder" in open_or_empty(p)]
print("other_labs=" + ("visible" if holders else "none"))
"""


# The ward template, built by the engine as the container's user; what it says comes back as data.
WARD = """
import os
from mnss_kernel import measure
from mnss_kernel.runtime.lab import Lab
from mnss_kernel.templates import template_named
try:
    with Lab(template_named("ward")) as lab:
        print("uid", os.getuid(), "rootless", lab.rootless, "loss", measure.ping_matrix(lab).loss_pct.max())
except Exception as err:
    print("failed", err)
"""


def lab_in_a_learner_container(profile: dict, tmp_path: Path) -> str:
    """Build the ward lab in a container started as the spawner starts one: uid 1000, no
    capability, no-new-privileges, `profile` as its seccomp profile (the CLI reads it from a file)."""
    path = tmp_path / "seccomp.json"
    path.write_text(json.dumps(profile))
    name = f"mnss-{RUN}-ward"
    try:
        done = docker(
            *("run", "--rm", "--name", name, "--network", "none", "--user", "1000:1000", "--cap-drop", "ALL"),
            *("--security-opt", "no-new-privileges", "--security-opt", f"seccomp={path}"),
            *("--entrypoint", "python", IMAGE, "-c", WARD),
            check=False,
        )
    finally:
        docker("rm", "-f", name, check=False)
    return done.stdout + done.stderr


def test_the_lab_profile_builds_a_lab_rootless_and_each_added_rule_is_needed(tmp_path, docker_engine):
    """The ward template builds rootless under the lab profile and pings at 0% loss; without any
    one of the profile's three additions to Docker's default, the same build fails."""
    profile = lab_seccomp.profile()
    assert lab_in_a_learner_container(profile, tmp_path).split() == ["uid", "1000", "rootless", "True", "loss", "0.0"]
    for rule in lab_seccomp.ADDITIONS:
        without = {**profile, "syscalls": [r for r in profile["syscalls"] if r is not rule]}
        said = lab_in_a_learner_container(without, tmp_path)
        assert said.startswith("failed") and "Operation not permitted" in said, (rule["names"], said)


def test_idle_culler_stops_idle_servers_and_spares_running_labs(tmp_path, docker_site):
    """Real jupyterhub-idle-culler on a short clock: 20 s without activity, checked every 5 s."""
    timeout, every = 20, 5
    docker_site["culler"] = {"enabled": True, "timeout": timeout, "every": every, "activity_interval": 2}
    idle, busy = f"idl{RUN}", f"bsy{RUN}"
    with running_hub(tmp_path / "hub", docker_site) as (url, proc, log):
        hub = admin(url)
        # Each server is used as soon as it is up: a slow start of the other (a loaded machine)
        # must not count as idle time.
        for name in (idle, busy):
            hub.create_user(name)
        hub.start_server(idle, wait=180)
        run(hub, idle, "open('/home/lab/notes.txt', 'w').write('kept')")
        hub.start_server(busy, wait=180)
        # The busy learner leaves a network running in an open kernel and does nothing else.
        kernel = hub._call("POST", f"user/{busy}/api/kernels", expect=(201,), json={"name": "python3"}).json()["id"]
        started = hub._run_in_kernel(
            busy, kernel, FIRST_LAB.replace("with Lab(topo) as lab:", "lab = Lab(topo).start()\nif True:"), 180
        )
        assert "LOSS 0.0" in started.stdout, started
        quiet_since = time.monotonic()

        hub.wait_for(idle, ready=False, timeout=timeout + 6 * every + 30)
        time.sleep(max(0.0, quiet_since + timeout + 3 * every - time.monotonic()))
        assert hub.user(busy)["servers"].get("", {}).get("ready"), "a server with a running lab was culled"
        assert f"Culling server {idle}" in log.read_text() and f"Culling server {busy}" not in log.read_text()

        hub.start_server(idle, wait=180)  # the home volume kept the learner's files
        assert "kept" in run(hub, idle, "print(open('/home/lab/notes.txt').read())")


@pytest.fixture
def single_node_swarm(docker_engine):
    """This engine as a one-node swarm for the test; left again afterwards if the test made it one."""
    state = docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()
    if state != "active":
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    yield
    if state != "active":
        docker("swarm", "leave", "--force", check=False)


SWARM_PROBES = r"""
import subprocess
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
for key in ("CapEff", "CapPrm", "CapInh", "CapAmb", "NoNewPrivs"):
    print(key + "=" + status[key].strip())

def refused(cmd):
    return "escaped" if subprocess.run(cmd, shell=True, capture_output=True).returncode == 0 else "refused"

release_agent = "mkdir -p /tmp/cg && mount -t cgroup -o memory cgroup /tmp/cg && echo /x > /tmp/cg/release_agent"
inside = "unshare --user --map-root-user --mount sh -c "
print("cgroup_release_agent=" + refused(release_agent))
print("userns_cgroup_release_agent=" + refused(inside + "'" + release_agent + "'"))
disk = "'mknod /tmp/disk b 253 0 && mkdir -p /tmp/h && mount /tmp/disk /tmp/h'"
print("userns_mount_host_disk=" + refused(inside + disk))
"""


def test_swarm_mode_runs_a_lab_as_a_service(tmp_path, docker_site, single_node_swarm):
    """A learner's service runs as uid 1000 with every capability dropped, under no-new-privileges
    and the site's pids/memory/CPU limits; on this Docker 20.10 (no seccomp setting for services)
    SYS_ADMIN is added to the bounding set only, and the learner never holds it: CapEff/CapPrm
    are 0 and no-new-privileges holds (setuid binaries gain nothing), the escapes fail. The lab
    builds rootless at 0% loss. A hub restart keeps the service and removes a leftover one."""
    docker_site["mode"] = "swarm"
    docker_site["docker"]["cpu_limit"] = 0.5
    user, ghost = f"swm{RUN}", f"mnss-gsw{RUN}"
    try:
        with running_hub(tmp_path / "hub", docker_site) as (url, proc, log):
            hub = admin(url)
            hub.create_user(user)
            hub.start_server(user, wait=180)
            service = json.loads(docker("service", "inspect", f"mnss-{user}").stdout)[0]
            task = service["Spec"]["TaskTemplate"]
            spec = task["ContainerSpec"]
            assert spec["User"] == "1000:1000" and spec["Args"][:2] == ["setpriv", "--no-new-privs"], spec
            assert spec["CapabilityDrop"] in (["ALL"], ["CAP_ALL"]), spec
            if profiles_in_services(docker("version", "--format", "{{.Server.APIVersion}}").stdout.strip()):
                assert not spec.get("CapabilityAdd") and spec["Privileges"]["NoNewPrivileges"], spec
            else:  # Docker 20.10, as on the machines this was written on
                assert spec.get("CapabilityAdd") in (["SYS_ADMIN"], ["CAP_SYS_ADMIN"]), spec
            assert [m["Type"] for m in spec["Mounts"]] == ["volume"]
            assert task["Resources"]["Limits"] == {"NanoCPUs": 500_000_000, "MemoryBytes": 1024**3, "Pids": 512}
            (container,) = docker(
                "ps", "-q", "--filter", f"label=com.docker.swarm.service.name=mnss-{user}"
            ).stdout.split()
            box = inspect(container)
            host = box["HostConfig"]
            assert box["Config"]["User"] == "1000:1000" and host["Privileged"] is False
            assert (host["PidsLimit"], host["Memory"], host["NanoCpus"]) == (512, 1024**3, 500_000_000), host
            out = run(hub, user, FIRST_LAB + "\nopen('/home/lab/keep.txt', 'w').write('swarm')\n")
            assert "LOSS 0.0 ROOTLESS True" in out, out
            probes = dict(line.split("=", 1) for line in run(hub, user, SWARM_PROBES).split() if "=" in line)
            assert probes == {
                "CapEff": "0000000000000000",
                "CapPrm": "0000000000000000",
                "CapInh": "0000000000000000",
                "CapAmb": "0000000000000000",
                "NoNewPrivs": "1",
                "cgroup_release_agent": "refused",
                "userns_cgroup_release_agent": "refused",
                "userns_mount_host_disk": "refused",
            }, probes
        # The learner's service outlives the hub; a service no server record names (a spawn the
        # hub crashed in) is removed at the next start, and the log says how many, not whose.
        network = docker_site["docker"]["network"]
        docker(
            *("service", "create", "-d", "--no-resolve-image", "--name", ghost, "--network", network),
            *("--user", "1000:1000", "--entrypoint", "sleep", IMAGE, "infinity"),
        )
        with running_hub(tmp_path / "hub", docker_site) as (url, proc, log):
            hub = admin(url)
            assert docker("service", "ls", "-q", "--filter", f"name={ghost}").stdout.strip() == ""
            said = log.read_text()
            assert "Ended 1 leftover service(s) of servers that no longer run" in said and ghost not in said
            assert hub.user(user)["servers"][""]["ready"]
            hub.stop_server(user)
            assert docker("service", "ls", "-q", "--filter", f"name=mnss-{user}").stdout.strip() == ""
            hub.start_server(user, wait=180)
            assert "swarm" in run(hub, user, "print(open('/home/lab/keep.txt').read())")
            hub.stop_server(user)
    finally:
        services = docker("service", "ls", "-q", "--filter", f"name=mnss-{user}", check=False).stdout.split()
        services += docker("service", "ls", "-q", "--filter", f"name={ghost}", check=False).stdout.split()
        if services:
            docker("service", "rm", *services, check=False)
        for _ in range(30):  # a removed service's task goes away shortly after
            if not docker(
                "ps", "-aq", "--filter", f"network={docker_site['docker']['network']}", check=False
            ).stdout.strip():
                break
            time.sleep(1)
