"""A class starting at once: N learners against a real docker-mode hub, then the instructor grades.

Each learner logs in (staggered over --window seconds), starts their server (a container) and
waits for JupyterLab, fetches the course assignment through the exchange with the panel's API
(as the portal's Open link does), writes the solutions into it (contents API), builds a 10-node
lab and pings every pair in a kernel on that notebook, submits with the panel's API (the
notebook's 提交作业 button) and logs out. Then the instructor collects and autogrades everything
through the formgrader's `mnss/api/grade` (what `mnss course grade` asks). Failures are counted by
reason; times, memory (the containers' cgroups), hub/proxy/exchange CPU (/proc) and grading time
are printed as a table (or --json). --find-max runs classes of growing size, a fresh hub each,
and stops at the first that had a failure. Containers, volumes, network and hub are removed at
the end, also on a failure or Ctrl-C. Needs root, dockerd and the image (`make images`). Usage:
    .venv/bin/python benchmarks/classroom.py [--learners 100] [--window 60] [--json]
    .venv/bin/python benchmarks/classroom.py --find-max [--steps 10,20,40,70,100]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import classroom_report as report  # noqa: E402
from mnss_hub import apply, siteconfig  # noqa: E402
from tests.support import coursework, dockerhub  # noqa: E402
from tests.support.hubproc import create_accounts, free_ports, password, processes_under, running_hub  # noqa: E402

COURSE, ASSIGNMENT = "hospital-lan", "lan-build"
SUBNET = "172.31.198.0/24"  # the tests use 172.31.200-249

# Built in a kernel on the learner's notebook: two switches, eight hosts, every pair pinged.
TEN_NODES = """
import json, time
from mnss_kernel import measure
from mnss_kernel.runtime.lab import Lab
from mnss_kernel.topology import Topology
hosts = [f"h{i}" for i in range(1, 9)]
topo = Topology.from_dict({"name": "class10",
    "nodes": [{"name": "s1", "kind": "switch"}, {"name": "s2", "kind": "switch"}]
             + [{"name": h, "kind": "host"} for h in hosts],
    "links": [{"a": "s1", "b": "s2"}] + [{"a": h, "b": "s1" if i < 4 else "s2"} for i, h in enumerate(hosts)]})
begin = time.perf_counter()
with Lab(topo) as lab:
    built = time.perf_counter() - begin
    pings = measure.ping_matrix(lab)
print("CLASSROOM", json.dumps({"build_s": built, "pairs": len(pings), "max_loss": float(pings.loss_pct.max())}))
"""


class StepFailed(Exception):
    def __init__(self, step: str, error: BaseException | str):
        super().__init__(f"{step}: {error}")
        self.step, self.error = step, error


@dataclass
class Outcome:
    name: str
    times: dict[str, float] = field(default_factory=dict)
    spawn_retries: int = 0
    failure: str | None = None


class Learner:
    """One learner's class, over HTTP with their own token, as their browser and notebook would."""

    def __init__(self, url: str, name: str, start_timeout: float):
        self.url, self.name, self.start_timeout = url, name, start_timeout
        self.web = requests.Session()
        self.outcome = Outcome(name)

    def call(self, method: str, path: str, expect=(200,), timeout: float = 120, **kw) -> requests.Response:
        answer = self.web.request(method, self.url + path, timeout=timeout, allow_redirects=False, **kw)
        if answer.status_code not in expect:
            raise RuntimeError(f"{method} {path.split('?')[0]}: HTTP {answer.status_code}: {answer.text[:200]}")
        return answer

    def step(self, name: str, action):
        begin = time.perf_counter()
        try:
            result = action()
        except StepFailed:
            raise
        except Exception as err:  # a failure is a result here: counted by reason
            raise StepFailed(name, err) from err
        self.outcome.times[name] = time.perf_counter() - begin
        return result

    def run(self, stop: threading.Event) -> Outcome:
        user = f"user/{self.name}/"
        begin = time.perf_counter()
        try:
            token = self.step("login", self.login)
            self.web.headers["Authorization"] = f"token {token['token']}"
            self.step("spawn", lambda: self.spawn(stop))
            self.step("open JupyterLab", lambda: self.call("GET", user + "lab"))
            self.outcome.times["login to usable lab"] = time.perf_counter() - begin
            path = self.step(
                "fetch (panel open)",
                lambda: self.call("POST", user + "mnss/panel/open", json={"item": f"{COURSE}/{ASSIGNMENT}"}).json()[
                    "path"
                ],
            )
            self.step("write solutions", lambda: self.write_solutions(path))
            self.step("10-node lab in a kernel", lambda: self.build_lab(path))
            self.step(
                "submit (panel)",
                lambda: self.call("POST", user + "mnss/panel/submit", json={"path": path}, timeout=240),
            )
            self.step("logout", lambda: self.logout(token["id"]))
        except StepFailed as failed:
            self.outcome.failure = report.reason(failed.step, failed.error, self.name)
        return self.outcome

    def login(self) -> dict:
        """The password checked by the hub's authenticator, answered with a token of this learner."""
        answer = self.call(
            "POST",
            f"hub/api/users/{self.name}/tokens",
            expect=(201,),
            json={"auth": {"username": self.name, "password": password(self.name)}, "note": "classroom"},
        )
        return answer.json()

    def spawn(self, stop: threading.Event) -> None:
        """Start the server; a 429 (too many spawns at once) is tried again after Retry-After, as
        the hub's spawn page tells a learner to; then wait (1 s polls) until the hub says ready."""
        while True:
            answer = self.call("POST", f"hub/api/users/{self.name}/server", expect=(201, 202, 429))
            if answer.status_code != 429:
                break
            self.outcome.spawn_retries += 1
            stop.wait(float(answer.headers.get("Retry-After", 5)))
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline and not stop.is_set():
            server = self.call("GET", f"hub/api/users/{self.name}").json().get("servers", {}).get("")
            if server and server.get("ready"):
                return
            if not server:  # pending servers are listed: gone means the spawn failed
                raise RuntimeError("the server stopped while starting (the hub log says why)")
            stop.wait(1)
        raise RuntimeError(f"not ready after {self.start_timeout:.0f} s")

    def write_solutions(self, path: str) -> None:
        """The solution cells filled in and saved, as the learner types them in JupyterLab."""
        contents = f"user/{self.name}/api/contents/{path}"
        notebook = self.call("GET", contents + "?content=1&type=notebook").json()["content"]
        for index, code in coursework.solutions(COURSE, ASSIGNMENT).items():
            notebook["cells"][index]["source"] = code
        self.call("PUT", contents, expect=(200, 201), json={"type": "notebook", "format": "json", "content": notebook})

    def build_lab(self, path: str) -> None:
        """TEN_NODES in a kernel of a session on the notebook (as JupyterLab opens it); every pair
        must answer (0% loss)."""
        from mnss_hub.hubclient import HubClient

        client = HubClient(self.url, token=self.web.headers["Authorization"].split()[1], timeout=120)
        result = client.execute(self.name, TEN_NODES, timeout=300, path=path)
        if result.error is not None:
            raise RuntimeError(f"the kernel raised {result.error}: {result.stderr[-300:]}")
        said = [line for line in result.stdout.splitlines() if line.startswith("CLASSROOM ")]
        if not said:
            raise RuntimeError(f"the kernel printed no result: {result.stdout[-300:]}")
        lab = json.loads(said[-1].split(" ", 1)[1])
        if lab["pairs"] != 56 or lab["max_loss"] != 0:
            raise RuntimeError(f"{lab['pairs']} pairs pinged (56 expected), max loss {lab['max_loss']}%")
        self.outcome.times["lab build"] = lab["build_s"]

    def logout(self, token_id: str) -> None:
        """The hub's logout (every browser session ends), then the login's token is revoked."""
        self.call("GET", "hub/logout", expect=(200, 302))
        self.call("DELETE", f"hub/api/users/{self.name}/tokens/{token_id}", expect=(204,))


class Sampler(threading.Thread):
    """Every second: each learner container's memory (its cgroup) and the host's memory in use."""

    def __init__(self, network: str):
        super().__init__(daemon=True)
        self.network, self.done = network, threading.Event()
        self.peak: dict[str, int] = {}  # container name -> working set peak
        self.kernel_peak: dict[str, int] = {}  # the cgroup's own peak counter (page cache included)
        self.pids_peak: dict[str, int] = {}  # processes and threads (the pids limit counts both)
        self.total_peak = 0
        self.host_start = host_in_use()
        self.host_peak = self.host_start

    def run(self) -> None:
        groups: dict[str, Path] = {}
        last_listing = 0.0
        while not self.done.wait(1):
            if time.monotonic() - last_listing > 5:
                groups = containers(self.network)
                last_listing = time.monotonic()
            total = 0
            for name, group in groups.items():
                sample = read_group(group)
                if sample is None:
                    continue
                total += sample[0]
                self.peak[name] = max(self.peak.get(name, 0), sample[0])
                self.kernel_peak[name] = max(self.kernel_peak.get(name, 0), sample[1])
                pids = read_pids(group)
                if pids is not None:
                    self.pids_peak[name] = max(self.pids_peak.get(name, 0), pids)
            self.total_peak = max(self.total_peak, total)
            self.host_peak = max(self.host_peak, host_in_use())

    def result(self) -> dict:
        self.done.set()
        self.join(5)
        return {
            "per_learner": report.spread(list(self.peak.values())),
            "per_container_mib": {name: round(peak / report.MIB, 1) for name, peak in sorted(self.peak.items())},
            "kernel_peak_max": max(self.kernel_peak.values(), default=None),
            "pids_peak_max": max(self.pids_peak.values(), default=None),
            "total_peak": self.total_peak,
            "host_peak_above_start": self.host_peak - self.host_start,
        }


def host_in_use() -> int:
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) * 1024


def containers(network: str) -> dict[str, Path]:
    """name -> memory cgroup folder of the running containers on `network` (cgroup v1 or v2)."""
    listing = dockerhub.docker(
        "ps", "--no-trunc", "--filter", f"network={network}", "--format", "{{.ID}} {{.Names}}", check=False
    )
    found = {}
    for line in listing.stdout.split("\n"):
        if not line.strip():
            continue
        cid, name = line.split()
        for group in (
            Path(f"/sys/fs/cgroup/memory/docker/{cid}"),
            Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope"),
            Path(f"/sys/fs/cgroup/docker/{cid}"),
        ):
            if group.is_dir():
                found[name] = group
                break
    return found


def read_pids(memory_group: Path) -> int | None:
    """Tasks (processes and threads) in the container now: its pids cgroup, beside the memory one."""
    parts = list(memory_group.parts)
    if "memory" in parts:  # cgroup v1: /sys/fs/cgroup/memory/docker/ID -> /sys/fs/cgroup/pids/docker/ID
        parts[parts.index("memory")] = "pids"
    try:
        return int((Path(*parts) / "pids.current").read_text())
    except (OSError, ValueError):
        return None


def read_group(group: Path) -> tuple[int, int] | None:
    """(working set, the kernel's peak) in bytes of one container's memory cgroup."""
    try:
        if (group / "memory.usage_in_bytes").exists():  # cgroup v1
            usage = int((group / "memory.usage_in_bytes").read_text())
            peak = int((group / "memory.max_usage_in_bytes").read_text())
        else:
            usage = int((group / "memory.current").read_text())
            peak_file = group / "memory.peak"
            peak = int(peak_file.read_text()) if peak_file.exists() else usage
        return report.working_set(usage, (group / "memory.stat").read_text()), peak
    except (OSError, ValueError):
        return None  # the container went away between listing and reading


def cpu_of(pids: dict[str, int]) -> dict[str, float | None]:
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for name, pid in pids.items():
        try:
            seconds[name] = report.cpu_seconds(Path(f"/proc/{pid}/stat").read_text(), ticks)
        except (OSError, ValueError):
            seconds[name] = None
    return seconds


def service_pids(hub_pid: int, state: Path) -> dict[str, int]:
    """The hub, its proxy and the course exchange (they work in the hub's state folder)."""
    pids = {"hub": hub_pid}
    for pid, command in processes_under(state).items():
        if "configurable-http-proxy" in command:
            pids.setdefault("proxy", pid)
        elif " mnss_courses.exchange" in command:
            pids.setdefault("exchange", pid)
    return pids


def class_config(state: Path, learners: list[str], teacher: str, run: str, spawn_limit: int | None = None) -> dict:
    """The site config of a class: docker mode with the product's limits (`spawn_limit`, when
    given, for spawn.concurrent_spawn_limit), courses on, `learners` in the course and `teacher`
    its instructor; containers, volumes and network named after `run`."""
    config = dockerhub.docker_site(state, run)
    config["docker"].pop("mem_limit"), config["docker"].pop("pids_limit")  # the product's limits
    config["docker"]["subnet"] = SUBNET
    config["spawn"] = {"start_timeout": 300, "http_timeout": 120}
    if spawn_limit:
        config["spawn"]["concurrent_spawn_limit"] = spawn_limit
    config["courses"] = {
        "enabled": True,
        "exchange_port": free_ports(1)[0],
        "catalog": str(ROOT / "courses"),
        "members": [{"course": COURSE, "learners": learners, "instructors": [teacher]}],
    }
    return config


@contextmanager
def class_hub(work: Path, learners: list[str], teacher: str, run: str, spawn_limit: int | None = None):
    """A docker-mode hub with courses on: `learners` in the course, `teacher` its instructor;
    everything of `run` (containers, volumes, network, hub and services) gone afterwards."""
    state = work / "state"
    config = class_config(state, learners, teacher, run, spawn_limit)
    try:
        state.mkdir(parents=True)
        create_accounts(state, [*learners, teacher])
        with running_hub(work / "hub", config, up_timeout=300) as (url, proc, log):
            yield url, proc, state, config, log
    finally:
        dockerhub.remove_leftovers(config, run)


def formgrader(url: str, token: str, path: str, timeout: float, **kw) -> requests.Response:
    return requests.post(
        f"{url}services/formgrader-{COURSE}/{path}",
        headers={"Authorization": f"token {token}"},
        timeout=timeout,
        allow_redirects=False,
        **kw,
    )


def one_class(count: int, window: float, tmp: Path, spawn_limit: int | None = None) -> dict:
    run = f"c{os.getpid()}n{count}"
    learners = [f"l{i}{run}" for i in range(count)]
    teacher = f"t{run}"
    with class_hub(tmp / run, learners, teacher, run, spawn_limit) as (url, proc, state, config, log):
        token = requests.post(
            f"{url}hub/api/users/{teacher}/tokens",
            json={"auth": {"username": teacher, "password": password(teacher)}, "note": "classroom"},
            timeout=60,
        ).json()["token"]
        released = formgrader(url, token, "mnss/round", 300, data={"action": "release", "assignment": ASSIGNMENT})
        if released.status_code != 303:
            raise RuntimeError(f"releasing {ASSIGNMENT} failed: HTTP {released.status_code}: {released.text[:500]}")

        pids = service_pids(proc.pid, state)
        cpu_before, load_before = cpu_of(pids), os.getloadavg()
        sampler = Sampler(config["docker"]["network"])
        sampler.start()
        stop = threading.Event()
        pool = ThreadPoolExecutor(max_workers=count)
        begin = time.perf_counter()
        try:

            def attend(index: int) -> Outcome:
                if stop.wait(index * window / count):
                    return Outcome(learners[index], failure="not started: the run was stopped")
                return Learner(url, learners[index], 300).run(stop)

            outcomes = list(pool.map(attend, range(count)))
            grade_begin = time.perf_counter()
            try:
                graded = formgrader(url, token, "mnss/api/grade", 600 + 30 * count, json={"assignment": ASSIGNMENT})
            except requests.RequestException as err:  # counted against every learner, like a refusal
                graded = err
            grading_s = time.perf_counter() - grade_begin
        finally:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            memory = sampler.result()
        cpu_after = cpu_of(pids)
        wall = time.perf_counter() - begin
        full = check_grades(graded, outcomes)
        said = {o.name: server_log(o.name) for o in outcomes if o.failure}  # before the containers go
        hub_said = [line for line in log.read_text("utf-8", "replace").splitlines() if line.startswith(("[E", "[W"))]

    steps: dict[str, list[float]] = {}
    for outcome in outcomes:
        for name, seconds in outcome.times.items():
            steps.setdefault(name, []).append(seconds)
    failures = [o.failure for o in outcomes if o.failure]
    return {
        "learners": count,
        "window_s": window,
        "concurrent_spawn_limit": apply.concurrent_spawn_limit(siteconfig.validate(config)),
        "load_before": list(load_before),
        "load_after": list(os.getloadavg()),
        "wall_s": wall,
        "failures": len(failures),
        "failure_reasons": report.tally(failures),
        "spawn_retries": sum(o.spawn_retries for o in outcomes),
        "steps": {name: report.spread(values) for name, values in steps.items()},
        "memory": memory,
        "cpu_s": {
            name: (cpu_after[name] - cpu_before[name])
            if cpu_after[name] is not None and cpu_before[name] is not None
            else None
            for name in pids
        },
        "grading_s": grading_s,
        "graded_full": full,
        "failed_servers_said": said,
        "hub_warnings_and_errors": hub_said[-40:],
    }


def server_log(learner: str) -> str:
    """The last lines of a learner's server (their container's log), to see why a step failed."""
    logs = dockerhub.docker("logs", "--tail", "30", f"mnss-{learner}", check=False)
    return (logs.stdout + logs.stderr)[-4000:]


def check_grades(answer: requests.Response | Exception, outcomes: list[Outcome]) -> int:
    """Mark learners whose submission was not graded with full marks as failed; how many were."""
    by_name = {o.name: o for o in outcomes}
    if isinstance(answer, Exception) or answer.status_code != 200:
        said = answer if isinstance(answer, Exception) else f"HTTP {answer.status_code}: {answer.text[:200]}"
        for outcome in outcomes:
            outcome.failure = outcome.failure or report.reason("grade", said, outcome.name)
        return 0
    scores = {}
    for entry in answer.json()["graded"]:
        parts = entry["parts"]
        scores[entry["student"]] = (sum(p["score"] or 0 for p in parts), sum(p["points"] for p in parts))
    full = 0
    for name, outcome in by_name.items():
        if outcome.failure:
            continue
        got = scores.get(name)
        if got is None:
            outcome.failure = report.reason("grade", "the submission was not graded", name)
        elif got[0] != got[1]:
            outcome.failure = report.reason("grade", f"scored {got[0]:g} of {got[1]:g}", name)
        else:
            full += 1
    return full


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100, help="class size (default 100)")
    parser.add_argument("--window", type=float, default=60, help="seconds over which the logins are spread")
    parser.add_argument("--find-max", action="store_true", help="classes of --steps sizes until one has a failure")
    parser.add_argument("--steps", default="10,20,40,70,100", help="class sizes for --find-max")
    parser.add_argument(
        "--spawn-limit", type=int, help="spawn.concurrent_spawn_limit of the class's hub (default: the product's)"
    )
    parser.add_argument("--json", action="store_true", help="the results as JSON")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run as root: the hub runs each course's formgrader as an account of its own")
    sizes = [int(s) for s in args.steps.split(",")] if args.find_max else [args.learners]
    results = []
    with tempfile.TemporaryDirectory(prefix="mnss-classroom-") as tmp:
        for size in sizes:
            result = one_class(size, args.window, Path(tmp), args.spawn_limit)
            results.append(result)
            if not args.json:
                print(report.table(result), flush=True)
            if result["failures"]:
                break
    if args.json:
        print(
            json.dumps(
                {"classes": results, "largest_without_failure": report.find_max(results)}
                if args.find_max
                else results[0],
                indent=2,
            )
        )
    elif args.find_max:
        print(f"largest class with 0 failures: {report.find_max(results)} (steps {args.steps})")
    return 0 if all(not r["failures"] for r in results) else 1


def run_through_cleanup(main: Callable[[], int], removed: str) -> NoReturn:
    """Exit with what `main` returns; Ctrl-C, and SIGTERM likewise, end it through its cleanup (also
    when started in the background, where the shell left SIGINT ignored), then say what `removed`."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print(f"interrupted: {removed}", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    run_through_cleanup(main, "the hub, its containers, volumes and network are removed")
