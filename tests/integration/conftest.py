import os

import pytest

from mnss_kernel.runtime.registry import NETNS_ETC, PREFIX
from mnss_kernel.runtime.shell import existing_namespaces


def ours() -> set[str]:
    etc = {p.name for p in NETNS_ETC.glob(f"{PREFIX}-*")} if NETNS_ETC.is_dir() else set()
    return {ns for ns in existing_namespaces() if ns.startswith(f"{PREFIX}-")} | etc


@pytest.fixture
def no_leftovers():
    """Fail a test that leaves emulation namespaces (or their /etc/netns files) behind."""
    if os.geteuid() != 0:
        pytest.skip("building networks needs root (network namespaces)")
    before = ours()
    yield
    left = ours() - before
    assert not left, f"left behind: {sorted(left)}"
