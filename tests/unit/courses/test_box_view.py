"""The grading box's allow-list: what bwrap binds into it, and what it leaves out."""

from pathlib import Path

import pytest

from mnss_courses import box_view


def _binds(args: list[str]) -> dict[str, str]:
    """{destination: source} of every bind in bwrap's arguments."""
    return {args[i + 2]: args[i + 1] for i, a in enumerate(args) if a in ("--ro-bind", "--bind")}


def test_the_box_gets_the_engine_packages_not_the_checkout_they_sit_in(tmp_path):
    import mnss_kernel

    checkout = Path(mnss_kernel.__file__).resolve().parents[1]
    binds = _binds(box_view.arguments(tmp_path, 64))
    assert str(checkout / "mnss_kernel") in binds and str(checkout / "mnss_foundation") in binds
    assert str(checkout) not in binds
    assert not [d for d in binds if ".git" in d or "courses" in Path(d).parts], binds


def test_only_the_system_the_environment_and_the_stage_are_bound(tmp_path):
    args = box_view.arguments(tmp_path, 64, [str(tmp_path / "kernel.json")])
    binds = _binds(args)
    stage = {str(tmp_path / p) for p in ("in", "ipc", "kernel.json")}
    allowed = {"/usr", "/proc/sys", *stage, *box_view.readable()}
    allowed |= {f"/etc/{name}" for name in (*box_view.ETC, "passwd", "group")}
    assert set(binds) <= allowed, set(binds) - allowed
    assert binds["/etc/passwd"] == str(tmp_path / "etc" / "passwd")  # the box's own, not the machine's
    writable = {args[i + 2] for i, a in enumerate(args) if a == "--bind"}
    assert writable == {"/proc/sys", str(tmp_path / "ipc")}  # the kernel's sockets; sysctls see below


def test_the_box_is_a_fresh_root_with_its_own_namespaces_temporaries_and_a_sized_work_folder(tmp_path):
    args = box_view.arguments(tmp_path, 64)
    assert args[:3] == ["bwrap", "--unshare-all", "--die-with-parent"]
    assert args[-2:] == ["--remount-ro", "/"]  # nothing can be written outside the tmpfs folders
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/etc/netns", str(tmp_path / "work")):
        at = args.index(folder)
        assert args[at - 1] == "--tmpfs" and args[at - 3] == "--size", folder
    assert args[args.index(str(tmp_path / "work")) - 2] == str(64 << 20)


def test_folders_inside_a_bound_one_are_not_bound_again(monkeypatch):
    monkeypatch.setattr(box_view, "python_environment", lambda: ["/opt/mnss"])
    monkeypatch.setattr(
        box_view, "kernel_packages", lambda: ["/opt/mnss/lib/site-packages/mnss_kernel", "/src/lab/mnss_foundation"]
    )
    assert box_view.readable() == ["/opt/mnss", "/src/lab/mnss_foundation"]


def test_merged_usr_links_stay_links_and_missing_etc_files_are_left_out(tmp_path, monkeypatch):
    (tmp_path / "usr" / "bin").mkdir(parents=True)
    (tmp_path / "bin").symlink_to("usr/bin")
    (tmp_path / "lib").mkdir()
    monkeypatch.setattr(box_view, "MERGED", (str(tmp_path / "bin"), str(tmp_path / "lib"), str(tmp_path / "none")))
    monkeypatch.setattr(box_view, "ETC", ("hosts", "no-such-file-here"))
    args = box_view.system()
    assert ["--symlink", "usr/bin", str(tmp_path / "bin")] == args[3:6]
    assert ["--ro-bind", str(tmp_path / "lib"), str(tmp_path / "lib")] == args[6:9]
    assert str(tmp_path / "none") not in args and "/etc/no-such-file-here" not in args
    assert ("/etc/hosts" in args) == Path("/etc/hosts").exists()


def test_the_boxs_accounts_name_no_one_of_the_machine(tmp_path):
    box_view.write_accounts(tmp_path / "etc")
    names = [line.split(":")[0] for line in (tmp_path / "etc" / "passwd").read_text().splitlines()]
    assert names == ["root", "nobody"]
    assert (tmp_path / "etc" / "group").read_text().startswith("root:x:0:")
    assert oct((tmp_path / "etc" / "passwd").stat().st_mode & 0o777) == "0o644"


def test_add_ons_hooked_into_the_engine_come_with_it_and_are_importable(monkeypatch):
    """The engine loads its "lab started" hooks in the box too; one it cannot import would write to
    stderr, which fails the cell in nbgrader's eyes."""
    import json
    from importlib.metadata import EntryPoint

    from mnss_foundation import plugins

    point = EntryPoint("probe", "json.decoder:JSONDecoder", "mnss_kernel.lab_started")
    monkeypatch.setattr(plugins, "registered", lambda group: [point] if group == point.group else [])
    folders = box_view.kernel_packages()
    assert folders[-1] == str(Path(json.__file__).resolve().parent) and len(folders) == 3
    assert box_view.import_path()[-1] == str(Path(json.__file__).resolve().parents[1])


def test_what_lies_under_tmp_is_bound_on_top_of_the_boxs_own_tmp(tmp_path, monkeypatch):
    """A checkout, and so its environment, may lie under /tmp (a CI clone); the box's fresh /tmp
    must not cover it. Checked with the real bwrap: the environment's file is there, nothing else is."""
    import shutil
    import subprocess

    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (make test installs it)")
    environment = tmp_path / "checkout" / ".venv"
    environment.mkdir(parents=True)
    (environment / "marker").write_text("here\n")
    (tmp_path / "checkout" / "secret").write_text("not for the box")
    monkeypatch.setattr(box_view, "readable", lambda: [str(environment)])
    stage = tmp_path / "stage"
    for folder in ("in", "ipc"):
        (stage / folder).mkdir(parents=True)
    box_view.write_accounts(stage / "etc")
    look = f"cat {environment}/marker; test -e {tmp_path / 'checkout' / 'secret'} || echo absent"
    done = subprocess.run(
        [*box_view.arguments(stage, 16), "--", "sh", "-c", look], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["here", "absent"]
