"""Which secret files `mnss-hub run` refuses to start with."""

from mnss_hub.private_files import exposed


def test_only_files_the_group_or_others_may_use_are_named(tmp_path):
    modes = {"own": 0o600, "read-only": 0o400, "group": 0o640, "others": 0o604, "all": 0o666}
    for name, mode in modes.items():
        (tmp_path / name).write_text("secret")
        (tmp_path / name).chmod(mode)
    found = exposed([tmp_path / name for name in [*modes, "missing"]])
    assert [line.split(":")[0] for line in found] == [str(tmp_path / n) for n in ("group", "others", "all")]
    assert "0640" in found[0] and f"chmod 600 {tmp_path / 'group'}" in found[0]
