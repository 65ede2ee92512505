"""remove_cgroups: busy folders are tried again until they empty or the wait runs out."""

from mnss_foundation.cgroupfs import remove_cgroups


def test_folders_that_empty_while_waiting_are_removed(tmp_path):
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
    busy = {folders[1]: 2}  # b holds an exiting process for two tries

    def rmdir(folder):
        if busy.get(folder):
            busy[folder] -= 1
            return False
        folder.rmdir()
        return True

    assert remove_cgroups(folders, wait=5, poll=0.01, rmdir=rmdir)
    assert not any(folder.exists() for folder in folders)


def test_a_folder_still_busy_at_the_deadline_is_reported(tmp_path):
    held = tmp_path / "held"
    (held / "child").mkdir(parents=True)  # a child cgroup keeps it from being removed
    assert not remove_cgroups([held, tmp_path / "gone"], wait=0.05, poll=0.01)
    assert held.is_dir()
