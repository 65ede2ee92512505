"""Admission control: at the site's server limit, a learner gets a clear page in both languages."""

import re

import pytest
import requests

from mnss_hub.hubclient import HubClient
from tests.support.hubproc import running_hub, site_config

pytestmark = [pytest.mark.integration]

ADMIN_PW = "admin-test-password"


def test_server_limit_gives_a_bilingual_busy_page(tmp_path):
    config = site_config(tmp_path / "state", spawn={"active_server_limit": 1}, culler={"enabled": False})
    with running_hub(tmp_path, config) as (url, proc, log):
        api = HubClient(url)
        api.login("admin", ADMIN_PW)
        api.create_user("first")
        api.start_server("first")  # the one server this site allows

        web = requests.Session()
        form = web.get(url + "hub/login", timeout=10)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text).group(1)
        web.post(url + "hub/login", data={"username": "admin", "password": ADMIN_PW, "_xsrf": xsrf}, timeout=30)
        page = web.get(url + "hub/spawn", timeout=30)
        text = page.content.decode("utf-8")
        assert page.status_code == 429
        assert 'id="mnss-busy"' in text
        assert "实验平台繁忙" in text and "The lab platform is busy" in text
        assert "your files are safe" in text
        assert api.user("admin")["servers"] == {}  # nothing half-started

        # what the proxy shows for a server that is down
        down = web.get(url + "hub/error/503", timeout=30).content.decode("utf-8")
        assert 'id="mnss-server-down"' in down, down[-800:]
        assert "你的实验环境没有响应" in down and "Your lab is not answering" in down
        assert 'href="/hub/home"' in down and "appears to be down" not in down

        api.stop_server("first")  # room again: the same request now starts the lab
        assert web.get(url + "hub/spawn", timeout=60).status_code == 200
        api.wait_for("admin", ready=True, timeout=60)
        api.stop_server("admin")
