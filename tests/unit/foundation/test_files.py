"""write_atomic: the old content or the new one, never half; private unless asked otherwise."""

import stat

import pytest

from mnss_foundation.files import write_atomic


def test_replaces_whole_with_mode_0600_by_default(tmp_path):
    target = tmp_path / "key"
    target.write_text("old")
    write_atomic(target, "new ✓")
    assert target.read_text("utf-8") == "new ✓"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    write_atomic(target, b"\x00bytes", mode=0o644)
    assert target.read_bytes() == b"\x00bytes"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["key"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "data"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # not bytes or str: fails after the temporary exists
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data"]
