"""Chaos drills and a soak on a class (benchmarks/classroom.py's class, with the recommender on).

--chaos TARGET: while the class runs (at the first confirmed submission, or --chaos-at seconds at
the latest) one part is broken: `kill -9` of the hub (then started again on the same state after
5 s, as the unit's Restart=on-failure/RestartSec=5 does), of the proxy, the exchange or the
recommender (the hub must bring those back by itself), or a restart of dockerd (stopped, then
started again by scripts/docker-engine.sh; it is running again afterwards whatever happens).
Learners are patient: a step that fails is tried again every few seconds for --patience seconds,
and a learner whose server is gone starts it again, as a person would. Afterwards it checks that
every submission (exchange store) and learning event (recommender store) the learners made before
or during the drill is kept exactly once, and that every learner's server answers again with the
notebook and its solutions, or is shown stopped with them intact in its home volume.

--soak: --learners (30) work for --minutes (30), each running the 10-node lab every --every (60)
seconds and submitting every --submit-every labs; hub, proxy, exchange and recommender memory (RSS)
are sampled, and growth from the end of the first round to the end is reported (goal < 5%), with
the same checks for lost or doubled submissions and events.

Everything the run made (hub, services, containers, volumes, network) is removed afterwards, also
after a failure, Ctrl-C or SIGTERM. Needs root, dockerd and the image. Usage:
    .venv/bin/python benchmarks/classroom_chaos.py --chaos hub --learners 4 [--json]
    .venv/bin/python benchmarks/classroom_chaos.py --soak [--learners 30 --minutes 30]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import chaos_checks as checks, classroom_report as report  # noqa: E402
from benchmarks.classroom import (  # noqa: E402
    ASSIGNMENT,
    COURSE,
    Learner,
    StepFailed,
    check_grades,
    class_config,
    formgrader,
    run_through_cleanup,
)
from tests.support import coursework, dockerhub  # noqa: E402
from tests.support.hubproc import (  # noqa: E402
    create_accounts,
    end_hub,
    free_ports,
    launch_hub,
    password,
    processes_under,
    wait_until_up,
)

TARGETS = ("hub", "proxy", "exchange", "recommender", "dockerd")
SUBNET = "172.31.197.0/24"  # classroom.py uses .198, the tests 172.31.200-249
HOME = "/home/lab"  # the learner's home in the container (mnss_hub.docker_spawner.HOME)
RESTART_SEC = 5  # ansible/roles/mnss/templates/mnss-hub.service.j2
# how each part's process is recognised among those working in the hub's state folder
MARKERS = {"proxy": "configurable-http-proxy", "exchange": " mnss_courses.exchange", "recommender": "mnss_recommender"}
DOCKER_ENGINE = ROOT / "scripts" / "docker-engine.sh"
BRIDGE_SYSCTLS = [f"/proc/sys/net/bridge/bridge-nf-call-{t}" for t in ("iptables", "arptables", "ip6tables")]


class ClassHub:
    """The class's hub, which can be killed and started again on the same state."""

    def __init__(self, work: Path, config: dict):
        self.work, self.config, self.state = work, config, Path(config["hub"]["state_dir"])
        self.proc = None
        self.url = f"http://127.0.0.1:{config['hub']['port']}/"
        self.log = work / "hub.log"

    def start(self, up_timeout: float = 300) -> None:
        self.url, self.proc, self.log = launch_hub(self.work, self.config)
        wait_until_up(self.url, self.proc, self.log, up_timeout)

    def stop(self) -> None:
        if self.proc is not None:
            end_hub(self.work, self.config, self.proc)

    def pid(self, part: str) -> int | None:
        if part == "hub":
            return self.proc.pid if self.proc and self.proc.poll() is None else None
        for pid, command in sorted(processes_under(self.state).items()):
            if MARKERS[part] in command:
                return pid
        return None

    def answers(self) -> bool:
        try:
            return requests.get(self.url + "hub/api", timeout=5).status_code == 200
        except requests.RequestException:
            return False


class PatientLearner(Learner):
    """A learner who tries a failed step again every few seconds (starting their server again when
    it is gone) until --patience runs out; counts tries and confirmed successes of each step."""

    def __init__(self, url: str, name: str, start_timeout: float, stop: threading.Event, patience: float):
        super().__init__(url, name, start_timeout)
        self.stop, self.patience = stop, patience
        self.tried: Counter = Counter()
        self.confirmed: Counter = Counter()
        self.retried: Counter = Counter()
        self.respawns = 0
        self.errors: list[str] = []
        self.path: str | None = None

    def step(self, name: str, action):
        deadline = time.monotonic() + self.patience
        while True:
            self.tried[name] += 1
            begin = time.perf_counter()
            try:
                result = action()
            except Exception as err:  # a failure is a result here: tried again, then counted by reason
                if time.monotonic() > deadline or self.stop.is_set():
                    raise StepFailed(name, err) from err
                self.retried[name] += 1
                if len(self.errors) < 20:
                    self.errors.append(report.reason(name, err, self.name))
                self.stop.wait(3)
                if name not in ("login", "spawn"):
                    self.ensure_server()
                continue
            self.confirmed[name] += 1
            self.outcome.times[name] = time.perf_counter() - begin
            if name == "fetch (panel open)":
                self.path = result
            return result

    def server(self) -> dict | None:
        return self.call("GET", f"hub/api/users/{self.name}", timeout=30).json().get("servers", {}).get("")

    def spawn(self, stop: threading.Event) -> None:
        """Start the server unless it runs or is starting; wait until it is ready."""
        server = self.server()
        if not server:
            return super().spawn(stop)
        deadline = time.monotonic() + self.start_timeout
        while not (server and server.get("ready")):
            if not server:
                raise RuntimeError("the server stopped while starting")
            if time.monotonic() > deadline or stop.wait(1):
                raise RuntimeError(f"not ready after {self.start_timeout:.0f} s")
            server = self.server()

    def ensure_server(self) -> None:
        try:
            if not self.server():
                self.respawns += 1
                self.spawn(self.stop)
        except Exception:  # the hub itself may be down: the next try of the step tells
            pass

    def run_soak(self, rounds: int, every: float, submit_every: int, first_at: float, warm: threading.Barrier) -> None:
        """Set up once, then a lab every `every` seconds (and a submission every `submit_every`
        labs) for `rounds` rounds; `warm` is passed once the first round is done."""
        user = f"user/{self.name}/"
        try:
            token = self.step("login", self.login)
            self.web.headers["Authorization"] = f"token {token['token']}"
            self.step("spawn", lambda: self.spawn(self.stop))
            path = self.step(
                "fetch (panel open)",
                lambda: self.call("POST", user + "mnss/panel/open", json={"item": f"{COURSE}/{ASSIGNMENT}"}).json()[
                    "path"
                ],
            )
            self.step("write solutions", lambda: self.write_solutions(path))
            for index in range(rounds):
                if index == 1:
                    wait_at(warm, self.stop)
                if self.stop.wait(max(first_at + index * every - time.monotonic(), 0)):
                    break
                self.step("10-node lab in a kernel", lambda: self.build_lab(path))
                if (index + 1) % submit_every == 0:
                    self.step("save work", lambda index=index: self.save_work(path, index))
                    self.step("submit (panel)", lambda: self.submit(path))
            else:
                if rounds == 1:
                    wait_at(warm, self.stop)
            self.step("logout", lambda: self.logout(token["id"]))
        except StepFailed as failed:
            self.outcome.failure = report.reason(failed.step, failed.error, self.name)
            warm.abort()

    def save_work(self, path: str, index: int) -> None:
        """The notebook saved with something new (its metadata notes the round), as a learner's
        work changes between two submissions; the exchange keeps unchanged work only once."""
        contents = f"user/{self.name}/api/contents/{path}"
        notebook = self.call("GET", contents + "?content=1&type=notebook").json()["content"]
        notebook["metadata"]["soak_round"] = index
        self.call("PUT", contents, expect=(200, 201), json={"type": "notebook", "format": "json", "content": notebook})

    def submit(self, path: str):
        return self.call("POST", f"user/{self.name}/mnss/panel/submit", json={"path": path}, timeout=240)


def wait_at(barrier: threading.Barrier, stop: threading.Event) -> None:
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass


# -- the drills --------------------------------------------------------------------------------


def dockerd_running() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0


def ensure_dockerd() -> str:
    """dockerd running again, the way the project starts it; other developers use it."""
    if dockerd_running():
        return "running"
    result = subprocess.run(["bash", str(DOCKER_ENGINE)], capture_output=True, text=True, timeout=300)
    return "started again" if dockerd_running() else f"NOT RUNNING: {result.stderr[-500:]}"


def foreign_containers(network: str) -> list[str]:
    """Running containers that are not this class's (a dockerd restart would stop them)."""
    ours = set(dockerhub.docker("ps", "-q", "--filter", f"network={network}", check=False).stdout.split())
    return [c for c in dockerhub.docker("ps", "-q", check=False).stdout.split() if c not in ours]


def restart_dockerd(network: str, wait_for_others: float) -> dict:
    """Stop dockerd (SIGTERM: it stops the containers, as `systemctl restart docker` does) and start
    it with scripts/docker-engine.sh; not while others' containers run (waits, then refuses)."""
    deadline = time.monotonic() + wait_for_others
    while foreign_containers(network):
        if time.monotonic() > deadline:
            return {"skipped": "other containers than this class's kept running; dockerd was not restarted"}
        time.sleep(10)
    sysctls = {path: Path(path).read_text() for path in BRIDGE_SYSCTLS if Path(path).exists()}
    pid = int(Path("/var/run/docker.pid").read_text())
    begin = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    while Path(f"/proc/{pid}").exists() and time.monotonic() - begin < 120:
        time.sleep(0.5)
    stopped = time.monotonic() - begin
    state = ensure_dockerd()
    for path, value in sysctls.items():  # dockerd turns bridge filtering on; leave it as it was
        Path(path).write_text(value)
    return {"pid": pid, "stopped_after_s": stopped, "engine": state, "recovered_s": time.monotonic() - begin}


def break_part(hub: ClassHub, target: str, give_up: float = 180) -> dict:
    """kill -9 of `target`; then wait until it is back (the hub restarted by us, as systemd would;
    the others by the hub). Returns what happened and how long it took."""
    pid = hub.pid(target)
    if pid is None:
        return {"error": f"no {target} process found"}
    begin = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    if target == "hub":
        hub.proc.wait(30)
        time.sleep(RESTART_SEC)
        hub.start()
        return {"pid": pid, "recovered_s": time.monotonic() - begin}
    while time.monotonic() - begin < give_up:
        again = hub.pid(target)
        if again is not None and again != pid and (target != "proxy" or hub.answers()):
            return {"pid": pid, "new_pid": again, "recovered_s": time.monotonic() - begin}
        time.sleep(1)
    return {"pid": pid, "recovered_s": None, "error": f"{target} not running again within {give_up:.0f} s"}


def chaos_thread(hub, target, learners, network, at_latest, wait_for_others, result: dict, stop) -> threading.Thread:
    def act():
        begin = time.monotonic()
        while not stop.is_set() and time.monotonic() - begin < at_latest:
            if any(learner.confirmed[checks.SUBMIT] for learner in learners):
                break
            time.sleep(0.5)
        if stop.is_set():
            return
        result["at_s"] = time.monotonic() - begin
        result["learner_steps_done_before"] = sum(sum(learner.confirmed.values()) for learner in learners)
        try:
            if target == "dockerd":
                result.update(restart_dockerd(network, wait_for_others))
            else:
                result.update(break_part(hub, target))
        except Exception as err:  # reported; the run goes on and cleans up
            result["error"] = f"{type(err).__name__}: {err}"

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


# -- the checks afterwards ---------------------------------------------------------------------


def in_container(learner: str, volume: str, code: str) -> subprocess.CompletedProcess:
    """Python in the learner's running container, or in a throwaway one on their home volume."""
    name = f"mnss-{learner}"
    running = dockerhub.docker("inspect", "-f", "{{.State.Running}}", name, check=False).stdout.strip() == "true"
    if running:
        return dockerhub.docker("exec", name, "python3", "-c", code, check=False)
    return dockerhub.docker(
        "run",
        "--rm",
        "--network",
        "none",
        "-e",
        f"HOME={HOME}",
        "-v",
        f"{volume}:{HOME}:ro",
        dockerhub.IMAGE,
        "python3",
        "-c",
        code,
        check=False,
    )


PENDING = (
    "import os; from mnss_activity.buffer import EventBuffer, default_path; "
    "print(len(EventBuffer().pending()) if os.path.exists(default_path()) else 0)"
)


def pending_events(learner: str, volume: str) -> int | None:
    answer = in_container(learner, volume, PENDING)
    try:
        return int(answer.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def drain(learners: list[str], volume_of, flush_s: float, timeout: float) -> dict[str, int | None]:
    """Wait until the running servers have delivered their buffered events (or `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        pending = {name: pending_events(name, volume_of(name)) for name in learners}
        if not any(pending.values()) or time.monotonic() > deadline:
            return pending
        time.sleep(flush_s)


def stored_events(state: Path, learner: str) -> Counter:
    key = (state / "recommender.key").read_bytes()
    who = hmac.new(key, learner.encode("utf-8"), hashlib.sha256).hexdigest()[:20]  # events.pseudonym
    db = sqlite3.connect(f"file:{state / 'recommender.sqlite'}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("SELECT kind, COUNT(*) FROM recommender_events WHERE learner = ? GROUP BY kind", (who,))
        return Counter(dict(rows.fetchall()))
    finally:
        db.close()


def stored_submissions(state: Path, learner: str) -> int:
    folder = state / "exchange" / "courses" / COURSE / "submissions" / ASSIGNMENT / learner
    return len(list(folder.glob("*.json"))) if folder.is_dir() else 0


SOLVED = """
import json, sys
cells = json.load(open(sys.argv[1]))["cells"]
print(json.dumps({i: "".join(c["source"]) for i, c in enumerate(cells)}))
"""


def server_and_files(url: str, learner: str, path: str | None, volume: str) -> str:
    """'answers' or 'stopped' with ', files intact' when the notebook holds the solutions; else why not."""
    web = requests.Session()
    try:
        token = web.post(
            f"{url}hub/api/users/{learner}/tokens",
            json={"auth": {"username": learner, "password": password(learner)}, "note": "chaos check"},
            timeout=60,
        ).json()["token"]
        web.headers["Authorization"] = f"token {token}"
        server = web.get(f"{url}hub/api/users/{learner}", timeout=60).json().get("servers", {}).get("")
    except (requests.RequestException, KeyError, ValueError) as err:
        return f"PROBLEM: the hub did not answer for this learner: {err}"
    if path is None:
        return "never fetched (nothing to check)"
    want = {str(i): code for i, code in coursework.solutions(COURSE, ASSIGNMENT).items()}
    if server and server.get("ready"):
        answer = web.get(f"{url}user/{learner}/api/contents/{path}?content=1&type=notebook", timeout=60)
        if answer.status_code != 200:
            return f"PROBLEM: the server is shown running but answered HTTP {answer.status_code}"
        cells = answer.json()["content"]["cells"]
        got = {str(i): "".join(c["source"]) for i, c in enumerate(cells)}  # a str joins to itself
        state = "answers"
    elif server:
        return "PROBLEM: the server is shown starting or stopping"
    else:
        said = in_container(learner, volume, SOLVED.replace("sys.argv[1]", repr(f"{HOME}/{path}")))
        try:
            got = json.loads(said.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return f"PROBLEM: stopped, and the notebook is not readable in its home: {said.stderr[-300:]}"
        state = "stopped"
    intact = all(got.get(i) == code for i, code in want.items())
    return f"{state}, files intact" if intact else f"PROBLEM: {state}, but the notebook lost its solutions"


# -- a run -------------------------------------------------------------------------------------


def class_run(args, tmp: Path, target: str | None) -> dict:
    run = f"x{os.getpid()}{(target or 'soak')[:4]}"
    names = [f"l{i}{run}" for i in range(args.learners)]
    teacher = f"t{run}"
    work = tmp / run
    config = class_config(work / "state", names, teacher, run)
    config["docker"]["subnet"] = SUBNET
    config["recommender"] = {"enabled": True, "port": free_ports(1)[0], "flush_seconds": args.flush}
    network = config["docker"]["network"]
    hub = ClassHub(work, config)
    stop = threading.Event()
    result: dict = {"target": target, "learners": args.learners, "load_before": list(os.getloadavg())}
    try:
        (work / "state").mkdir(parents=True)
        create_accounts(work / "state", [*names, teacher])
        hub.start()
        token = requests.post(
            f"{hub.url}hub/api/users/{teacher}/tokens",
            json={"auth": {"username": teacher, "password": password(teacher)}, "note": "chaos"},
            timeout=60,
        ).json()["token"]
        released = formgrader(hub.url, token, "mnss/round", 300, data={"action": "release", "assignment": ASSIGNMENT})
        if released.status_code != 303:
            raise RuntimeError(f"releasing {ASSIGNMENT} failed: HTTP {released.status_code}: {released.text[:300]}")
        learners = [PatientLearner(hub.url, n, 300, stop, args.patience) for n in names]
        begin = time.monotonic()
        if target:
            drill: dict = {}
            thread = chaos_thread(hub, target, learners, network, args.chaos_at, args.wait_for_others, drill, stop)
            run_class(learners, args.window, stop)
            thread.join(600)
            result["drill"] = drill
        else:
            result["memory"] = run_soak(hub, learners, args, stop)
        result["class_s"] = time.monotonic() - begin
        grade_begin = time.monotonic()
        try:
            graded = formgrader(
                hub.url, token, "mnss/api/grade", 600 + 30 * len(names), json={"assignment": ASSIGNMENT}
            )
        except requests.RequestException as err:
            graded = err
        result["grading_s"] = time.monotonic() - grade_begin
        outcomes = [learner.outcome for learner in learners]
        result["graded_full"] = check_grades(graded, outcomes)
        result.update(after_checks(hub, learners, run, args.flush))
        result["failures"] = report.tally([o.failure for o in outcomes if o.failure])
        result["retries"] = dict(sum((learner.retried for learner in learners), Counter()))
        result["respawns"] = sum(learner.respawns for learner in learners)
        result["errors_seen"] = report.tally([e for learner in learners for e in learner.errors])
        result["steps"] = {
            name: report.spread([o.times[name] for o in outcomes if name in o.times])
            for name in ("login to usable lab", "10-node lab in a kernel", "submit (panel)")
        }
        result["hub_errors"] = [
            line[:300] for line in hub.log.read_text("utf-8", "replace").splitlines() if line.startswith("[E")
        ][-15:]
    finally:
        stop.set()
        hub.stop()
        dockerhub.remove_leftovers(config, run)
        result["dockerd_after"] = ensure_dockerd()
        result["left_behind"] = left_behind(work, network, run)
    result["load_after"] = list(os.getloadavg())
    return result


def left_behind(work: Path, network: str, run: str) -> list[str]:
    """What of the run is still there after its cleanup (should be nothing)."""
    found = [f"process {pid}: {command[:80]}" for pid, command in processes_under(work.resolve()).items()]
    found += [
        f"container {c}"
        for c in dockerhub.docker("ps", "-aq", "--filter", f"network={network}", check=False).stdout.split()
    ]
    found += [
        f"volume {v}"
        for v in dockerhub.docker("volume", "ls", "-q", "--filter", f"name=mnss-{run}-", check=False).stdout.split()
    ]
    found += [
        f"network {n}"
        for n in dockerhub.docker("network", "ls", "-q", "--filter", f"name=^{network}$", check=False).stdout.split()
    ]
    return found


def run_class(learners: list[PatientLearner], window: float, stop: threading.Event) -> None:
    def attend(index: int) -> None:
        if not stop.wait(index * window / len(learners)):
            begin = time.perf_counter()
            learners[index].run(stop)
            learners[index].outcome.times.setdefault("whole class", time.perf_counter() - begin)

    pool = ThreadPoolExecutor(max_workers=len(learners))
    try:
        list(pool.map(attend, range(len(learners))))
    finally:  # on Ctrl-C the learners stop at their next wait, and nobody waits for them
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)


def rss(pid: int | None) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, TypeError):
        return None
    return None


def run_soak(hub: ClassHub, learners: list[PatientLearner], args, stop: threading.Event) -> dict:
    parts = ("hub", "proxy", "exchange", "recommender")
    samples: list[dict] = []
    warm_at: list[int] = []
    warm = threading.Barrier(len(learners) + 1)
    start = time.monotonic() + args.window + 60  # everyone is set up before the first round
    rounds = max(int(args.minutes * 60 // args.every), 1)

    def sample() -> None:
        while not stop.wait(10):
            samples.append({part: rss(hub.pid(part)) for part in parts})

    threading.Thread(target=sample, daemon=True).start()

    def attend(index: int) -> None:
        if not stop.wait(index * args.window / len(learners)):
            offset = index * min(args.every / len(learners), 2.0)  # labs spread over the minute
            learners[index].run_soak(rounds, args.every, args.submit_every, start + offset, warm)

    pool = ThreadPoolExecutor(max_workers=len(learners))
    try:
        futures = [pool.submit(attend, i) for i in range(len(learners))]
        wait_at(warm, stop)
        warm_at.append(len(samples))
        for future in futures:
            future.result()
    finally:
        if not all(future.done() for future in futures):
            stop.set()
            warm.abort()
        pool.shutdown(wait=False, cancel_futures=True)
    samples.append({part: rss(hub.pid(part)) for part in parts})
    base = samples[warm_at[0]] if warm_at and warm_at[0] < len(samples) else samples[0]
    end = samples[-1]
    return {
        "rounds": rounds,
        "every_s": args.every,
        "samples": len(samples),
        "rss_mib": {
            part: {
                "first": round((samples[0][part] or 0) / report.MIB, 1),
                "after_first_round": round((base[part] or 0) / report.MIB, 1),
                "end": round((end[part] or 0) / report.MIB, 1),
                "peak": round(max((s[part] or 0) for s in samples) / report.MIB, 1),
                "growth_pct": percent(checks.growth(base[part], end[part])),
            }
            for part in parts
        },
    }


def percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(100 * fraction, 2)


def after_checks(hub: ClassHub, learners: list[PatientLearner], run: str, flush_s: float) -> dict:
    def volume_of(name: str) -> str:
        return f"mnss-{run}-{name}"

    names = [learner.name for learner in learners]
    pending = drain(names, volume_of, flush_s, timeout=max(6 * flush_s, 60))
    found: list[checks.Verdict] = []
    events: dict[str, dict] = {}
    for learner in learners:
        kept = stored_events(hub.state, learner.name)
        events[learner.name] = dict(kept)
        found += checks.verdicts(
            learner.name, learner.confirmed, learner.tried, kept, stored_submissions(hub.state, learner.name)
        )
    servers = {
        learner.name: server_and_files(hub.url, learner.name, learner.path, volume_of(learner.name))
        for learner in learners
    }
    return {
        "kept": checks.summary(found),
        "pending_events_left": {name: n for name, n in pending.items() if n},
        "events_by_learner": events,
        "servers": servers,
        "server_problems": sum(1 for said in servers.values() if said.startswith("PROBLEM")),
    }


def table(result: dict) -> str:
    kept = result["kept"]
    lines = [
        f"{'chaos: ' + result['target'] if result['target'] else 'soak'} with {result['learners']} learners; "
        f"load {result['load_before'][0]:.1f} before, {result['load_after'][0]:.1f} after; "
        f"class {result['class_s']:.0f} s",
    ]
    if "drill" in result:
        drill = result["drill"]
        lines.append(
            "drill: " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in drill.items())
        )
    if "memory" in result:
        memory = result["memory"]
        lines.append(
            f"soak: {memory['rounds']} rounds every {memory['every_s']:.0f} s; "
            "RSS MiB (after first round -> end, peak, growth):"
        )
        for part, figures in memory["rss_mib"].items():
            lines.append(
                f"  {part:12} {figures['after_first_round']:8.1f} -> {figures['end']:8.1f}  "
                f"peak {figures['peak']:8.1f}  growth {figures['growth_pct']}%"
            )
    lines += [
        f"failed learners: {sum(result['failures'].values())} of {result['learners']}",
        *[f"  {count} x {why}" for why, count in result["failures"].items()],
        f"steps tried again: {result['retries'] or 'none'}; servers started again by learners: {result['respawns']}",
        *[f"  seen {count} x {why}" for why, count in list(result["errors_seen"].items())[:8]],
        "records (submissions + fetched/topology_run/submitted events): "
        f"confirmed {kept['confirmed']}, kept {kept['kept']}, LOST {kept['lost']}, "
        f"STORED TWICE {kept['stored_twice']}, kept though unconfirmed {kept['kept_unconfirmed']}",
        *[f"  {problem}" for problem in kept["problems"]],
        f"events still buffered in learners' homes: {result['pending_events_left'] or 'none'}",
        "servers afterwards: " + ", ".join(f"{said} x{n}" for said, n in Counter(result["servers"].values()).items()),
        f"grading afterwards: {result['grading_s']:.1f} s, "
        f"{result['graded_full']} of {result['learners']} with full marks",
        f"dockerd afterwards: {result['dockerd_after']}; left behind: {result['left_behind'] or 'nothing'}",
    ]
    for name, values in result["steps"].items():
        lines.append(f"  {name:28} p50 {report._s(values['p50'])} p95 {report._s(values['p95'])} (n={values['n']})")
    if result["hub_errors"]:
        lines.append(f"hub log errors (last {len(result['hub_errors'])}):")
        lines += [f"  {line[:200]}" for line in result["hub_errors"][-6:]]
    return "\n".join(lines)


def bad(result: dict) -> bool:
    return bool(
        result["failures"]
        or result["kept"]["lost"]
        or result["kept"]["stored_twice"]
        or result["server_problems"]
        or result["dockerd_after"].startswith("NOT")
        or result["left_behind"]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--chaos", choices=TARGETS, help="the part to break during the class")
    what.add_argument("--soak", action="store_true", help="a long class: a lab every --every seconds")
    parser.add_argument("--learners", type=int, help="class size (default 4 for --chaos, 30 for --soak)")
    parser.add_argument("--window", type=float, default=30, help="seconds over which the logins are spread")
    parser.add_argument(
        "--chaos-at", type=float, default=120, help="break the part at the first submission or after this many seconds"
    )
    parser.add_argument("--patience", type=float, default=300, help="seconds a learner keeps trying a failed step")
    parser.add_argument(
        "--wait-for-others", type=float, default=300, help="seconds to wait for others' containers to end (dockerd)"
    )
    parser.add_argument("--flush", type=float, default=5, help="seconds between the servers' event deliveries")
    parser.add_argument("--minutes", type=float, default=30, help="soak length")
    parser.add_argument("--every", type=float, default=60, help="seconds between a soak learner's labs")
    parser.add_argument("--submit-every", type=int, default=5, help="a soak learner submits after every this many labs")
    parser.add_argument("--json", action="store_true", help="the results as JSON")
    args = parser.parse_args()
    args.learners = args.learners or (30 if args.soak else 4)
    if os.geteuid() != 0:
        parser.error("run as root: the hub runs each course's formgrader as an account of its own")
    with tempfile.TemporaryDirectory(prefix="mnss-chaos-") as tmp:
        result = class_run(args, Path(tmp), args.chaos)
    print(json.dumps(result, indent=2) if args.json else table(result), flush=True)
    return 1 if bad(result) else 0


if __name__ == "__main__":
    run_through_cleanup(main, "the hub, its containers, volumes and network are removed; dockerd runs")
