"""Naming and confining the system accounts that run servers root starts (formgraders, local servers)."""

import os
import pwd
import subprocess
import tempfile
from pathlib import Path

import pytest

from mnss_foundation import system_accounts as sa


def test_plain_names_keep_their_name():
    assert sa.account_name("mnss-u-", "ward-a") == "mnss-u-ward-a"
    assert sa.account_name("mnss-fg-", "hospital-lan") == "mnss-fg-hospital-lan"


@pytest.mark.parametrize(
    "name",
    ["Anna.Li@hospital.cn", "张三", "a" * 40, "x/../../etc", "-rf", "ward-a-0123abcd", "", "a b"],
)
def test_odd_names_get_a_short_safe_stable_account(name):
    account = sa.account_name("mnss-u-", name)
    assert account == sa.account_name("mnss-u-", name), "the same name must always give the same account"
    assert len(account) <= sa.MAX_NAME and account.startswith("mnss-u-")
    assert sa.PLAIN.fullmatch(account) and sa.HASHED_TAIL.search(account)


def test_different_names_never_share_an_account():
    names = ["Anna", "anna", "ANNA", "an-na", "an.na", "张三", "李四", "a" * 39 + "x", "a" * 39 + "y"]
    # a plain name shaped like a hashed one is hashed too, so it cannot take another's account
    names.append(sa.account_name("", "Anna"))
    accounts = [sa.account_name("mnss-u-", n) for n in names]
    assert len(set(accounts)) == len(accounts), accounts


def test_the_server_drops_every_capability_and_cannot_gain_one():
    account = pwd.struct_passwd(("mnss-u-x", "x", 990, 989, "MNSS learner x", "/h", "/usr/sbin/nologin"))
    argv = sa.drop_to(account)
    assert argv[0] == "setpriv" and argv[-1] == "--"
    for option in ("--reuid=990", "--regid=989", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"):
        assert option in argv


def run_recording_mounts(argv: list[str], tmp_path) -> tuple[str, list[str]]:
    """Run the script that `unshare` would start, with `mount` replaced by a recorder (no namespace
    needed): (what it printed, the mount commands it gave)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mount").write_text('#!/bin/sh\necho "mount $*" >> "$LOG"\n')
    (bin_dir / "mount").chmod(0o755)
    log = tmp_path / "log"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(log)}
    done = subprocess.run(argv[5:], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout, log.read_text().splitlines()


def test_the_mount_script_binds_the_folder_hides_others_and_starts_there(tmp_path):
    hidden, view = tmp_path / "src", tmp_path / "views" / "me"
    hidden.mkdir()
    argv = sa.in_own_mounts(tmp_path / "real", view, ["pwd"], hide=[str(hidden), str(tmp_path / "absent")])
    assert argv[:5] == ["unshare", "--mount", "--propagation", "private", "--"]
    printed, mounts = run_recording_mounts(argv, tmp_path)
    assert printed.strip() == str(view)
    assert mounts[1] == f"mount --bind {tmp_path / 'real'} {view}"
    assert len(mounts) == 3 and mounts[2].endswith(f"mnss-hidden {hidden}") and "ro,mode=0" in mounts[2]


def test_the_mount_script_puts_a_capped_tmpfs_of_the_account_on_a_scratch_folder(tmp_path):
    boxes, view = tmp_path / "boxes", tmp_path / "views" / "me"
    argv = sa.in_own_mounts(tmp_path / "real", view, ["true"], capped=[(boxes, 576, 1234, 5678)])
    _, mounts = run_recording_mounts(argv, tmp_path)
    assert mounts[-1] == f"mount -t tmpfs -o mode=700,size=576m,uid=1234,gid=5678,nosuid,nodev mnss-capped {boxes}"


def test_no_account_takes_root_and_ending_roots_processes_is_refused():
    root = pwd.getpwuid(0)
    with pytest.raises(sa.AccountError, match="root"):
        sa.end_processes_of(root)
    with pytest.raises(sa.AccountError, match="not made for this"):
        sa.ensure_account(root.pw_name, "/root", "MNSS learner root")


@pytest.mark.skipif(os.geteuid() != 0, reason="starting a process as another uid needs root")
def test_every_process_of_the_account_is_killed_also_a_detached_one():
    uid = 3_000_000_000 + os.getpid()  # a uid of no account and no other test
    ids = [f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    account = pwd.struct_passwd(("mnss-u-t", "x", uid, uid, "", "/nonexistent", "/usr/sbin/nologin"))
    try:
        subprocess.run(["setpriv", *ids, "setsid", "-f", "sleep", "120"], check=True)
        assert sa.processes_of(uid) and uid in sa.uids_with_processes()
        assert sa.end_processes_of(account) is True
        assert sa.processes_of(uid) == []
    finally:
        subprocess.run(["setpriv", *ids, "kill", "-KILL", "-1"], capture_output=True)


def test_a_catalog_closed_to_other_users_is_named_with_the_folder_that_closes_it():
    with tempfile.TemporaryDirectory() as top:  # pytest's own folder is closed to others
        base = Path(top)
        catalog = base / "shared" / "courses"
        catalog.mkdir(parents=True)
        for folder in (base, base / "shared", catalog):
            folder.chmod(0o755)
        assert sa.closed_to_others(catalog) is None
        (base / "shared").chmod(0o700)
        assert sa.closed_to_others(catalog) == base / "shared"
        (base / "shared").chmod(0o755)
        catalog.chmod(0o711)  # enterable, not listable
        assert sa.closed_to_others(catalog) == catalog
        assert sa.closed_to_others(base / "missing") == base / "missing"


def test_any_name_fits_a_passwd_comment():
    assert sa.passwd_comment("MNSS learner anna") == "MNSS learner anna"
    shown = sa.passwd_comment("MNSS learner 张三:x\ny")
    assert shown.isascii() and shown.isprintable() and ":" not in shown


def test_the_mount_namespace_probe_passes_here_as_root_and_names_a_refusal(monkeypatch):
    """Root on this host may unshare a mount namespace; a refusing machine's words come back."""
    if os.geteuid() == 0:
        assert sa.mount_namespace_refusal() is None
    refused = subprocess.CompletedProcess([], 1, "", "unshare: unshare failed: Operation not permitted\n")
    monkeypatch.setattr(sa.probe.subprocess, "run", lambda *a, **k: refused)
    assert sa.mount_namespace_refusal() == "unshare: unshare failed: Operation not permitted"
