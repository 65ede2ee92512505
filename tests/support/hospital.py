"""A "real" hospital network that a test builds itself, not the engine: a namespace joined to this
host by a veth, with a PACS (a DICOM SCP) and an HL7 listener on each of its two addresses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support import unprivileged

DICOM, HL7 = 11112, 2575


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class Hospital:
    """Namespace mnssH<pid>[o<offset>] with two addresses (PACS .2, other host .3) on 198.19.<n>.0/24, joined to
    this host by a veth (.1 here), running a DICOM SCP and an HL7 listener on both addresses."""

    def __init__(self, offset: int = 0):
        n = (os.getpid() + offset) % 250 + 1  # two tests' hospitals, side by side, apart
        self.ns = self.link = f"mnssH{os.getpid()}" + (f"o{offset}" if offset else "")  # at most 15 characters
        self.net = f"198.19.{n}"
        self.pacs, self.other = f"{self.net}.2", f"{self.net}.3"
        self.storage = Path(tempfile.mkdtemp(prefix="mnss-tunnel-pacs-"))
        self.procs: list[subprocess.Popen] = []

    def start(self) -> Hospital:
        _ip("netns", "add", self.ns)
        _ip("link", "add", self.link, "type", "veth", "peer", "name", "eth0", "netns", self.ns)
        _ip("addr", "add", f"{self.net}.1/24", "dev", self.link)
        _ip("link", "set", self.link, "up")
        inside = ["nsenter", f"--net=/run/netns/{self.ns}"]
        for line in (f"{self.pacs}/24", f"{self.other}/24"):
            subprocess.run([*inside, "ip", "addr", "add", line, "dev", "eth0"], check=True)
        subprocess.run([*inside, "ip", "link", "set", "eth0", "up"], check=True)
        subprocess.run([*inside, "ip", "link", "set", "lo", "up"], check=True)
        env = {**os.environ, "PYTHONPATH": unprivileged.env()["PYTHONPATH"]}
        serve = [*inside, sys.executable, "-m", "mnss_kernel.services", "serve"]
        for argv in (
            [*serve, "dicom-scp", "--port", str(DICOM), "--storage", str(self.storage)],
            [*serve, "hl7-mllp", "--port", str(HL7)],
        ):
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self.procs.append(proc)
            assert proc.stdout.readline().startswith("READY"), f"{argv[-4:]} did not start"
        return self

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        subprocess.run(["ip", "link", "del", self.link], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        shutil.rmtree(self.storage, ignore_errors=True)

    def stored(self) -> int:
        return sum(1 for p in self.storage.rglob("*") if p.is_file())

    def forget_stored(self) -> None:
        """Empty the PACS's storage (the sample image has one UID: a second store overwrites it)."""
        for p in self.storage.rglob("*"):
            if p.is_file():
                p.unlink()
