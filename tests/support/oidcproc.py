"""A real OpenID Connect provider (tests/support/oidc/provider.mjs, oidc-provider on Node.js) as a
subprocess on 127.0.0.1: started, polled until its discovery document answers, always stopped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.hubproc import free_ports, stop_process_group, wait_until_answers

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "mnss-hub"


def available() -> str | None:
    """Why the provider cannot run here, or None (make install-test installs it)."""
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return f"oidc-provider is not installed in {PROVIDER_DIR} (make install-test runs npm ci there)"
    return None


@dataclass
class Provider:
    issuer: str
    client_id: str
    secret_file: Path
    log: Path


@contextmanager
def running_provider(workdir: Path, hub_url: str, accounts: dict[str, dict]):
    """Start a provider whose one client is a hub at `hub_url`; `accounts`: sub -> claims."""
    workdir.mkdir(parents=True, exist_ok=True)
    (port,) = free_ports(1)
    secret = os.urandom(24).hex()
    secret_file = workdir / "oidc-client-secret"
    fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    settings = workdir / "oidc-provider.json"
    settings.write_text(
        json.dumps(
            {
                "port": port,
                "accounts": accounts,
                "client": {
                    "client_id": CLIENT_ID,
                    "client_secret": secret,
                    "redirect_uris": [hub_url + "hub/oauth_callback"],
                    "post_logout_redirect_uris": [hub_url + "hub/login"],
                },
            }
        ),
        "utf-8",
    )
    log = workdir / "oidc-provider.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            ["node", str(PROVIDER_DIR / "provider.mjs"), str(settings)],
            cwd=PROVIDER_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(proc, log, issuer + "/.well-known/openid-configuration", "oidc-provider", 30)
        yield Provider(issuer, CLIENT_ID, secret_file, log)
    finally:
        stop_process_group(proc, grace=5)
