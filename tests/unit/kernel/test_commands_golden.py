"""Every command a Lab runs, recorded without a kernel and compared with a golden record.

Each bundled template is started, every kind of fault it offers is applied and repaired (alone,
then all together), a command is run on a node, and the lab is stopped, once in a holder's user
namespace and once directly on the host (root), with the kernel settings written directly, through
a private remount of /proc/sys, or not at all. The subprocess calls are recorded, argv and stdin,
and compared with tests/data/kernel_commands/: moving command text about must not change a
single command. Threads build nodes in parallel, so a record is compared as a sorted list.

After a deliberate change to the commands, rewrite the record with
`python -m tests.unit.kernel.test_commands_golden` and review its diff.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mnss_foundation import plugins
from mnss_kernel import faults
from mnss_kernel.runtime import Lab, capabilities, commands, holder as holders, registry, shell
from mnss_kernel.templates import BIG as BIG_TEMPLATES, TEMPLATES

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "kernel_commands"
SMALL = [
    name for name in TEMPLATES if name not in BIG_TEMPLATES
]  # stored in full; the region (10,000 nodes) not at all
BIG = "hospital_campus_1000"  # stored as a digest: 1076 nodes would make a 2 MB record
PLACES = ["holder-direct", "holder-none", "host-remount"]


class Recorder:
    """Stands in for subprocess.run: records each call and answers as a working kernel would."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, args, input=None, **kwargs):
        args = list(args)
        self.calls.append({"argv": args, "stdin": input})
        out = ""
        if args[-1] == "net.ipv4.conf.all.forwarding":  # the forwarding check reads 1
            out = "1\n"
        elif args[-3:] == ["bridge", "link", "show"]:  # every bridge port forwards at once
            out = "state forwarding\n" * 1000
        return subprocess.CompletedProcess(args, 0, out, "")


class FakeHolder(holders.Holder):
    """A holder as a started one looks (PID 1 of the lab is 4242), without starting anything."""

    def __init__(self, hosts: Path):
        self.name, self.userns, self.kind, self.pid = "golden", True, "userns", 4242
        self._hosts = hosts

    def hosts_file(self, netns):
        return str(self._hosts), super().hosts_file(netns)[1]

    def stop(self, timeout=10):
        pass


def one_of_each_kind(lab) -> list[faults.Fault]:
    chosen: dict[str, faults.Fault] = {}
    for fault in faults.candidates(lab.topology, lab.plan):
        chosen.setdefault(fault.kind, fault)
    return list(chosen.values())


def record(name: str, place: str, monkeypatch, tmp_path: Path) -> list[dict]:
    """The commands one run of template `name` gives, sorted."""
    recorder = Recorder()
    monkeypatch.setattr(subprocess, "run", recorder)
    monkeypatch.setattr(registry, "REGISTRY", tmp_path / "records")
    monkeypatch.setattr(registry, "new_lab_id", lambda: "c0ffee")
    monkeypatch.setattr(plugins, "call", lambda *args, **kwargs: None)
    monkeypatch.setattr(capabilities, "holder_problem", lambda: None)
    monkeypatch.setattr(capabilities, "missing_for", lambda topology: [])
    access = place.split("-")[1]
    monkeypatch.setattr(capabilities, "sysctl_access", lambda place=None: access)
    hosts = tmp_path / "hosts"
    monkeypatch.setattr(holders, "start", lambda *args, **kwargs: FakeHolder(hosts))
    monkeypatch.setattr(
        shell.DIRECT, "hosts_file", lambda netns: (str(tmp_path / f"{netns}.hosts"), f"/etc/netns/{netns}/hosts")
    )
    monkeypatch.setattr(Lab, "_wants_holder", lambda lab: place.startswith("holder"))
    lab = Lab(TEMPLATES[name].build(), owner="golden")
    with lab:
        kinds = one_of_each_kind(lab)
        for fault in kinds:
            fault.inject(lab)
            fault.repair(lab)
        for fault in kinds:
            try:
                fault.inject(lab)
            except Exception as err:  # a contradiction the ledger refuses before any command
                recorder.calls.append({"refused": f"{fault.describe()}: {type(err).__name__}"})
        for fault in reversed(kinds):
            if fault.effect(lab) in lab.faults:
                fault.repair(lab)
        lab.cmd(lab.topology.nodes[0].name, "true")
    workdir = str(lab.workdir)
    local = {workdir: "<workdir>", sys.executable: "<python>", str(Path(commands.__file__).parent): "<runtime>"}
    lines = []
    for call in recorder.calls:
        line = json.dumps(call, ensure_ascii=False)
        for path, stand_in in local.items():  # paths of this machine
            line = line.replace(path, stand_in)
        lines.append(line)
    lines.sort()
    return [json.loads(line) for line in lines]


def digest(calls: list[dict]) -> str:
    return hashlib.sha256(json.dumps(calls, ensure_ascii=False).encode()).hexdigest()


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("name", SMALL)
def test_a_template_runs_exactly_the_recorded_commands(name, place, monkeypatch, tmp_path):
    golden = json.loads((GOLDEN / f"{name}.json").read_text())[place]
    got = record(name, place, monkeypatch, tmp_path)
    assert got == golden


@pytest.mark.slow
def test_the_1076_node_campus_runs_exactly_the_recorded_commands(monkeypatch, tmp_path):
    golden = json.loads((GOLDEN / f"{BIG}.json").read_text())
    got = record(BIG, "holder-direct", monkeypatch, tmp_path)
    assert (len(got), digest(got)) == (golden["calls"], golden["sha256"])


def _one_call_a_line(record: dict) -> str:
    """JSON with one call per line, so a changed command shows as one changed line in a diff."""
    places = []
    for place, calls in record.items():
        if not isinstance(calls, list):
            places.append(f" {json.dumps(place)}: {json.dumps(calls)}")
            continue
        lines = ",\n".join(f"  {json.dumps(call, ensure_ascii=False)}" for call in calls)
        places.append(f" {json.dumps(place)}: [\n{lines}\n ]")
    return "{\n" + ",\n".join(places) + "\n}\n"


def _write() -> None:
    """Rewrite the golden records from what the code runs now."""
    import tempfile

    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in [*SMALL, BIG]:
        out = {}
        for place in PLACES if name != BIG else ["holder-direct"]:
            with pytest.MonkeyPatch.context() as mp, tempfile.TemporaryDirectory() as tmp:
                out[place] = record(name, place, mp, Path(tmp))
        if name == BIG:
            out = {"calls": len(out["holder-direct"]), "sha256": digest(out["holder-direct"])}
        (GOLDEN / f"{name}.json").write_text(_one_call_a_line(out))
        print(name, file=sys.stderr)


if __name__ == "__main__":
    _write()
