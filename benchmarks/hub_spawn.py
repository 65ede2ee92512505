"""Create + log in + spawn-until-ready for N users: MNSS Lab's hub vs stock JupyterHub, same run.

Stock is the same JupyterHub version with SimpleLocalProcessSpawner and DummyAuthenticator.
Both run as local processes on loopback; the two are measured alternately, user by user, so
machine noise hits both alike. Run as root: `.venv/bin/python benchmarks/hub_spawn.py`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mnss_hub import apply, siteconfig  # noqa: E402
from mnss_hub.accounts import AccountStore  # noqa: E402
from mnss_hub.hubclient import HubClient  # noqa: E402
from tests.support.hubproc import VENV_BIN, free_ports, running_hub, site_config  # noqa: E402

ADMIN_PW = "admin-bench-password"
USER_PW = "user-bench-password"

STOCK_CONFIG = """
c = get_config()
c.JupyterHub.bind_url = "http://127.0.0.1:{port}/"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.JupyterHub.db_url = "sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {{"admin"}}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{state}/homes/{{username}}"
c.Spawner.cmd = ["{bin}/jupyterhub-singleuser"]
c.Spawner.args = ["--ServerApp.allow_root=True"]
c.Spawner.default_url = "/lab"
"""


def start_stock(stack: ExitStack, work: Path) -> str:
    port, hub_port, api_port = free_ports(3)
    state = work / "state"
    (state / "homes").mkdir(parents=True)
    cfg = work / "jupyterhub_config.py"
    cfg.write_text(
        textwrap.dedent(STOCK_CONFIG.format(port=port, hub_port=hub_port, api_port=api_port, state=state, bin=VENV_BIN))
    )
    fake_site = {"hub": {"port": port}}
    url, _, _ = stack.enter_context(running_hub(work, fake_site, [str(VENV_BIN / "jupyterhub"), "-f", str(cfg)]))
    return url


def start_ours(stack: ExitStack, work: Path) -> tuple[str, AccountStore]:
    config = site_config(work / "state", auth={"initial_admin_password": ADMIN_PW})
    url, _, _ = stack.enter_context(running_hub(work, config))
    site = siteconfig.validate(config)
    return url, AccountStore(apply.accounts_url(site), site["auth"]["min_password_length"])


def one_user(url: str, admin: HubClient, name: str, store: AccountStore | None) -> float:
    """Seconds from account creation to a server that answers, as an administrator scripts it."""
    started = time.perf_counter()
    if store is not None:
        store.create(name, USER_PW, must_change=False)
    admin.create_user(name)
    learner = HubClient(url)
    learner.login(name, USER_PW)
    learner.start_server(name)
    answer = learner._call("GET", f"user/{name}/api/status")
    assert answer.status_code == 200
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"ours": [], "stock": []}
    with tempfile.TemporaryDirectory(prefix="mnss-bench-") as tmp, ExitStack() as stack:
        ours_url, store = start_ours(stack, Path(tmp) / "ours")
        stock_url = start_stock(stack, Path(tmp) / "stock")
        ours_admin, stock_admin = HubClient(ours_url), HubClient(stock_url)
        ours_admin.login("admin", ADMIN_PW)
        stock_admin.login("admin", "any")
        for i in range(args.users):
            times["ours"].append(one_user(ours_url, ours_admin, f"learner{i}", store))
            times["stock"].append(one_user(stock_url, stock_admin, f"learner{i}", None))
        for i in range(args.users):
            ours_admin.stop_server(f"learner{i}")
            stock_admin.stop_server(f"learner{i}")
    print(f"create+login+spawn-until-ready, {args.users} users, local processes")
    print(f"{'':8}{'p50 s':>8}{'p95 s':>8}")
    for name, values in times.items():
        print(f"{name:8}{statistics.median(values):8.2f}{percentile(values, 95):8.2f}")
    p50 = statistics.median(times["ours"]) / statistics.median(times["stock"])
    p95 = percentile(times["ours"], 95) / percentile(times["stock"], 95)
    print(f"ratio ours/stock: p50 {p50:.2f}x, p95 {p95:.2f}x (target p50 <= 1.2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
