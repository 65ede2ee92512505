"""Get the Docker engine ready for the container modes before the hub starts, or say what is wrong.

The hub API and services listen on the user network's host address, so that network must exist
first. `check` only reads (what `mnss-hub check-config` reports); `prepare` (what `mnss-hub run`
does) checks the same and then creates what is missing. Both are idempotent.
"""

from __future__ import annotations

import ipaddress
import os

import docker
from docker.errors import APIError, DockerException, ImageNotFound

from mnss_kernel.runtime.tunnel import TUN

from . import egress
from .apply import service_ip
from .siteconfig import ConfigError

NO_ICC = {"com.docker.network.bridge.enable_icc": "false"}


def open_to_users(path: str) -> bool:
    try:
        return os.stat(path).st_mode & 0o006 == 0o006
    except OSError:
        return False


def connect():
    """A client of this machine's Docker engine, or ConfigError saying it is not reachable."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except DockerException as err:
        raise ConfigError(
            "(docker)", [f"the Docker engine is not reachable ({err}); start dockerd (see README, 'Docker mode')"]
        ) from None
    return client


def check(site: dict, client) -> list[str]:
    """Read-only: every reason the engine cannot host this site's labs (empty: ready). A missing
    user network is not a problem here; `prepare` creates it."""
    settings = site["docker"]
    try:
        info = client.info()
    except DockerException as err:
        return [f"the Docker engine does not answer ({err}); start dockerd (see README, 'Docker mode')"]
    problems = []
    if settings["require_userns_remap"] and not any("userns" in opt for opt in info.get("SecurityOptions", [])):
        problems.append(
            "docker.require_userns_remap: dockerd does not run with userns-remap, so root in a lab "
            "container would be root on this host; start dockerd with --userns-remap=default "
            "(see README, 'Who is root where')"
        )
    if site["mode"] == "swarm" and not (
        info.get("Swarm", {}).get("LocalNodeState") == "active" and info["Swarm"].get("ControlAvailable")
    ):
        problems.append(
            "mode 'swarm': this Docker engine is not a Swarm manager; run `docker swarm init` "
            "(or join it to the swarm as a manager) and start the hub there"
        )
    for image in [settings["image"], *settings["allowed_images"]]:
        try:
            client.images.get(image)
        except ImageNotFound:
            problems.append(f"docker image {image!r} is not on this machine; build it with `make images`")
    if site["tunnel"]["enabled"] and site["mode"] == "docker" and not open_to_users(TUN):
        problems.append(
            f"tunnel.enabled: {TUN} is not readable and writable by every user, and a container gets it as "
            f"it is (Debian's default is 0666); run chmod 0666 {TUN}"
        )
    network = find_network(client, settings["network"])
    if network is not None:
        problems += _network_problems(client, network, settings["subnet"], _scope(site))
    else:
        problems += _subnet_clashes(client, settings["subnet"])
    return problems


def _subnet_clashes(client, subnet: str) -> list[str]:
    """Other Docker networks whose addresses overlap the user network's (its creation would fail)."""
    wanted = ipaddress.ip_network(subnet)
    clashes = []
    for network in client.networks.list():
        for pool in (network.attrs.get("IPAM") or {}).get("Config") or []:
            try:
                other = ipaddress.ip_network(pool.get("Subnet") or "", strict=False)
            except ValueError:
                continue
            if other.version == wanted.version and other.overlaps(wanted):
                clashes.append(
                    f"docker.subnet: {subnet} overlaps Docker network {network.name!r} ({other}); "
                    "pick another range for docker.subnet"
                )
    return clashes


def describe(site: dict, client) -> str:
    """One line for `check-config` once `check` found nothing wrong."""
    settings = site["docker"]
    images = ", ".join([settings["image"], *settings["allowed_images"]])
    network = settings["network"]
    state = (
        "exists as configured"
        if find_network(client, network) is not None
        else f"is missing; `mnss-hub run` creates it on {settings['subnet']}"
    )
    remap = "userns-remap on" if settings["require_userns_remap"] else "userns-remap not required"
    return f"docker: engine reachable, {remap}, image(s) present ({images}), network {network!r} {state}"


def prepare(site: dict) -> None:
    """Check the engine and images, create the user network; ConfigError lists every problem."""
    settings = site["docker"]
    client = connect()
    problems = check(site, client)
    if not problems and find_network(client, settings["network"]) is None:
        problems += _create_network(client, settings["network"], settings["subnet"], service_ip(site), _scope(site))
    if site["mode"] == "swarm" and not problems:
        _anchor(client, settings["network"], settings["image"])
    if site["mode"] == "docker" and not problems:
        problems += _hold_egress(bridge_of(find_network(client, settings["network"])), settings["egress"])
    if problems:
        raise ConfigError("(docker)", problems)


def bridge_of(network) -> str:
    """The host interface of a local bridge network (Docker names it br-<id> unless told otherwise)."""
    named = (network.attrs.get("Options") or {}).get("com.docker.network.bridge.name")
    return named or f"br-{network.id[:12]}"


def _hold_egress(bridge: str, policy: str) -> list[str]:
    """docker.egress: 'closed' holds the user network's containers to this host (egress.py)."""
    try:
        if policy == "closed":
            egress.close_network(bridge)
        else:
            egress.release_network(bridge)
    except egress.EgressError as err:
        return [f"docker.egress: {err}"]
    return []


def _scope(site: dict) -> str:
    return "swarm" if site["mode"] == "swarm" else "local"


def anchor_name(network: str) -> str:
    return f"{network}-anchor"


def _anchor(client, network: str, image: str) -> None:
    """Docker brings a swarm-scoped network up on a machine only while a container there uses
    it, and the hub must listen on its address before any learner starts. A sleeping container
    with no capabilities keeps it up (and comes back with dockerd)."""
    try:
        client.containers.get(anchor_name(network)).start()
    except docker.errors.NotFound:
        client.containers.run(
            image,
            ["sleep", "infinity"],
            name=anchor_name(network),
            network=network,
            detach=True,
            cap_drop=["ALL"],
            read_only=True,
            entrypoint=[],
            restart_policy={"Name": "unless-stopped"},
            mem_limit="16m",
            security_opt=["no-new-privileges"],
            labels={"org.mnss-lab.role": "anchor"},
        )


def find_network(client, name: str):
    return next((n for n in client.networks.list(names=[name]) if n.name == name), None)


def _create_network(client, name: str, subnet: str, gateway: str, scope: str) -> list[str]:
    """A bridge network on this machine; for swarm it is swarm-scoped, so services can join it
    (single machine; several machines need an overlay network and the hub in the swarm, README).
    A swarm-scoped bridge takes its addresses and options from a local config-only network."""
    ipam = {"Driver": "default", "Config": [{"Subnet": subnet, "Gateway": gateway}]}
    local = {"Driver": "bridge", "IPAM": ipam, "Options": NO_ICC, "Labels": {"org.mnss-lab.role": "users"}}
    requests = (
        [{"Name": name, **local}]
        if scope == "local"
        else [
            {"Name": f"{name}-config", "ConfigOnly": True, **local},
            {
                "Name": name,
                "Driver": "bridge",
                "Scope": "swarm",
                "Attachable": True,
                "ConfigFrom": {"Network": f"{name}-config"},
            },
        ]
    )
    try:
        for body in requests:
            client.api._result(client.api._post_json(client.api._url("/networks/create"), data=body), True)
    except APIError as err:
        return [f"docker.subnet: cannot create network {name!r} on {subnet}: {err.explanation}"]
    return []


def _network_problems(client, network, subnet: str, scope: str) -> list[str]:
    """What is wrong with an existing user network (scope, subnet, containers reaching each other)."""
    name, attrs = network.name, network.attrs
    if attrs.get("ConfigFrom", {}).get("Network"):
        attrs = client.networks.get(attrs["ConfigFrom"]["Network"]).attrs | {"Scope": attrs.get("Scope")}
    subnets = [pool.get("Subnet") for pool in (attrs.get("IPAM") or {}).get("Config") or []]
    problems = []
    if attrs.get("Scope") != scope:
        problems.append(
            f"docker.network: {name!r} exists with scope {attrs.get('Scope')!r}, this mode needs "
            f"{scope!r}; remove it (docker network rm) and `mnss-hub run` creates it"
        )
    if subnet not in subnets:
        problems.append(
            f"docker.network: {name!r} exists with subnet {subnets}, not {subnet}; "
            "remove it (docker network rm) or set docker.subnet to match"
        )
    if (attrs.get("Options") or {}).get("com.docker.network.bridge.enable_icc") != "false":
        problems.append(
            f"docker.network: {name!r} lets containers reach each other (enable_icc is not "
            "false); remove it and `mnss-hub run` creates it isolated"
        )
    return problems
