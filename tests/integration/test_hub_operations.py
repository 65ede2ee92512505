"""Running the hub as a service: what its log holds, how it stops, what it starts by itself."""

import stat

import pytest

from mnss_hub.hubclient import HubClient
from tests.support.hubproc import running_hub, site_config

pytestmark = [pytest.mark.integration]


def test_generated_admin_password_is_in_a_private_file_not_in_the_log(tmp_path):
    """Started as a service (stdout is a file, not a terminal): the log says where the one-time
    password is, never the password; the file is 0600 and the password in it logs in."""
    state = tmp_path / "state"
    config = site_config(state, auth={"initial_admin_password": ""})
    with running_hub(tmp_path, config) as (url, proc, log):
        path = state / "initial-admin-password"
        name, password = path.read_text().split()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        HubClient(url).login(name, password)
        text = log.read_text()
        assert password not in text
        assert f"one-time password is in {path}" in text
        assert f"log in at {url}hub/login" in text
