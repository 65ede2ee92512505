"""The portal's pages at a hospital group's scale, on a real hub: for now the learning record.

1,000 hub users and 100,000 learning events (opened / closed with time on task / submitted /
graded, over every bundled course, the last two years) in the recommender's store, written with
the store's own API under the service's pseudonyms before the hub starts. Then, through the hub:
  - /hub/record of a learner with a long history (about 300 events), target p95 < 200 ms;
  - the same learner's Excel export and a certificate PDF (reported, no target);
  - /hub/record/institution, the admins' hours per person and year over all 1,000 users.
Run as root: `.venv/bin/python benchmarks/portal.py [--repeat 50]` (about two minutes).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "hub"), str(ROOT / "recommender"), str(ROOT)]

from mnss_courses import bundle  # noqa: E402
from mnss_hub.hubclient import HubClient  # noqa: E402
from mnss_recommender.events import Event, EventStore, pseudonym  # noqa: E402
from tests.support.hubproc import create_accounts, free_ports, password, running_hub, site_config  # noqa: E402

ADMIN_PW = "admin-bench-password"
LEARNER = "bench-learner"


def seed_events(db_url: str, key: bytes, users: list[str], total: int) -> None:
    """`total` events over `users`; LEARNER gets about 300 of them and completes some courses."""
    items = [f"{cid}/{a}" for cid, c in sorted(bundle.load_catalog(ROOT / "courses").items()) for a in c.assignment_ids]
    rng, now = random.Random(7), time.time()
    store = EventStore(db_url)
    try:
        batch, n = [], 0
        while n < total:
            who = LEARNER if n % (total // 100) == 0 else rng.choice(users)
            item, ts = rng.choice(items), now - rng.uniform(0, 2 * 365 * 86400)
            learner = pseudonym(who, key)
            batch.append(Event(f"e{n}", learner, item, "opened", ts))
            batch.append(Event(f"e{n + 1}", learner, item, "closed", ts + 1, duration=rng.uniform(60, 3600)))
            batch.append(Event(f"e{n + 2}", learner, item, "graded", ts + 2, score=rng.uniform(0.3, 1.0)))
            n += 3
            if len(batch) >= 5000:
                store.add(batch)
                batch = []
        store.add(batch)
        print(f"  {store.count():,} events in the recommender's store")
    finally:
        store.close()


def web_login(url: str, name: str, pw: str) -> requests.Session:
    web = requests.Session()
    form = web.get(url + "hub/login", timeout=30)
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text).group(1)
    done = web.post(url + "hub/login", data={"username": name, "password": pw, "_xsrf": xsrf}, timeout=60)
    done.raise_for_status()
    return web


def timed(run, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=50)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        state = work / "state"
        state.mkdir()
        (rec_port,) = free_ports(1)
        config = site_config(
            state,
            auth={"initial_admin_password": ADMIN_PW},
            recommender={"enabled": True, "port": rec_port, "catalog": str(ROOT / "courses"), "retrain_seconds": 3600},
        )
        key = bytes(range(32))
        (state / "recommender.key").write_bytes(key)  # the service reads it as it is
        users = [f"staff{n:04d}" for n in range(args.users - 1)] + [LEARNER]
        print(f"== {args.users:,} users, {args.events:,} events")
        seed_events(f"sqlite:///{state / 'recommender.sqlite'}", key, users, args.events)
        create_accounts(state, [LEARNER])
        with running_hub(work, config) as (url, _, _):
            admin_api = HubClient(url, timeout=120)
            admin_api.login("admin", ADMIN_PW)
            admin_api._call("POST", "hub/api/users", expect=(201,), json={"usernames": users[:-1]})
            learner, admin = web_login(url, LEARNER, password(LEARNER)), web_login(url, "admin", ADMIN_PW)

            def get(web, path):
                def run():
                    web.get(url + path, timeout=60).raise_for_status()

                return run

            results = []
            for label, run, target in [
                ("/hub/record", get(learner, "hub/record"), 200),
                ("/hub/record/export.xlsx", get(learner, "hub/record/export.xlsx"), None),
                ("/hub/record/institution (all users)", get(admin, "hub/record/institution"), None),
            ]:
                run()  # warm: the page token, the service's token cache
                median, p95 = timed(run, args.repeat)
                results.append((label, p95, target))
                print(f"  {label:<40} p50 {median:8.2f} ms  p95 {p95:8.2f} ms")
            record = learner.get(url + "hub/record", timeout=60).content.decode()
            course = re.search(r"record/certificate/([a-z0-9-]+)\.pdf", record)
            if course:
                median, p95 = timed(get(learner, f"hub/record/certificate/{course[1]}.pdf"), 5)
                print(f"  {'certificate PDF':<40} p50 {median:8.2f} ms  p95 {p95:8.2f} ms")
    ok = True
    print("== targets")
    for label, p95, target in results:
        if target is not None:
            passed = p95 < target
            ok &= passed
            print(f"  [{'PASS' if passed else 'FAIL'}] {label} p95 < {target} ms: {p95:.2f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
